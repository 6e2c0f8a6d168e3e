"""`zoom-pipeline webhooks serve` as a real process for the webhook tests and the bench: start, wait,
read metrics and the queue file, stop (SIGTERM) or kill (SIGKILL)."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import requests
from zoom_helpers import cli_env

from emulators._server import free_port

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
SECRET = "whsec-e2e"


def hook_url(r: "Receiver") -> str:
    """Where the emulator delivers to a running receiver."""
    return f"{r.url}/zoom/webhooks"


class Receiver:
    """One `webhooks serve` process on 127.0.0.1 (DuckDB file under `tmp` unless `args` say otherwise)."""

    def __init__(
        self, emu: Any, tmp: Path, *args: str, env: Optional[Dict[str, str]] = None, port: int = 0
    ) -> None:
        self.emu, self.tmp = emu, tmp
        self.port = port or free_port()
        self.args = list(args)
        self.env = cli_env(emu, tmp, SOURCES__ZOOM__WEBHOOK_SECRET_TOKEN=SECRET, **(env or {}))
        self.proc: Optional[subprocess.Popen] = None
        self.log = tmp / f"serve-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Receiver":
        cmd = [SCRIPT, "webhooks", "serve", "--port", str(self.port), "--batch-seconds", "0.2", *self.args]
        if "--duckdb-path" not in self.args and "--destination" not in self.args:
            cmd += ["--duckdb-path", str(self.tmp / "hooks.duckdb")]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, env=self.env, cwd=self.tmp, stdout=out, stderr=subprocess.STDOUT
            )
        wait_for(self._up, 60, lambda: self.output())
        return self

    def _up(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.output()
        try:
            return requests.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def metrics(self) -> Dict[str, float]:
        text = requests.get(f"{self.url}/metrics", timeout=5).text
        out: Dict[str, float] = {}
        for line in text.splitlines():
            m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
            if m:
                out[m.group(1).replace("zoom_webhooks_", "")] = float(m.group(2))
        return out

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return int(self.proc.returncode)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def __enter__(self) -> "Receiver":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def queue_rows(tmp: Path) -> List[tuple]:
    """(event, status, attempts) of every row of the queue file."""
    files = list((tmp / "dlt").rglob("*.webhooks.sqlite"))
    assert len(files) == 1, files
    with sqlite3.connect(str(files[0])) as conn:
        return conn.execute("SELECT event, status, attempts, dedupe_key FROM events ORDER BY seq").fetchall()


def wait_for(
    predicate: Callable[[], bool], seconds: float = 60.0, why: Callable[[], str] = lambda: ""
) -> None:
    """Polls `predicate` until true (bounded)."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s: {why()[-3000:]}")
        time.sleep(0.1)
