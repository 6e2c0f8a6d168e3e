"""The Zoom source end to end: emulator → dlt → DuckDB and Postgres, compared with the emulator's truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Iterator

import pytest
import zoom_helpers
from zoom_helpers import (
    ZOOM_TABLES,
    count,
    duplicates,
    load,
    make_client,
    make_pipeline,
    table_key,
    truth_rows,
    warehouse_rows,
)

from emulators.zoom import ZoomEmulator

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

HISTORY_DAYS = 60


def _start(emu: Any) -> str:
    return (datetime.now(UTC) - timedelta(days=HISTORY_DAYS)).date().isoformat()


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=11, users=5, days_of_history=HISTORY_DAYS - 5, rate_limits=False) as e:
        yield e


def assert_matches_truth(pipeline: Any, truth: dict, tables=ZOOM_TABLES) -> None:
    for table in tables:
        key = table_key(table)
        expected = truth_rows(truth, table, key)
        got = warehouse_rows(pipeline, table, key)
        assert not duplicates(got), f"{table}: duplicate keys {list(duplicates(got))[:3]}"
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), (
            f"{table}: {len(got)} rows vs truth {len(expected)}; "
            f"missing {sorted(set(expected) - set(got))[:3]}, extra {sorted(set(got) - set(expected))[:3]}"
        )


def test_full_load_matches_truth_then_rerun_loads_nothing_new(emu, warehouse) -> None:
    _, pipeline = warehouse
    emu.reset()
    load(pipeline, emu, _start(emu))
    truth = emu.truth()
    assert_matches_truth(pipeline, truth)
    counts = {t: count(pipeline, t) for t in ZOOM_TABLES}

    before = emu.stats()
    load(pipeline, emu, _start(emu))
    after = emu.stats()
    assert {t: count(pipeline, t) for t in ZOOM_TABLES} == counts

    def calls(stats: dict, template: str) -> int:
        return sum(n for k, n in stats["requests"].items() if template in k)

    hosts = len([u for u in truth["tables"]["users"] if not u["user_key"].startswith("pending:")])
    # the re-run reads only the lag window: one recordings and one report listing per host
    assert calls(after, "/recordings") - calls(before, "/recordings") <= hosts * 2
    assert calls(after, "/report/users") - calls(before, "/report/users") <= hosts * 2


def test_new_data_arrives_in_next_run(emu, warehouse) -> None:
    _, pipeline = warehouse
    emu.reset()
    load(pipeline, emu, _start(emu))
    added = emu.add_meeting(transcript=True)
    load(pipeline, emu, _start(emu))
    uuids = {r[0] for r in warehouse_rows(pipeline, "recordings", ["uuid"])}
    assert added["uuid"] in uuids
    assert_matches_truth(pipeline, emu.truth())


def test_recurring_meeting_keeps_every_instance_and_its_participants(emu, tmp_path) -> None:
    emu.reset()
    pipeline = make_pipeline("duckdb", tmp_path)
    load(pipeline, emu, _start(emu), resources=["past_meetings", "meeting_participants"])
    truth = emu.truth()
    instances = truth["tables"]["past_meetings"]
    loaded = {r[0]: r[1] for r in warehouse_rows(pipeline, "past_meetings", ["uuid", "id"])}
    by_id: dict = {}
    for uuid, mid in loaded.items():
        by_id.setdefault(mid, set()).add(uuid)
    recurring = [mid for mid, uuids in by_id.items() if len(uuids) > 1]
    assert recurring, "the emulator data must hold a recurring meeting with several instances"
    assert {r["uuid"] for r in instances} == set(loaded)
    odd = [u for u in loaded if u.startswith("/") or "//" in u]
    assert odd, "UUIDs that need double encoding must be loaded"
    participants = {r[0] for r in warehouse_rows(pipeline, "meeting_participants", ["meeting_uuid"])}
    expected = {r["meeting_uuid"] for r in truth["tables"]["meeting_participants"]}
    assert expected <= participants and expected


def test_plan_without_webinars_still_loads_everything_else(tmp_path, caplog) -> None:
    with ZoomEmulator(
        seed=3, users=3, days_of_history=30, rate_limits=False, plan_features={"webinars": False}
    ) as e:
        pipeline = make_pipeline("duckdb", tmp_path)
        load(pipeline, e, _start(e), client=make_client(e))
        truth = e.truth()
        assert count(pipeline, "webinars") == 0
        assert_matches_truth(pipeline, truth, [t for t in ZOOM_TABLES if "webinar" not in t])
        warnings = [r for r in caplog.records if "webinars skipped" in r.getMessage()]
        assert len(warnings) == 1


def test_fixed_range_backfill_loads_only_that_range_and_moves_no_cursor(emu, tmp_path) -> None:
    emu.reset()
    pipeline = make_pipeline("duckdb", tmp_path)
    now = datetime.now(UTC)
    start, end = (now - timedelta(days=40)).date(), (now - timedelta(days=20)).date()
    resources = ["past_meetings", "recordings", "report_meetings"]
    load(pipeline, emu, start.isoformat(), resources=resources, end_date=end.isoformat())
    truth = emu.truth(**{"from": start.isoformat(), "to": end.isoformat()})
    assert_matches_truth(pipeline, truth, resources)
    everything = emu.truth()
    assert len(truth["tables"]["past_meetings"]) < len(everything["tables"]["past_meetings"])
    state = pipeline.state.get("sources", {}).get("zoom", {}).get("resources", {})
    assert not any("window_cursor" in state.get(r, {}) for r in resources)
