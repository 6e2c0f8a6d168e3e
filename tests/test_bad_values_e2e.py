"""Malformed values from Zoom are set aside in `rejected_rows`; every other row loads, and the run goes on."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any, Iterator

import pytest
import zoom_helpers
from test_cli_e2e import SCRIPT, cli_env
from test_source_e2e import ZOOM_TABLES, assert_matches_truth
from zoom_helpers import RECORDING_TABLES, load, make_pipeline, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

HISTORY_DAYS = 40
BAD_JOIN_TIME = [{"rows": "meeting_participants", "field": "join_time", "value": "not-a-date"}]
BAD_RECORDINGS = [
    {"rows": "recordings", "field": "start_time", "value": "not-a-date"},
    {"rows": "recordings", "field": "duration", "value": "n/a"},
]
BAD_DURATION = [{"rows": "meeting_participants", "field": "duration", "value": "twelve minutes"}]


def _start() -> str:
    return (datetime.now(UTC) - timedelta(days=HISTORY_DAYS)).date().isoformat()


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(
        seed=21, users=3, days_of_history=HISTORY_DAYS - 5, rate_limits=False, bad_values=BAD_JOIN_TIME
    ) as e:
        yield e


def rejected(pipeline: Any) -> list:
    rows = warehouse_rows(pipeline, "rejected_rows", ["table_name", "reason", "row_key", "payload"])
    return [(t, reason, key, json.loads(payload)) for t, reason, key, payload in rows]


def expected_rejects(truth: dict) -> list:
    return sorted((r["table_name"], r["meeting_uuid"], r["user_id"]) for r in truth["rejected_rows"])


def test_one_malformed_participant_row_lands_in_rejected_rows_and_the_rest_is_exact(emu, warehouse) -> None:
    _, pipeline = warehouse
    emu.reset()
    summary = load(pipeline, emu, _start())
    truth = emu.truth()
    assert truth["rejected_rows"], "the emulator must serve the malformed row"
    assert_matches_truth(pipeline, truth, ZOOM_TABLES)

    got = rejected(pipeline)
    assert sorted((t, p["meeting_uuid"], p["user_id"]) for t, _, _, p in got) == expected_rejects(truth)
    for _, reason, key, payload in got:
        assert "join_time" in reason and payload["join_time"] == "not-a-date"
        assert payload["user_id"] in key
    assert summary.rejected == dict(Counter(r["table_name"] for r in truth["rejected_rows"]))

    # a re-run sets the same rows aside again without duplicating them
    load(pipeline, emu, _start())
    assert len(rejected(pipeline)) == len(got)


def test_malformed_recordings_are_set_aside_not_lost_silently(warehouse) -> None:
    _, pipeline = warehouse
    with ZoomEmulator(
        seed=21, users=3, days_of_history=HISTORY_DAYS - 5, rate_limits=False, bad_values=BAD_RECORDINGS
    ) as e:
        summary = load(pipeline, e, _start(), resources=["recordings", "past_meetings"])
        truth = e.truth()
    assert_matches_truth(pipeline, truth, ["past_meetings", *RECORDING_TABLES])
    cols = ["meeting_uuid", "ready", "has_transcript", "has_audio", "processing"]
    assert sorted(warehouse_rows(pipeline, "calls", cols)) == sorted(truth_rows(truth, "calls", cols))
    got = sorted((t, p["uuid"], reason.split(":")[0]) for t, reason, _, p in rejected(pipeline))
    assert got == sorted(("recordings", r["uuid"], r["field"]) for r in truth["rejected_rows"])
    assert summary.rejected == {"recordings": 2}


def test_a_string_where_zoom_sends_an_int_never_retypes_the_column(tmp_path) -> None:
    with ZoomEmulator(
        seed=21, users=3, days_of_history=HISTORY_DAYS - 5, rate_limits=False, bad_values=BAD_DURATION
    ) as e:
        pipeline = make_pipeline("duckdb", tmp_path)
        load(pipeline, e, _start(), resources=["meeting_participants", "report_meeting_participants"])
        truth = e.truth()
        assert_matches_truth(pipeline, truth, ["meeting_participants", "report_meeting_participants"])
        columns = pipeline.default_schema.get_table_columns("meeting_participants")
        assert columns["duration"]["data_type"] == "bigint"
        assert not [c for c in columns if c.startswith("duration__v")]
        assert len(rejected(pipeline)) == len(truth["rejected_rows"]) >= 1


def test_cli_run_with_a_malformed_row_exits_0_and_prints_the_count(tmp_path) -> None:
    with ZoomEmulator(
        seed=21, users=3, days_of_history=HISTORY_DAYS - 5, rate_limits=False, bad_values=BAD_JOIN_TIME
    ) as e:
        args = [
            SCRIPT,
            "run",
            "--duckdb-path",
            str(tmp_path / "zoom_pipeline.duckdb"),
            "--start-date",
            _start(),
        ]
        args += ["--resources", "meeting_participants"]
        done = subprocess.run(args, env=cli_env(e, tmp_path), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        n = sum(1 for r in e.truth()["rejected_rows"] if r["table_name"] == "meeting_participants")
        assert n >= 1
        assert f"meeting_participants: {n} row(s) in rejected_rows" in done.stdout, done.stdout
