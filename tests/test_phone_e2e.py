"""Zoom Phone end to end (emulator → DuckDB / Postgres): every phone table equals the emulator's truth key
by key across a 200-day history with licensed and unlicensed users; a transcript Zoom is still making
(12002) lands on a later run and readies its call; 12000 is a file error with Zoom's reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import zoom_helpers
from zoom_helpers import duplicates, load, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator
from sources.zoom import registry

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

HISTORY_DAYS = 200
START = (datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 5)).date().isoformat()
PHONE_TABLES = ["phone_users", "phone_calls", "phone_recordings"] + [
    t.name for t in registry.TABLES if t.parent == "phone_calls" or t.made_by == "phone_recordings"
]
# 6 users: 4 active (every other one holds a Phone licence), 1 inactive, 1 pending
ACCOUNT: dict[str, Any] = dict(
    seed=5,
    users=6,
    meetings_per_user=1,
    webinars=0,
    days_of_history=HISTORY_DAYS,
    phone_licences=0.5,
    phone_calls_per_user=12,
    phone_transcript_faults={"pending": 1, "12000": 1},
    rate_limits=False,
)
LICENCE_SKIP = "phone_users: users without a Phone licence"


def _phone_calls(pipeline) -> dict[str, dict]:
    cols = ("meeting_uuid", "ready", "transcript", "processing", "source", "zoom_call_history_id")
    rows = warehouse_rows(pipeline, "calls", cols)
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows if str(r[0]).startswith("zoom_phone:")}


def _assert_tables(pipeline, truth: dict) -> None:
    for table in PHONE_TABLES:
        key = table_key(table)
        got, expected = warehouse_rows(pipeline, table, key), truth_rows(truth, table, key)
        assert expected, f"{table}: the truth has no rows; the test would prove nothing"
        assert not duplicates(got), table
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), (
            f"{table}: {len(got)} vs {len(expected)}"
        )


def test_phone_tables_match_truth_and_a_pending_transcript_lands_later(warehouse) -> None:
    _, pipeline = warehouse
    with ZoomEmulator(**ACCOUNT) as emu:
        summary = load(pipeline, emu, START, resources=["users", *PHONE_TABLES])
        truth = emu.truth()
        phone = truth["phone"]
        _assert_tables(pipeline, truth)
        # the six-month horizon: older calls exist in the account but Zoom never answers for them
        assert len(emu.state.data.phone.calls) > len(truth["tables"]["phone_calls"])
        assert (
            summary.parents_without_feature
            == {LICENCE_SKIP: len(phone["unlicensed_users"])}
            == {LICENCE_SKIP: 2}
        )
        # Phone's requests are counted in the summary under their own buckets, apart from the meeting APIs'
        phone_buckets = {k: v for k, v in summary.requests.items() if k.startswith("Phone ")}
        assert set(phone_buckets) == {"Phone Light", "Phone Medium", "Phone Heavy"}
        assert phone_buckets["Phone Heavy"]["requests"] == emu.stats()["categories"]["Phone Heavy"]
        # every phone table carries the account (account_column.py), the Kendo rows too
        for table in [*PHONE_TABLES, "calls"]:
            assert set(warehouse_rows(pipeline, table, ["account_id"])) == {(emu.account_id,)}, table
        # the file error keeps Zoom's code and reason
        with pipeline.sql_client() as c:
            errors = c.execute_sql(
                f"SELECT recording_id, code, reason FROM {c.make_qualified_table_name('phone_file_errors')}"
            )
        assert [(r[0], r[1]) for r in errors] == [(phone["transcript_faults"]["12000"][0], 12000)]
        assert "Unable to transcribe" in errors[0][2]

        calls = _phone_calls(pipeline)
        assert set(calls) == {f"zoom_phone:{c['recording_id']}" for c in phone["calls"]}
        pending = phone["transcript_faults"]["pending"][0]
        waiting = calls[f"zoom_phone:{pending}"]
        assert not waiting["ready"] and waiting["processing"] and waiting["transcript"] is None
        for c in phone["calls"]:
            row = calls[f"zoom_phone:{c['recording_id']}"]
            assert row["source"] == "zoom_phone" and row["zoom_call_history_id"] == c["call_history_uuid"]
            if c["ready"]:
                assert row["ready"] and row["transcript"] == c["transcript"]

        # Zoom finishes the transcript; it is older than the lag, so only the retry list finds it
        emu.finish_phone_transcript(pending)
        load(pipeline, emu, START, resources=["users", *PHONE_TABLES], lag_days=0)
        truth = emu.truth()
    _assert_tables(pipeline, truth)
    landed = _phone_calls(pipeline)[f"zoom_phone:{pending}"]
    assert landed["ready"] and not landed["processing"]
    assert landed["transcript"] == truth["phone"]["transcripts"][pending]


def test_without_the_phone_scope_the_phone_tables_are_skipped_with_one_warning(tmp_path, caplog) -> None:
    pipeline = zoom_helpers.make_pipeline("duckdb", tmp_path)
    knobs = {**ACCOUNT, "missing_scopes": ["phone:read:admin"], "phone_transcript_faults": {}}
    with ZoomEmulator(**knobs) as emu:
        with caplog.at_level("WARNING"):
            summary = load(pipeline, emu, START, resources=["users", *PHONE_TABLES])
        requests = emu.stats()["requests"]
    assert list(summary.features_missing) == ["phone_users"]
    assert summary.rows.get("users") == 6 and not any(summary.rows.get(t) for t in PHONE_TABLES)
    # the account-wide answer is taken once: no window is asked about
    assert not any("/phone/call_history" in k or "/phone/recordings" in k for k in requests)
    warned = [r.getMessage() for r in caplog.records if "phone_users skipped" in r.getMessage()]
    assert len(warned) == 1


def test_a_phone_scope_granted_later_loads_the_whole_history(tmp_path) -> None:
    """A run without a Phone scope skips the tables it can't read without moving their cursors: once the
    admin adds the scope, the next run reads the six months, not just the lag (it read only the lag)."""
    pipeline = zoom_helpers.make_pipeline("duckdb", tmp_path)
    tables = ["users", "phone_users", "phone_calls", "phone_recordings"]
    with ZoomEmulator(**{**ACCOUNT, "phone_transcript_faults": {}}) as emu:
        emu.configure(missing_scopes=["phone:read:admin"])  # the app has no Phone at all yet
        load(pipeline, emu, START, resources=tables)
        emu.configure(missing_scopes=["phone_recording:read:admin"])  # Phone, but not its recordings
        load(pipeline, emu, START, resources=tables)
        emu.configure(missing_scopes=[])
        load(pipeline, emu, START, resources=tables)
        truth = emu.truth()
    for table in tables[1:]:
        key = table_key(table)
        assert sorted(warehouse_rows(pipeline, table, key)) == sorted(truth_rows(truth, table, key)), table


def test_without_the_transcript_scope_calls_wait_and_their_transcripts_land_once_it_is_granted(
    tmp_path, caplog
) -> None:
    """A granular app with the recordings scope but not `phone:read:recording_transcript:admin`: the load
    goes on (it failed, meetings and all), one warning, the calls wait like a 12002; granted, they land."""
    pipeline = zoom_helpers.make_pipeline("duckdb", tmp_path)
    tables = ["users", *PHONE_TABLES]
    with ZoomEmulator(**{**ACCOUNT, "phone_transcript_faults": {}}) as emu:
        emu.configure(missing_scopes=["phone:read:recording_transcript:admin"])
        with caplog.at_level("WARNING"):
            summary = load(pipeline, emu, START, resources=tables)
        assert list(summary.features_missing) == ["phone_transcripts"]
        assert len([r for r in caplog.records if "phone_transcripts skipped" in r.getMessage()]) == 1
        assert summary.rows.get("phone_recordings") and not summary.rows.get("phone_transcripts")
        assert not any(c["ready"] for c in _phone_calls(pipeline).values())
        emu.configure(missing_scopes=[])
        load(pipeline, emu, START, resources=tables, lag_days=0)
        truth = emu.truth()
    for table in PHONE_TABLES:
        key = table_key(table)
        assert sorted(warehouse_rows(pipeline, table, key)) == sorted(truth_rows(truth, table, key)), table
    calls = _phone_calls(pipeline)
    assert truth["phone"]["calls"] and all(c["ready"] for c in calls.values())
    for c in truth["phone"]["calls"]:
        assert calls[f"zoom_phone:{c['recording_id']}"]["transcript"] == c["transcript"]


def test_without_the_call_detail_scope_the_legs_load_once_it_is_granted(tmp_path, caplog) -> None:
    """Granular `phone:read:call_log:admin` missing: one warning, the rest loads (the first call's 4711
    failed the whole load), and phone_calls keeps its cursor so the legs of every call load once granted."""
    pipeline = zoom_helpers.make_pipeline("duckdb", tmp_path)
    tables = ["users", "phone_users", "phone_calls", "phone_call_elements"]
    with ZoomEmulator(**{**ACCOUNT, "phone_transcript_faults": {}}) as emu:
        emu.configure(missing_scopes=["phone:read:call_log:admin"])
        with caplog.at_level("WARNING"):
            summary = load(pipeline, emu, START, resources=tables)
        assert list(summary.features_missing) == ["phone_call_elements"]
        assert len([r for r in caplog.records if "phone_call_elements skipped" in r.getMessage()]) == 1
        emu.configure(missing_scopes=[])
        load(pipeline, emu, START, resources=tables)
        truth = emu.truth()
    for table in tables[1:]:
        key = table_key(table)
        assert sorted(warehouse_rows(pipeline, table, key)) == sorted(truth_rows(truth, table, key)), table


def test_a_fixed_range_backfill_in_steps_loads_every_phone_window(tmp_path) -> None:
    """--start-date/--end-date walks the range in steps; the Phone tables read each step's windows."""
    pipeline = zoom_helpers.make_pipeline("duckdb", tmp_path)
    end = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    with ZoomEmulator(**{**ACCOUNT, "phone_transcript_faults": {}}) as emu:
        summary = load(pipeline, emu, START, end_date=end, windows_per_run=2, resources=PHONE_TABLES)
        truth = emu.truth()
    assert summary.steps >= 4
    for table in ("phone_calls", "phone_recordings", "phone_transcripts"):
        key = table_key(table)
        assert sorted(warehouse_rows(pipeline, table, key)) == sorted(truth_rows(truth, table, key)), table
