"""`zoom-pipeline run --instances UUID,...`: a second discoverer feeding the same instance stream as the
month windows' listings. The time-bound tables load exactly the given instances; cursors don't move."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterator, Set

import pytest
from test_cli_e2e import SCRIPT, cli_env, warehouse
from zoom_helpers import table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator
from sources.zoom import registry

# the tables a meeting instance, its recording or its usage report feeds, keyed by the instance's UUID first
BY_INSTANCE = list(
    dict.fromkeys(
        registry.wanting(registry.MEETING_INSTANCE)
        + registry.wanting(registry.RECORDING)
        + registry.wanting(registry.REPORT)
    )
)


@pytest.fixture
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=7, users=3, days_of_history=40, rate_limits=False) as e:
        yield e


def _uuids(truth: dict, table: str) -> Set[str]:
    return {r.get("uuid") or r.get("meeting_uuid") for r in truth["tables"][table]}


def _only(rows: Any, uuids: Set[str]) -> list:
    return sorted(repr(r) for r in rows if r[0] in uuids)


def test_run_with_instances_loads_exactly_those(emu: ZoomEmulator, tmp_path: Path) -> None:
    truth = emu.truth()
    recorded = sorted(_uuids(truth, "recordings") & _uuids(truth, "past_meetings"))
    unrecorded = sorted(_uuids(truth, "past_meetings") - _uuids(truth, "recordings"))
    assert len(recorded) >= 2 and unrecorded, "the emulator account should hold both kinds"
    chosen = {recorded[0], recorded[-1], unrecorded[0]}
    asked = ",".join(sorted(chosen) + [recorded[0]])  # a repeat is read once

    out = subprocess.run(
        [SCRIPT, "run", "--duckdb-path", str(tmp_path / "zoom_pipeline.duckdb"), "--instances", asked],
        env=cli_env(emu, tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]

    pipeline = warehouse(tmp_path)
    for table in BY_INSTANCE:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        expected = truth_rows(truth, table, key)
        assert _only(got, chosen) == sorted(map(repr, got)), f"{table}: rows of other instances"
        assert _only(got, chosen) == _only(expected, chosen), table
    assert {r[0] for r in warehouse_rows(pipeline, "past_meetings", ["uuid"])} == chosen
    reported = {r[0] for r in warehouse_rows(pipeline, "report_meetings", ["uuid"])}
    assert reported and reported == chosen & _uuids(truth, "report_meetings")
    # only the given instances' tables: no entities, and no cursor moved
    for table in ("users", "meetings"):
        assert warehouse_rows(pipeline, table, table_key(table)) == []
    resources = pipeline.state.get("sources", {}).get("zoom", {}).get("resources", {})
    assert not any("window_cursor" in s for s in resources.values())
