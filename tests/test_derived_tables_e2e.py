"""Tables built from recordings: selectable by their own names, and without columns copied from `recordings`."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta

import zoom_helpers
from test_cli_e2e import SCRIPT, cli_env
from zoom_helpers import load, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator
from pipelines.tables import table_rows

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

START = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
DERIVED = [
    "recording_files",
    "transcripts",
    "transcript_segments",
    "caption_segments",
    "chat_messages",
    "calls",
]
# the column hints of `recordings` that used to be copied onto every table built from it
RECORDING_ONLY = ["id", "type", "duration", "total_size", "recording_count"]
CALL_COLUMNS = ["meeting_uuid", "ready", "has_transcript", "has_audio", "processing"]


def test_resources_calls_loads_what_calls_needs_and_no_copied_columns(warehouse) -> None:
    _, pipeline = warehouse
    knobs = dict(phone_licences=0.5, phone_calls_per_user=2, phone_transcript_faults={})
    with ZoomEmulator(seed=21, users=3, days_of_history=35, rate_limits=False, **knobs) as emu:
        load(pipeline, emu, START, resources=["calls"])
        truth = emu.truth()
    rows = warehouse_rows(pipeline, "calls", CALL_COLUMNS)
    meetings = sorted(r for r in rows if not str(r[0]).startswith("zoom_phone:"))
    assert meetings == sorted(truth_rows(truth, "calls", CALL_COLUMNS)) and meetings
    # `calls` holds Zoom Phone's recorded calls too (keyed "zoom_phone:<recording id>"): --resources calls
    # brings them as well
    phone = {r[0] for r in rows if str(r[0]).startswith("zoom_phone:")}
    assert phone == {f"zoom_phone:{c['recording_id']}" for c in truth["phone"]["calls"]} and phone

    schema = pipeline.default_schema
    for table in DERIVED:
        columns = schema.get_table_columns(table)
        for name in RECORDING_ONLY:
            if name in columns:  # only where the table's own rows carry it (recording_files.id)
                values = [v for (v,) in warehouse_rows(pipeline, table, [name]) if v is not None]
                assert values, f"{table}.{name} is always NULL: a hint copied from recordings"
    assert schema.get_table_columns("recording_files")["id"]["data_type"] == "text"


def test_every_table_that_tables_lists_is_a_valid_resources_name(tmp_path) -> None:
    names = [row[0].strip("`") for row in table_rows()]
    assert "calls" in names and "rejected_rows" in names
    with ZoomEmulator(seed=21, users=2, days_of_history=10, rate_limits=False) as emu:
        args = [SCRIPT, "run", "--duckdb-path", str(tmp_path / "zoom_pipeline.duckdb"), "--start-date", START]
        done = subprocess.run(
            [*args, "--resources", ",".join(names)],
            env=cli_env(emu, tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
