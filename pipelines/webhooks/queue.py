"""The durable queue: a SQLite file in WAL mode beside the pipeline's working dir
(`<pipelines_dir>/<pipeline>.webhooks.sqlite`), written and synced before the 200 goes out.

- Group commit: deliveries arriving together are inserted in one transaction (one fsync), so a burst of a
  thousand is acknowledged in well under Zoom's 3 s.
- Dedupe: `dedupe_key` is unique; a retried or duplicated delivery is acknowledged and not queued again.
- Bounded: at most `max_pending` unprocessed rows (beyond that the receiver answers 503, and Zoom retries
  later); processed rows are kept `keep_done_seconds` (longer than Zoom's 85-minute retry span, so late
  retries are still recognised), then pruned.
- The event's `download_token` sits in its own column and is wiped once the event is processed: zeroed in
  the file (`secure_delete`), and the WAL, which still holds the old pages, is checkpointed and emptied.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

QUEUED, DONE, FAILED = "queued", "done", "failed"
DEFAULT_MAX_PENDING = 100_000
DEFAULT_KEEP_DONE_SECONDS = 48 * 3600

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    event_ts INTEGER,
    received_at REAL NOT NULL,
    body TEXT NOT NULL,
    download_token TEXT,
    status TEXT NOT NULL DEFAULT 'queued',
    not_before REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    processed_at REAL
);
CREATE INDEX IF NOT EXISTS events_pending ON events (status, not_before);
"""


INSERT = (
    "INSERT OR IGNORE INTO events (dedupe_key, event, event_ts, received_at, body, download_token, not_before)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class Item:
    dedupe_key: str
    event: str
    event_ts: Optional[int]
    received_at: float
    body: str
    download_token: Optional[str] = None
    not_before: float = 0.0


def _values(i: "Item") -> tuple:
    return (i.dedupe_key, i.event, i.event_ts, i.received_at, i.body, i.download_token, i.not_before)


@dataclass
class Row:
    seq: int
    dedupe_key: str
    event: str
    event_ts: Optional[int]
    received_at: float
    body: str
    download_token: Optional[str]
    attempts: int


class QueueFull(Exception):
    """More unprocessed events than `max_pending`."""


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the 200 is sent
    conn.execute("PRAGMA secure_delete=ON")  # a wiped download token's bytes are zeroed, not left behind
    conn.executescript(SCHEMA)
    os.chmod(path, 0o600)  # queued events may hold a download token until processed
    return conn


class EventQueue:
    """The queue file; `put` from the server's event loop, the rest from the worker thread."""

    def __init__(
        self,
        path: Path,
        max_pending: int = DEFAULT_MAX_PENDING,
        keep_done_seconds: float = DEFAULT_KEEP_DONE_SECONDS,
    ) -> None:
        self.path = path
        self.max_pending = max_pending
        self.keep_done_seconds = keep_done_seconds
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhook-queue")
        self._write_conn: Optional[sqlite3.Connection] = None
        self._conn = connect(path)  # the worker's
        self._lock = threading.Lock()
        self._waiting: List[Tuple[Item, asyncio.Future]] = []
        self._flushing = False
        self.pending_cache = self.pending()

    # ---------------------------------------------------------------- the server side (event loop)
    async def put(self, item: Item) -> bool:
        """Stores `item` durably; True if new, False for a duplicate. Raises QueueFull."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()
        self._waiting.append((item, future))
        if not self._flushing:
            self._flushing = True
            loop.create_task(self._flush())
        return bool(await future)

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await loop.run_in_executor(self._writer, self._insert, [i for i, _ in batch])
                except Exception as exc:  # the disk or the file failed: nothing acknowledged
                    for _, f in batch:
                        if not f.done():
                            f.set_exception(exc)
                    continue
                for (_, f), result in zip(batch, results, strict=True):
                    if f.done():
                        continue
                    if isinstance(result, Exception):
                        f.set_exception(result)
                    else:
                        f.set_result(result)
        finally:
            self._flushing = False

    def _insert(self, items: List[Item]) -> List[Any]:
        if self._write_conn is None:
            self._write_conn = connect(self.path)
        conn = self._write_conn
        out: List[Any] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            pending = conn.execute("SELECT count(*) FROM events WHERE status = ?", (QUEUED,)).fetchone()[0]
            for i in items:
                if pending >= self.max_pending:
                    exists = conn.execute(
                        "SELECT 1 FROM events WHERE dedupe_key = ?", (i.dedupe_key,)
                    ).fetchone()
                    out.append(False if exists else QueueFull(f"{pending} events waiting"))
                    continue
                cur = conn.execute(INSERT, _values(i))
                out.append(cur.rowcount == 1)
                pending += cur.rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.pending_cache = pending
        return out

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        if self._write_conn is not None:
            self._write_conn.close()
        self._conn.close()

    # ---------------------------------------------------------------- the worker side
    def add(self, item: Item) -> bool:
        """`put` for the worker (follow-up jobs such as the settle-delay load)."""
        with self._lock:
            cur = self._conn.execute(INSERT, _values(item))
            return cur.rowcount == 1

    def due(self, limit: int, now: Optional[float] = None) -> List[Row]:
        """Queued rows whose time has come, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, dedupe_key, event, event_ts, received_at, body, download_token, attempts FROM events"
                " WHERE status = ? AND not_before <= ? ORDER BY seq LIMIT ?",
                (QUEUED, time.time() if now is None else now, limit),
            ).fetchall()
        return [Row(*r) for r in rows]

    def next_due_in(self) -> Optional[float]:
        """Seconds until the next queued row is due (0 if one is), None if none is queued."""
        with self._lock:
            row = self._conn.execute(
                "SELECT min(not_before) FROM events WHERE status = ?", (QUEUED,)
            ).fetchone()
        return None if row[0] is None else max(0.0, row[0] - time.time())

    def finish(self, seqs: List[int], status: str = DONE, error: Optional[str] = None) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(
                "UPDATE events SET status = ?, error = ?, processed_at = ?, download_token = NULL,"
                " attempts = attempts + 1 WHERE seq = ?",
                [(status, error, time.time(), s) for s in seqs],
            )
            self._conn.execute("COMMIT")
            # the WAL still holds the pages as they were, tokens included: copy back and empty it
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.pending_cache = self.pending()

    def retry_later(self, seqs: List[int], delay: float, error: str) -> None:
        with self._lock:
            self._conn.executemany(
                "UPDATE events SET attempts = attempts + 1, not_before = ?, error = ? WHERE seq = ?",
                [(time.time() + delay, error, s) for s in seqs],
            )

    def prune(self, now: Optional[float] = None) -> int:
        """Deletes processed rows older than `keep_done_seconds`; returns how many."""
        cutoff = (time.time() if now is None else now) - self.keep_done_seconds
        with self._lock:
            cur = self._conn.execute(
                "DELETE FROM events WHERE status <> ? AND processed_at < ?", (QUEUED, cutoff)
            )
        return cur.rowcount

    def pending(self) -> int:
        with self._lock:
            return int(
                self._conn.execute("SELECT count(*) FROM events WHERE status = ?", (QUEUED,)).fetchone()[0]
            )

    def counts(self) -> Dict[str, int]:
        with self._lock:
            return dict(self._conn.execute("SELECT status, count(*) FROM events GROUP BY status").fetchall())
