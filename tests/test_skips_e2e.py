"""Children of deleted parents are skipped and counted, and the counts reach the load summary (and so the
CLI): meetings deleted between the listing and the detail call, and a plan without webinars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zoom_helpers import duplicates, load, make_pipeline, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator

START = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
MEETING_TABLES = ["meetings", "meeting_registrants", "meeting_polls", "past_meetings"]


def test_meetings_deleted_mid_sync_are_skipped_counted_and_reported(tmp_path) -> None:
    with ZoomEmulator(seed=23, users=4, days_of_history=30, rate_limits=False, vanish_meetings=2) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        summary = load(pipeline, emu, START, resources=["users", *MEETING_TABLES])
        truth = emu.truth()
        stats = emu.stats()["requests"]

    vanished = truth["vanished_meetings"]
    assert len(vanished) == 2
    assert stats["GET /v2/meetings/{meetingId}"] > 2  # the deleted ones were asked for, among others

    # the load went on: everything else matches the truth (which leaves the deleted meetings out)
    for table in MEETING_TABLES:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        assert not duplicates(got), table
        assert sorted(map(repr, got)) == sorted(map(repr, truth_rows(truth, table, key))), table
    ids = {r[0] for r in warehouse_rows(pipeline, "meetings", ["id"])}
    assert ids and not ids & set(vanished)

    # ... and the user is told how many were skipped, and why
    assert summary.skipped == {"meetings: not found (code 3001)": 2}
    lines = summary.lines()
    at = lines.index("Skipped (deleted or expired in Zoom):")
    assert lines[at + 1] == "  meetings: not found (code 3001): 2"


def test_a_plan_without_webinars_is_reported_as_a_missing_feature(tmp_path) -> None:
    with ZoomEmulator(seed=24, users=2, rate_limits=False, plan_features={"webinars": False}) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        summary = load(pipeline, emu, START, resources=["users", "webinars"])

    assert summary.rows.get("users") == 2 and not summary.skipped
    assert list(summary.features_missing) == ["webinars"]
    assert "webinar plan is missing" in summary.features_missing["webinars"].lower()
    lines = summary.lines()
    at = lines.index("Skipped (feature not available to this account or app):")
    assert lines[at + 1].startswith("  webinars: ")


def test_a_missing_scope_skips_its_tables_for_the_account_with_one_warning(tmp_path, caplog) -> None:
    # 4711 is account-wide by nature: one warning for the whole load (three steps here), the rest loads
    tables = ["users", "meetings", "recordings", "report_meetings"]
    with ZoomEmulator(
        seed=25, users=3, days_of_history=60, rate_limits=False, missing_scopes=["report:read:admin"]
    ) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        start = (datetime.now(UTC) - timedelta(days=65)).date().isoformat()
        with caplog.at_level("WARNING"):
            summary = load(pipeline, emu, start, resources=tables, windows_per_run=1)
        truth = emu.truth()

    assert summary.steps >= 3
    assert list(summary.features_missing) == ["report_meetings"]
    assert "report:read:admin" in summary.features_missing["report_meetings"]
    warned = [r.getMessage() for r in caplog.records if "report_meetings" in r.getMessage()]
    assert len(warned) == 1 and "scopes" in warned[0], warned
    assert not warehouse_rows(pipeline, "report_meetings", ["uuid"])
    for table in ("users", "meetings", "recordings"):
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        assert sorted(map(repr, got)) == sorted(map(repr, truth_rows(truth, table, key))), table


def test_meetings_with_polls_off_skip_only_their_polls(tmp_path) -> None:
    # polls are an admin setting per user: 400/4400 for that host's meetings, not for the account
    tables = ["meetings", "meeting_polls", "meeting_poll_results"]
    with ZoomEmulator(seed=26, users=5, days_of_history=30, rate_limits=False, polls_disabled_users=2) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        summary = load(pipeline, emu, START, resources=["users", *tables])
        truth = emu.truth()

    assert len(truth["polls_disabled_users"]) == 2
    for table in tables:
        key = table_key(table)
        expected = truth_rows(truth, table, key)
        assert expected, table
        assert sorted(map(repr, warehouse_rows(pipeline, table, key))) == sorted(map(repr, expected)), table
    assert not summary.features_missing
    skipped = summary.parents_without_feature
    assert set(skipped) == {
        "meeting_polls: meetings without the feature (code 4400)",
        "meeting_poll_results: meeting instances without the feature (code 4400)",
    }
    assert all(n > 0 for n in skipped.values())
