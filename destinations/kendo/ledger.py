"""The push ledger: table `kendo_sync` in the warehouse dataset, next to `calls`.

| column               | type        | meaning                                                        |
|----------------------|-------------|----------------------------------------------------------------|
| zoom_meeting_uuid    | text (key)  | the Zoom instance UUID (= calls.meeting_uuid)                  |
| kendo_call_id        | text        | Kendo's callId from the 201                                    |
| status               | text        | sent, failed (Kendo answered 400) or pending (posted, no answer yet, or retries ran out) |
| error                | text        | the last problem (Kendo's message, HTTP status, connection error) |
| attempts             | bigint      | push attempts over all runs (one per run that posted the call) |
| first_attempt_at     | timestamptz | first push attempt                                             |
| last_attempt_at      | timestamptz | latest push attempt                                            |
| sent_at              | timestamptz | when Kendo's 201 was recorded                                  |
| payload_hash         | text        | hash of the body posted last (payload.payload_hash)            |
| audio_url_expires_at | timestamptz | when the audio URL given to Kendo expires (null: unknown/never) |

Each call is written twice around its POST: `pending` (attempt recorded) before, `sent` right after the
201. Every write is its own committed statement, so a crash loses at most the calls in flight.
The table is plain SQL (not part of the dlt schema), created on first use; it works on DuckDB and Postgres.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .settings import LEDGER_TABLE

_DDL = """CREATE TABLE IF NOT EXISTS {table} (
    zoom_meeting_uuid VARCHAR NOT NULL PRIMARY KEY,
    kendo_call_id VARCHAR,
    status VARCHAR NOT NULL,
    error VARCHAR,
    attempts BIGINT NOT NULL DEFAULT 0,
    first_attempt_at TIMESTAMP WITH TIME ZONE,
    last_attempt_at TIMESTAMP WITH TIME ZONE,
    sent_at TIMESTAMP WITH TIME ZONE,
    payload_hash VARCHAR,
    audio_url_expires_at TIMESTAMP WITH TIME ZONE
)"""

LEDGER_COLUMNS = (
    "zoom_meeting_uuid",
    "kendo_call_id",
    "status",
    "error",
    "attempts",
    "first_attempt_at",
    "last_attempt_at",
    "sent_at",
    "payload_hash",
    "audio_url_expires_at",
)


@dataclass(frozen=True)
class LedgerEntry:
    zoom_meeting_uuid: str
    status: str
    kendo_call_id: str | None = None
    error: str | None = None
    attempts: int = 0
    payload_hash: str | None = None


class Ledger:
    """Reads and writes `kendo_sync` through an open dlt sql client of the warehouse.

    One lock serialises every statement: DuckDB connections are not safe for concurrent use, and the
    push runs its POSTs on several threads.
    """

    def __init__(self, sql_client: Any) -> None:
        self._client = sql_client
        self._lock = threading.Lock()
        self.table = sql_client.make_qualified_table_name(LEDGER_TABLE)

    def _sql(self, sql: str, *args: Any) -> Any:
        with self._lock:
            return self._client.execute_sql(sql, *args)

    def exists(self) -> bool:
        try:
            self._sql(f"SELECT 1 FROM {self.table} WHERE 1 = 0")
        except Exception:
            return False
        return True

    def ensure_table(self) -> None:
        """Creates the dataset schema and the ledger table when they are missing."""
        with self._lock:
            if not self._client.has_dataset():
                self._client.create_dataset()
            self._client.execute_sql(_DDL.format(table=self.table))

    def entries(self) -> dict[str, LedgerEntry]:
        """Every ledger row by Zoom meeting UUID ({} when the table does not exist yet)."""
        if not self.exists():
            return {}
        rows = self._sql(
            f"SELECT zoom_meeting_uuid, status, kendo_call_id, error, attempts, payload_hash FROM {self.table}"
        )
        return {r[0]: LedgerEntry(r[0], r[1], r[2], r[3], int(r[4] or 0), r[5]) for r in rows or []}

    def get(self, zoom_meeting_uuid: str) -> LedgerEntry | None:
        rows = self._sql(
            f"SELECT zoom_meeting_uuid, status, kendo_call_id, error, attempts, payload_hash FROM {self.table}"
            " WHERE zoom_meeting_uuid = %s",
            zoom_meeting_uuid,
        )
        if not rows:
            return None
        r = rows[0]
        return LedgerEntry(r[0], r[1], r[2], r[3], int(r[4] or 0), r[5])

    def mark_pending(self, zoom_meeting_uuid: str, payload_hash: str) -> None:
        """Records an attempt before the POST: a crash after this leaves the call `pending` (re-posted)."""
        self._sql(
            f"INSERT INTO {self.table} (zoom_meeting_uuid, status, attempts, first_attempt_at,"
            " last_attempt_at, payload_hash) VALUES (%s, 'pending', 1, now(), now(), %s)"
            " ON CONFLICT (zoom_meeting_uuid) DO UPDATE SET status = 'pending',"
            f" attempts = {self.table}.attempts + 1, last_attempt_at = now(),"
            " payload_hash = EXCLUDED.payload_hash, error = NULL",
            zoom_meeting_uuid,
            payload_hash,
        )

    def mark_sent(self, zoom_meeting_uuid: str, kendo_call_id: str | None) -> None:
        self._sql(
            f"UPDATE {self.table} SET status = 'sent', kendo_call_id = %s, error = NULL,"
            " sent_at = now() WHERE zoom_meeting_uuid = %s",
            kendo_call_id,
            zoom_meeting_uuid,
        )

    def set_audio_url_expires_at(self, zoom_meeting_uuid: str, expires_at: datetime | None) -> None:
        """When the audioUrl Kendo just accepted stops working (None: unknown or never)."""
        self._sql(
            f"UPDATE {self.table} SET audio_url_expires_at = %s WHERE zoom_meeting_uuid = %s",
            expires_at,
            zoom_meeting_uuid,
        )

    def mark_failed(self, zoom_meeting_uuid: str, message: str) -> None:
        """Kendo refused the body (400): not retried until the call's payload changes."""
        self._sql(
            f"UPDATE {self.table} SET status = 'failed', error = %s WHERE zoom_meeting_uuid = %s",
            message,
            zoom_meeting_uuid,
        )

    def mark_still_pending(self, zoom_meeting_uuid: str, message: str) -> None:
        """Retries ran out (429 / 5xx / connection) or the push stopped: the next run posts it again."""
        self._sql(
            f"UPDATE {self.table} SET status = 'pending', error = %s WHERE zoom_meeting_uuid = %s",
            message,
            zoom_meeting_uuid,
        )


