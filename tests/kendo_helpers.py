"""Helpers for the Kendo tests: warehouse pipelines (DuckDB / Postgres) holding `calls` rows, and a fixture
that runs each test on both. Import the fixtures into a test module: `from kendo_helpers import warehouse`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import dlt
import pytest

from destinations.kendo import LEDGER_COLUMNS, LEDGER_TABLE

HERE = Path(__file__).parent

# column hints so that columns that are null in every row still exist (as the real calls table has them)
CALLS_COLUMNS: dict[str, Any] = {
    "meeting_uuid": {"data_type": "text", "nullable": False},
    "meeting_id": {"data_type": "bigint"},
    "title": {"data_type": "text"},
    "rep_name": {"data_type": "text"},
    "rep_email": {"data_type": "text"},
    "call_date": {"data_type": "timestamp"},
    "duration_minutes": {"data_type": "bigint"},
    "audio_url": {"data_type": "text"},
    "audio_file_id": {"data_type": "text"},
    "transcript": {"data_type": "text"},
    "has_transcript": {"data_type": "bool"},
    "has_audio": {"data_type": "bool"},
    "processing": {"data_type": "bool"},
    "ready": {"data_type": "bool"},
    "host_id": {"data_type": "text"},
    "recording_start": {"data_type": "timestamp"},
}

BASE_DATE = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)


def call_row(
    i: int, *, audio: bool = True, transcript: bool = True, processing: bool = False, **over: Any
) -> dict:
    """A `calls` row (CONTRACTS §5) for meeting number i."""
    row = {
        "meeting_uuid": f"uuid-{i:03d}/x==",
        "meeting_id": 987654000 + i,
        "title": f"Demo {i}",
        "rep_name": f"Rep {i % 3}",
        "rep_email": f"rep{i % 3}@yourco.com",
        "call_date": BASE_DATE + timedelta(hours=i),
        "duration_minutes": 30 + i,
        "audio_url": f"https://zoom.example/rec/download/{i}.m4a" if audio else None,
        "audio_file_id": f"file-{i}" if audio else None,
        "transcript": f"Rep: Hello {i}\nCustomer: Hi" if transcript else None,
        "has_transcript": transcript,
        "has_audio": audio,
        "processing": processing,
        "host_id": f"host{i % 3}",
        "recording_start": BASE_DATE + timedelta(hours=i),
    }
    row.update(over)
    row.setdefault("ready", bool((row["audio_url"] or row["transcript"]) and not row["processing"]))
    return row


def kendo_body(row: dict) -> dict:
    """What Kendo must receive for a row (written out independently of destinations.kendo.payload)."""
    body: dict[str, Any] = {
        "callTitle": row["title"],
        "repName": row["rep_name"],
        "repEmail": row["rep_email"],
        "callDate": row["call_date"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "duration": row["duration_minutes"],
    }
    if row["audio_url"]:
        body["audioUrl"] = row["audio_url"]
    if row["transcript"]:
        body["transcript"] = row["transcript"]
    body["metadata"] = {
        "source": "zoom",
        "zoomMeetingUuid": row["meeting_uuid"],
        "zoomMeetingId": str(row["meeting_id"]),
    }
    return body


def bodies(received: list[dict]) -> list[dict]:
    """Emulator records without the callId Kendo added."""
    return [{k: v for k, v in r.items() if k != "callId"} for r in received]


def received_uuids(received: list[dict]) -> list[str]:
    return [r["metadata"]["zoomMeetingUuid"] for r in received]


@dataclass
class Warehouse:
    """A warehouse (DuckDB file or Postgres schema) and the name of the dlt pipeline that loads it."""

    kind: str
    pipeline_name: str
    dataset: str
    duckdb_path: str | None = None
    postgres_url: str | None = None

    def destination(self) -> Any:
        if self.kind == "duckdb":
            return dlt.destinations.duckdb(self.duckdb_path)
        return dlt.destinations.postgres(self.postgres_url or "")

    def pipeline(self) -> dlt.Pipeline:
        return dlt.pipeline(self.pipeline_name, destination=self.destination(), dataset_name=self.dataset)

    def load(self, rows: list[dict]) -> Any:
        p = self.pipeline()
        info = p.run(
            rows,
            table_name="calls",
            write_disposition="merge",
            primary_key="meeting_uuid",
            columns=CALLS_COLUMNS,
        )
        return info

    def ledger(self) -> dict[str, dict]:
        p = self.pipeline()
        with p.sql_client() as c:
            table = c.make_qualified_table_name(LEDGER_TABLE)
            try:
                rows = c.execute_sql(f"SELECT {', '.join(LEDGER_COLUMNS)} FROM {table}")
            except Exception:
                return {}
        return {r[0]: dict(zip(LEDGER_COLUMNS, r, strict=True)) for r in rows or []}

    def count_calls(self) -> int:
        with self.pipeline().sql_client() as c:
            return int(c.execute_sql(f"SELECT COUNT(*) FROM {c.make_qualified_table_name('calls')}")[0][0])

    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "pipeline_name": self.pipeline_name,
            "dataset": self.dataset,
            "duckdb_path": self.duckdb_path,
            "postgres_url": self.postgres_url,
        }


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Warehouse:
    """The test's warehouse, once on DuckDB and once on Postgres (a unique schema, dropped afterwards)."""
    if request.param == "duckdb":
        return Warehouse("duckdb", "zoom_wh", "zoom", duckdb_path=str(tmp_path / "zoom_wh.duckdb"))
    url = request.getfixturevalue("postgres_url")
    dataset = request.getfixturevalue("postgres_dataset")
    return Warehouse("postgres", "zoom_wh", dataset, postgres_url=url)


def start_push_process(spec: dict, env_extra: dict | None = None, **push_args: Any) -> subprocess.Popen:
    """Runs `push_calls` in a child process (tests/kendo_push_proc.py), with this process's dlt env."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent), **(env_extra or {})}
    return subprocess.Popen(
        [
            sys.executable,
            str(HERE / "kendo_push_proc.py"),
            json.dumps({"warehouse": spec, "push": push_args}),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def audio_app() -> Any:
    """A tiny file server for strict-mode tests: an audio file, an HTML page and a 404."""
    from aiohttp import web

    async def audio(request: web.Request) -> web.Response:
        return web.Response(body=b"\x00\x00\x00\x18ftypM4A fake audio", content_type="audio/mp4")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text="<!DOCTYPE html><html><body>Sign in</body></html>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/rec/audio.m4a", audio)
    app.router.add_get("/rec/login", page)
    return app
