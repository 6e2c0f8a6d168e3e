"""A Zoom + Kendo world for the console-script tests of issue 12 (locks, uncertain calls, signals, exit
codes): emulators on loopback, a warehouse (DuckDB file or Postgres schema), and `zoom-pipeline` runs as
real processes with the environment a user would set."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

import dlt
from zoom_helpers import cli_env

from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
START = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
INTERRUPTED_LINE = "zoom-pipeline: interrupted; finished steps are kept, run again to resume"


@dataclass
class World:
    zoom: ZoomEmulator
    kendo: KendoEmulator
    tmp: Path
    kind: str  # duckdb | postgres
    dataset: str = "zoom"
    postgres_url: Optional[str] = None
    extra_env: Dict[str, str] = field(default_factory=dict)

    def env(self, data_dir: str = "dlt") -> Dict[str, str]:
        env = cli_env(
            self.zoom,
            self.tmp,
            DESTINATION__KENDO__API_KEY=self.kendo.api_key,
            DESTINATION__KENDO__INGEST_URL=self.kendo.ingest_url,
            DLT_DATA_DIR=str(self.tmp / data_dir),
        )
        if self.postgres_url:
            env["DESTINATION__POSTGRES__CREDENTIALS"] = self.postgres_url
        env.update(self.extra_env)
        return env

    def warehouse_args(self) -> List[str]:
        if self.kind == "duckdb":
            return ["--duckdb-path", str(self.tmp / "zoom_pipeline.duckdb")]
        return ["--destination", "postgres", "--dataset", self.dataset]

    def args(self, command: str, *extra: str) -> List[str]:
        start = ["--start-date", START] if command == "run" else []
        return [SCRIPT, command, *self.warehouse_args(), *start, *extra]

    def cli(self, command: str, *extra: str, data_dir: str = "dlt", timeout: float = 300) -> Any:
        return subprocess.run(
            self.args(command, *extra),
            env=self.env(data_dir),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, command: str, *extra: str, data_dir: str = "dlt") -> "Proc":
        return Proc(
            subprocess.Popen(
                self.args(command, *extra),
                env=self.env(data_dir),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )

    def pipeline(self) -> Any:
        if self.kind == "duckdb":
            dest: Any = dlt.destinations.duckdb(str(self.tmp / "zoom_pipeline.duckdb"))
        else:
            dest = dlt.destinations.postgres(self.postgres_url)
        return dlt.pipeline(
            "zoom_pipeline_check",
            destination=dest,
            dataset_name=self.dataset,
            pipelines_dir=str(self.tmp / "check"),
        )

    def query(self, sql: str) -> List[Any]:
        with self.pipeline().sql_client() as c:
            table = c.make_qualified_table_name
            return list(c.execute_sql(sql.format(ledger=table("kendo_sync"), calls=table("calls"))) or [])

    def ledger(self) -> Dict[str, str]:
        """zoom_meeting_uuid -> status."""
        return dict(self.query("SELECT zoom_meeting_uuid, status FROM {ledger}"))

    def ready_calls(self) -> set:
        return {r[0] for r in self.query("SELECT meeting_uuid FROM {calls} WHERE ready")}

    def received(self) -> List[str]:
        return [c["metadata"]["zoomMeetingUuid"] for c in self.kendo.received()]


class Proc:
    """A running console script whose stdout and stderr are drained by threads (so it never blocks)."""

    def __init__(self, popen: subprocess.Popen) -> None:
        self.popen = popen
        self.out: List[str] = []
        self.err: List[str] = []
        self._threads = [
            threading.Thread(target=self._drain, args=(popen.stdout, self.out), daemon=True),
            threading.Thread(target=self._drain, args=(popen.stderr, self.err), daemon=True),
        ]
        for t in self._threads:
            t.start()

    @staticmethod
    def _drain(stream: Any, into: List[str]) -> None:
        for line in stream:
            into.append(line)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Waits until stderr or stdout shows `text`; fails if the process ends first."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.err + self.out):
            if self.popen.poll() is not None:
                self.finish(5)
                raise AssertionError(f"ended (rc={self.popen.returncode}) before {text!r}:\n{self.stderr[-3000:]}")
            if time.monotonic() > deadline:
                self.popen.kill()
                raise AssertionError(f"no {text!r} within {timeout} s:\n{self.stderr[-3000:]}")
            time.sleep(0.05)

    def finish(self, timeout: float) -> int:
        rc = self.popen.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=10)
        return rc

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)
