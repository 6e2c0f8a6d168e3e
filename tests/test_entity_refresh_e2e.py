"""Cheap hourly runs (sources/zoom/refresh.py): between entity refreshes a run reads only what is new, a
gone parent is not asked again, and the tables still equal the emulator's truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, Dict, Iterator

import duckdb
import pytest
import zoom_helpers
from zoom_helpers import ZOOM_TABLES, cli_env, load, make_pipeline, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator
from sources.zoom.config_values import SettingError, parse_entity_refresh_hours

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

HISTORY_DAYS = 40


def _start() -> str:
    return (datetime.now(UTC) - timedelta(days=HISTORY_DAYS)).date().isoformat()


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    # vanish_meetings: two meetings still listed whose detail answers 404/3001
    with ZoomEmulator(
        seed=31, users=4, days_of_history=HISTORY_DAYS - 5, rate_limits=False, vanish_meetings=2
    ) as e:
        yield e


def _requests(before: Dict[str, Any], after: Dict[str, Any], template: str = "") -> int:
    return sum(n - before["requests"].get(k, 0) for k, n in after["requests"].items() if template in k)


def _exact(before: Dict[str, Any], after: Dict[str, Any], template: str) -> int:
    return after["requests"].get(template, 0) - before["requests"].get(template, 0)


def _details(before: Dict[str, Any], after: Dict[str, Any]) -> int:
    return _exact(before, after, "GET /v2/meetings/{meetingId}")


def _errors(before: Dict[str, Any], after: Dict[str, Any], template: str) -> int:
    return sum(n - before["errors"].get(k, 0) for k, n in after["errors"].items() if template in k)


def _assert_truth(pipeline: Any, emu: ZoomEmulator) -> None:
    truth = emu.truth()
    for table in ZOOM_TABLES:
        key = table_key(table)
        got, expected = warehouse_rows(pipeline, table, key), truth_rows(truth, table, key)
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), table


def _value(pipeline: Any, column: str, meeting_id: int) -> Any:
    with pipeline.sql_client() as c:
        table = c.make_qualified_table_name("meetings")
        return c.execute_sql(f"SELECT {column} FROM {table} WHERE id = {int(meeting_id)}")[0][0]


def test_idle_run_is_cheap_and_new_data_still_arrives(emu: ZoomEmulator, warehouse: Any) -> None:
    _, pipeline = warehouse
    emu.reset()
    s0 = emu.stats()
    load(pipeline, emu, _start())
    s1 = emu.stats()
    full = _requests(s0, s1, "/v2/")
    vanished = emu.truth()["vanished_meetings"]
    assert _errors(s0, s1, "/meetings/{meetingId} 404") >= len(vanished) > 0

    load(pipeline, emu, _start())  # idle: nothing changed in Zoom
    s2 = emu.stats()
    idle = _requests(s1, s2, "/v2/")
    assert idle * 5 < full, (idle, full)
    assert _requests(s1, s2, "/v2/meetings/{meetingId}") == 0  # no detail, registrants or polls
    assert _requests(s1, s2, "/chat/") == 0
    assert sum(n - s1["errors"].get(k, 0) for k, n in s2["errors"].items()) == 0  # the gone are not asked

    # new data in Zoom: a new meeting, and a new instance of a known one (found by reports and recordings)
    known = next(m for m in emu.truth()["tables"]["meetings"] if m["id"] not in vanished)
    added = emu.add_meeting(participants=3)
    again = emu.add_meeting(meeting_id=known["id"], participants=3)
    summary = load(pipeline, emu, _start())
    s3 = emu.stats()
    assert _requests(s2, s3, "/v2/meetings/{meetingId}") >= 1  # the new meeting's detail
    assert (
        sum(summary.avoided.values()) > 0
        and summary.entity_refresh
        and not any(summary.entity_refresh.values())
    )
    uuids = {r[0] for r in warehouse_rows(pipeline, "past_meetings", ["uuid"])}
    assert {added["uuid"], again["uuid"]} <= uuids
    _assert_truth(pipeline, emu)

    # an ended instance older than the lag plus a day without poll results is not asked again; a recent one
    # (the new meetings') is, since a long meeting or Zoom's lag may still bring them
    polls = "GET /v2/past_meetings/{meetingId}/polls"
    assert _exact(s1, s2, polls) < _exact(s0, s1, polls)
    load(pipeline, emu, _start())
    assert _exact(s3, emu.stats(), polls) >= 2
    _assert_truth(pipeline, emu)


def test_changed_meeting_is_read_next_run_and_all_at_the_refresh(emu: ZoomEmulator, tmp_path: Any) -> None:
    emu.reset()
    pipeline = make_pipeline("duckdb", tmp_path)
    load(pipeline, emu, _start())
    truth = emu.truth()
    vanished = set(truth["vanished_meetings"])
    meeting = next(m for m in truth["tables"]["meetings"] if m["id"] not in vanished)
    emu.update_meeting(meeting["id"], agenda="Moved to Thursday")
    gone = sorted(vanished)[0]
    emu.update_meeting(gone, agenda="Still listed, detail 404")  # known gone: its change is not asked about
    before = emu.stats()
    load(pipeline, emu, _start())
    # the host's meeting listing shows the change: that meeting alone is read again between refreshes
    assert _details(before, emu.stats()) == 1
    assert _errors(before, emu.stats(), "404") == 0
    assert _value(pipeline, "agenda", meeting["id"]) == "Moved to Thursday"

    # a due refresh re-reads every listed meeting, the gone ones included (once each)
    before = emu.stats()
    load(pipeline, emu, _start(), entity_refresh_hours=0.0)
    after = emu.stats()
    listed = len(truth["tables"]["meetings"]) + len(vanished)
    assert _details(before, after) == listed
    assert _errors(before, after, "GET /v2/meetings/{meetingId} 404/3001") == len(vanished)
    _assert_truth(pipeline, emu)


def test_refresh_entities_flag_rereads_a_changed_meeting(emu: ZoomEmulator, tmp_path: Any) -> None:
    """Over the console script: --refresh-entities re-reads the entity tables before they are due and says
    so (a renamed meeting loads); the next run reads only what is new and prints what it avoided."""
    emu.reset()
    # the emulator has no limits here: pace loosely (pacing is tested on its own)
    env = cli_env(emu, tmp_path, SOURCES__ZOOM__RATE_LIMIT_OVERRIDES=json.dumps(zoom_helpers.FAST_LIMITS))
    db = str(tmp_path / "zoom_pipeline.duckdb")
    script = os.path.join(os.path.dirname(sys.executable), "zoom-pipeline")
    cmd = [script, "run", "--duckdb-path", db, "--start-date", _start()]
    first = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    vanished = set(emu.truth()["vanished_meetings"])
    meeting = next(m for m in emu.truth()["tables"]["meetings"] if m["id"] not in vanished)
    emu.update_meeting(meeting["id"], topic="Renamed in Zoom")
    forced = subprocess.run(
        cmd + ["--refresh-entities"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert forced.returncode == 0, forced.stderr
    assert "Entity tables: re-read in full" in forced.stdout
    idle = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert idle.returncode == 0, idle.stderr
    assert "avoided" in idle.stdout and "only new or changed" in idle.stdout
    with duckdb.connect(db, read_only=True) as con:
        (topic,) = con.execute("SELECT topic FROM zoom.meetings WHERE id = ?", [meeting["id"]]).fetchone()
    assert topic == "Renamed in Zoom"


@pytest.mark.parametrize("value", ["-1", "daily", float("nan")])
def test_bad_entity_refresh_hours_names_the_setting(value: Any) -> None:
    with pytest.raises(SettingError, match="sources.zoom.entity_refresh_hours"):
        parse_entity_refresh_hours(value)
    assert parse_entity_refresh_hours(None) == 24 and parse_entity_refresh_hours("0.5") == 0.5


def test_a_subset_run_leaves_the_other_tables_of_a_family_due(emu: ZoomEmulator, tmp_path: Any) -> None:
    """`--resources meetings` (or channels) reads the parent alone: the next full run must still read the
    family's children (registrants, polls, members), not take them as refreshed and unchanged for a day."""
    emu.reset()
    pipeline = make_pipeline("duckdb", tmp_path)
    load(pipeline, emu, _start(), resources=["meetings", "channels"])
    load(pipeline, emu, _start())
    _assert_truth(pipeline, emu)


def test_recordings_skipped_for_a_missing_scope_load_in_full_once_it_is_granted(
    emu: ZoomEmulator, tmp_path: Any
) -> None:
    """A run without `recording:read:admin` reads no recording: their cursors stay, so the run after the
    admin grants it reads the whole history, not just the lag window."""
    emu.reset()
    pipeline = make_pipeline("duckdb", tmp_path)
    tables = ["recordings", "recording_files"]
    try:
        emu.configure(missing_scopes=["recording:read:admin"])
        skipped = load(pipeline, emu, _start(), resources=tables)
        assert skipped.steps == 1  # a cursor that stays is not one to walk to now, step after step
    finally:
        emu.configure(missing_scopes=[])
    load(pipeline, emu, _start(), resources=tables)
    truth = emu.truth()
    for table in tables:
        key = table_key(table)
        got, expected = warehouse_rows(pipeline, table, key), truth_rows(truth, table, key)
        assert expected and sorted(map(repr, got)) == sorted(map(repr, expected)), table
