"""`zoom-pipeline demo`: the whole job on the embedded default, with no Zoom account.

Starts the Zoom and Kendo emulators on loopback, loads a generated account into a local DuckDB file
(with progress), creates the analyst views, pushes the ready calls to the Kendo emulator, prints a short
report and writes the HTML one (`zoom_report.html` in the demo directory).
"""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, List, Optional, Sequence

from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator
from sources.zoom.credentials import ZoomCredentials
from sources.zoom.factory import make_client

from .analyst.report import write_report
from .analyst.views import create_views
from .interrupt import Interrupted
from .load import load_zoom, make_pipeline
from .push import push_from_config
from .run_lock import RunLock

HISTORY_DAYS = 60

# read from the analyst views (docs/ANALYST.md), like the HTML report
REPORT_QUERIES = [
    (
        "Meetings per week",
        "SELECT week_start AS week, ended_instances AS meetings, recorded, with_transcript "
        "FROM v_recording_coverage ORDER BY 1",
    ),
    (
        "Top hosts by meeting minutes",
        "SELECT host_email AS host, sum(minutes) AS minutes FROM v_host_weekly GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5",
    ),
    (
        "Talk time by speaker (transcripts; cues without a speaker count as (unknown))",
        "SELECT speaker, round(sum(seconds_spoken) / 60, 1) AS minutes "
        "FROM v_talk_time GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 6",
    ),
]


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> List[str]:
    cells = [list(map(str, header))] + [[str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]


# Written into the demo directory: only a directory holding it is ever deleted by a later demo run.
DEMO_MARKER = ".zoom-pipeline-demo"


def prepare_demo_dir(out_dir: str) -> Path:
    """Makes an empty demo directory: a new or empty one, or one an earlier demo made (emptied first).

    Raises:
        ValueError: `out_dir` is a file, or a non-empty directory without the demo's marker file.
    """
    out = Path(out_dir).resolve()
    if out.exists():
        mine = (out / DEMO_MARKER).is_file()
        if not out.is_dir() or (any(out.iterdir()) and not mine):
            raise ValueError(
                f"--dir {out} is not empty and was not made by zoom-pipeline demo; "
                "give a new or empty directory (the demo deletes its directory on the next run)"
            )
        shutil.rmtree(out)  # the emulator's account is regenerated each time, so start clean
    out.mkdir(parents=True)
    (out / DEMO_MARKER).write_text(
        "made by `zoom-pipeline demo`, which deletes this directory on its next run\n"
    )
    return out


def run_demo(
    out_dir: str = "./demo_output",
    users: int = 8,
    stop: Optional[threading.Event] = None,
    wait_lock: float = 0,
) -> int:
    """Runs the demo end to end and prints the report. Returns the process exit code.

    `stop` (set on Ctrl-C / SIGTERM) ends the load and the push early; the emulators stop with the block.
    """
    stop = stop or threading.Event()
    # the demo empties its directory first: lock the directory itself, so a second demo waits or exits 75
    with RunLock.for_directory("zoom_demo", Path(out_dir), wait_lock, stop):
        return _run_demo(prepare_demo_dir(out_dir), users, stop)


def _run_demo(out: Path, users: int, stop: threading.Event) -> int:
    db_path = out / "zoom_pipeline.duckdb"
    started = time.monotonic()
    print(
        f"Starting the Zoom and Kendo emulators on 127.0.0.1 ({users} users, {HISTORY_DAYS} days of history)…"
    )
    with (
        ZoomEmulator(
            seed=2026, users=users, days_of_history=HISTORY_DAYS - 2, latency_ms=20, jitter_ms=10
        ) as zoom,
        KendoEmulator(latency_ms=20, strict=True) as kendo,
    ):
        creds = ZoomCredentials()
        creds.account_id, creds.client_id, creds.client_secret = (
            zoom.account_id,
            zoom.client_id,
            zoom.client_secret,
        )
        client = make_client(creds, base_url=zoom.api_base, token_url=zoom.token_url, rate_limit_plan="pro")
        client.stop = stop
        pipeline = make_pipeline(
            "duckdb", "zoom", str(db_path), pipeline_name="zoom_demo", pipelines_dir=str(out / "pipelines")
        )
        with RunLock.for_pipeline(pipeline, 0, stop):
            start = (datetime.now(UTC) - timedelta(days=HISTORY_DAYS)).date().isoformat()
            print(f"Loading Zoom → {db_path} (pro-plan rate limits; progress below)…")
            summary = load_zoom(pipeline, client, start_date=start)
            print("\n".join(summary.lines()))
            print(f"Analyst views: {', '.join(create_views(pipeline))} (docs/ANALYST.md)")

            print(f"\nPushing ready calls to the Kendo emulator at {kendo.ingest_url} …")
            # strict Kendo fetches every audioUrl, so the default zoom_token mode must hand it working URLs
            report = push_from_config(
                pipeline,
                api_key=kendo.api_key,
                ingest_url=kendo.ingest_url,
                rate_per_second=20,
                client=client,
                stop=stop,
            )
            print("\n".join(report.lines()))
            received = len(kendo.received())
    if stop.is_set():
        raise Interrupted()

    print("\n== Report ==")
    with pipeline.sql_client() as c:
        for title, query in REPORT_QUERIES:
            with c.execute_query(query) as cur:
                header = [d[0] for d in cur.description]
                rows = cur.fetchall()
            print(f"\n{title}:")
            print("\n".join(_table(rows, header)))
    report_path = write_report(pipeline, str(out / "zoom_report.html"))
    print(f"\nKendo received {received} call(s).")
    print(f"Done in {time.monotonic() - started:.1f} s. DuckDB file: {db_path}")
    print("Open it for SQL (dataset `zoom`):")
    print(
        f'  zoom-pipeline sql --duckdb-path "{db_path}" "SELECT title, rep_email, call_date, ready FROM calls LIMIT 10"'
    )
    print(f"Report (charts, opens offline in a browser): {report_path}")
    return 3 if report.unfinished() else 0
