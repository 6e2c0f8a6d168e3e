"""One run of a pipeline at a time, for the load and the push alike.

Two locks, both released by the operating system or the database when their holder dies, so a crash never
leaves a stale lock behind:
- a file lock (`flock`) on `<pipelines_dir>/<pipeline>.lock`: runs that share a working dir on one host;
- the warehouse's own: on DuckDB a file lock beside the database file (`<file>.lock`), on Postgres a
  session advisory lock keyed by pipeline and dataset, so runs on two hosts exclude each other.

A second run gets `LockHeld` (the CLI exits 75) naming the holder, or waits for it with `wait_seconds`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Optional

from .interrupt import Interrupted

logger = logging.getLogger("pipelines")

POLL_SECONDS = 0.5
APP_NAME_PREFIX = "zoom-pipeline lock"


class LockHeld(Exception):
    """Another run of the pipeline holds the lock."""

    def __init__(self, pipeline_name: str, holder: str) -> None:
        super().__init__(f"another run of {pipeline_name} holds the lock since {holder}")
        self.pipeline_name = pipeline_name


def _holder_text(info: dict[str, Any]) -> str:
    return f"{info.get('since', '?')} ({info.get('host', '?')}, pid {info.get('pid', '?')})"


class _FileLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: Optional[int] = None

    def try_acquire(self, me: dict[str, Any]) -> Optional[str]:
        """None when acquired, else who holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                info = json.loads(os.pread(fd, 4096, 0) or b"{}")
            except ValueError:
                info = {}
            os.close(fd)
            return _holder_text(info)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        self._fd = fd
        return None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock; the file stays (removing it would race)
            self._fd = None


class _PostgresLock:
    """A session advisory lock on its own connection, held for the run (released if the process dies)."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url
        # pg advisory locks take a signed 64-bit key
        self.key = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        self._conn: Any = None

    def try_acquire(self, me: dict[str, Any]) -> Optional[str]:
        import psycopg2

        conn = psycopg2.connect(
            self.url,
            application_name=f"{APP_NAME_PREFIX} {me['host']} {me['pid']}"[:63],
            # the lock lives as long as this idle session: keepalives notice a dead peer instead of a
            # half-open connection keeping (or silently losing) it
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
            if cur.fetchone()[0]:
                self._conn = conn
                return None
            cur.execute(
                "SELECT a.application_name, a.backend_start, a.client_addr FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.classid = %s AND l.objid = %s",
                ((self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF),
            )
            row = cur.fetchone()
        conn.close()
        if row is None:
            return "just now (unknown holder)"
        name, started, addr = row
        parts = str(name or "").removeprefix(APP_NAME_PREFIX).split()
        host = parts[0] if parts else str(addr or "?")
        pid = parts[1] if len(parts) > 1 else "?"
        return _holder_text({"since": started.astimezone(UTC).isoformat(timespec="seconds"), "host": host, "pid": pid})

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # ends the session: the advisory lock goes with it
            self._conn = None


class RunLock:
    """Context manager holding every lock of one run.

    Args:
        name: what is locked, for the messages (the pipeline name).
        locks: the locks to hold, taken in order.
        wait_seconds: how long to wait for a held lock before giving up (0: fail at once).
        stop: set on Ctrl-C / SIGTERM; ends the wait.
    """

    def __init__(
        self, name: str, locks: list[Any], wait_seconds: float = 0, stop: Optional[threading.Event] = None
    ) -> None:
        self.name = name
        self._locks = locks
        self.wait_seconds = max(0.0, float(wait_seconds or 0))
        self.stop = stop or threading.Event()

    @classmethod
    def for_pipeline(
        cls, pipeline: Any, wait_seconds: float = 0, stop: Optional[threading.Event] = None
    ) -> "RunLock":
        """The pipeline's working-dir lock plus its warehouse's (DuckDB file or Postgres dataset)."""
        name = pipeline.pipeline_name
        locks: list[Any] = [_FileLock(Path(pipeline.pipelines_dir) / f"{name}.lock")]
        credentials = pipeline.destination_client().config.credentials
        if pipeline.destination.destination_type.endswith("duckdb"):
            locks.append(_FileLock(Path(str(credentials.database) + ".lock")))
        elif pipeline.destination.destination_type.endswith("postgres"):
            locks.append(_PostgresLock(credentials.to_native_representation(), f"{name}/{pipeline.dataset_name}"))
        return cls(name, locks, wait_seconds, stop)

    @classmethod
    def for_directory(
        cls, name: str, directory: Path, wait_seconds: float = 0, stop: Optional[threading.Event] = None
    ) -> "RunLock":
        """A lock on a directory that the run may delete (kept in the temp dir, keyed by its path)."""
        digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:16]
        return cls(name, [_FileLock(Path(tempfile.gettempdir()) / f"zoom-pipeline-{digest}.lock")], wait_seconds, stop)

    def __enter__(self) -> "RunLock":
        me = {
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        deadline = time.monotonic() + self.wait_seconds
        held: list[Any] = []
        for lock in self._locks:
            while True:
                holder = lock.try_acquire(me)
                if holder is None:
                    held.append(lock)
                    break
                if time.monotonic() >= deadline or self.stop.wait(POLL_SECONDS):
                    for h in held:
                        h.release()
                    if self.stop.is_set():
                        raise Interrupted()
                    raise LockHeld(self.name, holder)
        logger.debug("%s: run lock held (%s, pid %s)", self.name, me["host"], me["pid"])
        return self

    def __exit__(self, *exc: Any) -> None:
        for lock in reversed(self._locks):
            lock.release()
