"""Deletion events mark rows, never drop them, and the marks survive the scheduled `run` (DuckDB and
Postgres): meeting.deleted marks the meeting, its registrants and polls and its past instances;
recording.trashed marks the recording's rows, recording.recovered clears them; one deleted occurrence of a
recurring meeting marks nothing; a re-run that re-reads those rows (a deleted meeting's
instance is still found through its recording) neither drops them nor clears the marks."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import duckdb
import pytest
from webhook_helpers import SCRIPT, SECRET, Receiver, wait_for

from emulators.zoom import ZoomEmulator
from sources.zoom import registry

START = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
MARKED = [t.name for t in registry.TABLES if t.marked_by]


def _reader(tmp: Path, postgres_url: str, dataset: str) -> Callable[[str], List[Tuple[Any, ...]]]:
    def read(sql: str) -> List[Tuple[Any, ...]]:
        if not postgres_url:
            with duckdb.connect(str(tmp / "hooks.duckdb"), read_only=True) as db:
                return db.execute(sql.replace("{ds}", dataset)).fetchall()
        import psycopg2

        with psycopg2.connect(postgres_url) as conn, conn.cursor() as cur:
            cur.execute(sql.replace("{ds}", f'"{dataset}"'))
            return list(cur.fetchall())

    return read


def _snapshot(read: Callable[[str], List[Tuple[Any, ...]]]) -> Dict[str, Tuple[int, List[Any]]]:
    """Per marked table: its row count and the sorted (key, mark) of its marked rows."""
    out = {}
    for table in MARKED:
        keys = ", ".join(registry.table(table).key_fields)
        count = read(f"SELECT count(*) FROM {{ds}}.{table}")[0][0]
        marked = read(
            f"SELECT {keys}, _zoom_deleted_at FROM {{ds}}.{table} WHERE _zoom_deleted_at IS NOT NULL"
        )
        out[table] = (count, sorted(marked, key=str))
    return out


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_deletion_marks_stay_through_a_scheduled_rerun(
    destination: str, tmp_path: Path, request: Any
) -> None:
    postgres_url = request.getfixturevalue("postgres_url") if destination == "postgres" else ""
    dataset = request.getfixturevalue("postgres_dataset") if destination == "postgres" else "zoom"
    where = ["--destination", "postgres", "--dataset", dataset] if postgres_url else []
    read = _reader(tmp_path, postgres_url, dataset)
    with ZoomEmulator(seed=31, users=1, days_of_history=6, rate_limits=False, latency_ms=0) as emu:
        # lag_days covers the whole range: every run re-reads (and re-merges) every instance
        env = {"SOURCES__ZOOM__START_DATE": START, "SOURCES__ZOOM__LAG_DAYS": "30"}
        if postgres_url:
            env["DESTINATION__POSTGRES__CREDENTIALS"] = postgres_url
        r = Receiver(emu, tmp_path, *where, env=env)

        def run() -> None:
            args = where or ["--duckdb-path", str(tmp_path / "hooks.duckdb")]
            done = subprocess.run(
                [SCRIPT, "run", *args], env=r.env, cwd=tmp_path, capture_output=True, text=True, timeout=600
            )
            assert done.returncode == 0, done.stderr[-3000:]

        run()
        # dlt made the column from the registry's hints, before any deletion: a nullable timestamp
        declared = read(
            "SELECT table_name, data_type, is_nullable FROM information_schema.columns "
            f"WHERE table_schema = '{dataset}' AND column_name = '_zoom_deleted_at'"
        )
        made = {
            t
            for (t,) in read(
                f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{dataset}'"
            )
        }
        assert {t for t, _, _ in declared} == {t for t in MARKED if t in made} and "recording_files" in made
        assert {(d.lower(), n) for _, d, n in declared} == {("timestamp with time zone", "YES")}
        # a listed meeting with registrants or polls and a recorded instance; and another recording
        meeting_id, meeting_uuid = read(
            "SELECT p.id, p.uuid FROM {ds}.past_meetings p JOIN {ds}.recordings r ON r.uuid = p.uuid "
            "WHERE p.id IN (SELECT id FROM {ds}.meetings) AND p.id IN (SELECT meeting_id FROM "
            "{ds}.meeting_registrants UNION SELECT meeting_id FROM {ds}.meeting_polls) ORDER BY p.uuid LIMIT 1"
        )[0]
        kept = read(f"SELECT id FROM {{ds}}.meetings WHERE id <> {meeting_id} ORDER BY id LIMIT 1")[0][0]
        others = read(f"SELECT uuid FROM {{ds}}.recordings WHERE id <> {meeting_id} ORDER BY uuid LIMIT 2")
        trashed, recovered = [u for (u,) in others]
        with r:
            emu.subscribe_webhooks(f"{r.url}/zoom/webhooks", SECRET, time_scale=0.001)
            emu.delete_meeting(kept, occurrence=True)  # one occurrence: the meeting stays
            emu.delete_meeting(meeting_id)
            emu.delete_recording(trashed)
            emu.delete_recording(recovered)
            wait_for(lambda: r.metrics().get("processed_total") == 4, 60, r.output)
            emu.recover_recording(recovered)  # out of the trash: loaded again, its marks cleared
            wait_for(lambda: r.metrics().get("processed_total") == 5, 60, r.output)
        before = _snapshot(read)
        loaded = read(f"SELECT _dlt_load_id FROM {{ds}}.past_meetings WHERE uuid = '{meeting_uuid}'")
        run()
        after = _snapshot(read)
        reloaded = read(f"SELECT _dlt_load_id FROM {{ds}}.past_meetings WHERE uuid = '{meeting_uuid}'")

    def marked(table: str, column: str) -> set:
        return {
            str(v) for (v,) in read(f"SELECT {column} FROM {{ds}}.{table} WHERE _zoom_deleted_at IS NOT NULL")
        }

    assert marked("meetings", "id") == {str(meeting_id)}
    assert marked("past_meetings", "id") == {str(meeting_id)}
    assert marked("meeting_registrants", "meeting_id") | marked("meeting_polls", "meeting_id") == {
        str(meeting_id)
    }
    for table, column in registry.marked_by(registry.RECORDING_DELETED):
        assert marked(table, column) in ({trashed}, set()), table
    assert marked("recordings", "uuid") == marked("calls", "meeting_uuid") == {trashed}
    assert read(f"SELECT count(*) FROM {{ds}}.recording_files WHERE meeting_uuid = '{recovered}'")[0][0] > 0
    assert all(before[t][1] for t in ("meetings", "past_meetings", "recordings", "recording_files", "calls"))
    assert reloaded != loaded  # the re-run did re-write the deleted meeting's instance...
    assert after == before  # ...and no row was dropped, no mark cleared or moved