class MemoryLedger(Ledger):
    """A ledger held in memory: used when the destination runs outside `push_calls` (no warehouse)."""

    def __init__(self) -> None:  # noqa: D107  (no sql client)
        self._lock = threading.Lock()
        self.table = LEDGER_TABLE
        self._rows: dict[str, dict[str, Any]] = {}

    def exists(self) -> bool:
        return True

    def ensure_table(self) -> None:
        return None

    def entries(self) -> dict[str, LedgerEntry]:
        with self._lock:
            return {u: self._entry(u) for u in self._rows}

    def _entry(self, u: str) -> LedgerEntry:
        r = self._rows[u]
        return LedgerEntry(
            u, r["status"], r.get("kendo_call_id"), r.get("error"), r["attempts"], r["payload_hash"]
        )

    def get(self, zoom_meeting_uuid: str) -> LedgerEntry | None:
        with self._lock:
            return self._entry(zoom_meeting_uuid) if zoom_meeting_uuid in self._rows else None

    def mark_pending(self, zoom_meeting_uuid: str, payload_hash: str) -> None:
        with self._lock:
            row = self._rows.setdefault(zoom_meeting_uuid, {"attempts": 0})
            row.update(status="pending", payload_hash=payload_hash, error=None, attempts=row["attempts"] + 1)

    def mark_sent(self, zoom_meeting_uuid: str, kendo_call_id: str | None) -> None:
        with self._lock:
            self._rows[zoom_meeting_uuid].update(status="sent", kendo_call_id=kendo_call_id, error=None)

    def set_audio_url_expires_at(self, zoom_meeting_uuid: str, expires_at: datetime | None) -> None:
        with self._lock:
            self._rows[zoom_meeting_uuid]["audio_url_expires_at"] = expires_at

    def mark_failed(self, zoom_meeting_uuid: str, message: str) -> None:
        with self._lock:
            self._rows[zoom_meeting_uuid].update(status="failed", error=message)

    def mark_still_pending(self, zoom_meeting_uuid: str, message: str) -> None:
        with self._lock:
            self._rows[zoom_meeting_uuid].update(status="pending", error=message)
