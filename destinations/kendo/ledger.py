"""The push ledger: table `kendo_sync` in the warehouse dataset, next to `calls`.

| column               | type        | meaning                                                        |
|----------------------|-------------|----------------------------------------------------------------|
| zoom_meeting_uuid    | text (key)  | the Zoom instance UUID (= calls.meeting_uuid)                  |
| kendo_call_id        | text        | Kendo's callId from the 201                                    |
| status               | text        | sending (claimed, POST in progress), sent, failed (Kendo answered 400), pending (not sent; posted next run), uncertain (posted, no answer: maybe in Kendo; re-posted only with --resend-uncertain) |
| error                | text        | the last problem (Kendo's message, HTTP status, connection error) |
| attempts             | bigint      | push attempts over all runs (one per run that posted the call) |
| first_attempt_at     | timestamptz | first push attempt                                             |
| last_attempt_at      | timestamptz | latest push attempt                                            |
| sent_at              | timestamptz | when Kendo's 201 was recorded                                  |
| payload_hash         | text        | hash of the body posted last (payload.payload_hash)            |
| audio_url_expires_at | timestamptz | when the audio URL given to Kendo expires (null: unknown/never) |
| account_id           | text        | the Zoom account the call belongs to (= calls.account_id)     |

Claims, not overwrites: a call is claimed by a conditional update (`status` and `attempts` as they were
read: compare-and-set) that sets `sending`; only the process whose claim changed the row posts. After the
POST the row becomes `sent`, `failed`, `pending` (nothing reached Kendo) or `uncertain` (the request went
out and no answer came back). A `sending` row left by a process that died is settled as `uncertain` by the
next push. Every write is its own committed statement. So no call is ever posted twice by accident, and a
crash loses none: the calls it left uncertain are listed, and `--resend-uncertain` posts them on purpose.
The table is plain SQL (not part of the dlt schema), created on first use; it works on DuckDB and Postgres.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import dlt
from dlt.common.schema import Schema
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from .errors import KendoConfigError
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
    audio_url_expires_at TIMESTAMP WITH TIME ZONE,
    account_id VARCHAR
)"""
# ledgers made before `account_id` existed gain it on first use (DuckDB and Postgres both know IF NOT EXISTS)
_ADD_ACCOUNT_ID = "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS account_id VARCHAR"

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
    "account_id",
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
        try:
            with self._lock:
                if not self._client.has_dataset():
                    self._client.create_dataset()
                self._client.execute_sql(_DDL.format(table=self.table))
                self._client.execute_sql(_ADD_ACCOUNT_ID.format(table=self.table))
        except Exception:
            # two pushes creating it at once: Postgres can fail one `IF NOT EXISTS` on its catalog
            if not self.exists():
                raise

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

    def claim(
        self, zoom_meeting_uuid: str, seen: LedgerEntry | None, payload_hash: str, account_id: str | None = None
    ) -> bool:
        """Sets `sending` if the row is still as `seen` (None: no row yet). True if this caller won the claim."""
        if seen is None:
            rows = self._sql(
                f"INSERT INTO {self.table} (zoom_meeting_uuid, status, attempts, first_attempt_at,"
                " last_attempt_at, payload_hash, account_id) VALUES (%s, 'sending', 1, now(), now(), %s, %s)"
                " ON CONFLICT (zoom_meeting_uuid) DO NOTHING RETURNING zoom_meeting_uuid",
                zoom_meeting_uuid,
                payload_hash,
                account_id,
            )
        else:
            rows = self._sql(
                f"UPDATE {self.table} SET status = 'sending', attempts = attempts + 1,"
                " first_attempt_at = coalesce(first_attempt_at, now()), last_attempt_at = now(),"
                " payload_hash = %s, error = NULL, account_id = coalesce(account_id, %s)"
                " WHERE zoom_meeting_uuid = %s AND status = %s AND attempts = %s RETURNING zoom_meeting_uuid",
                payload_hash,
                account_id,
                zoom_meeting_uuid,
                seen.status,
                seen.attempts,
            )
        return bool(rows)

    def settle_stale(self, message: str) -> list[str]:
        """Rows left `sending` by a push that died become `uncertain` (the POST may have reached Kendo)."""
        if not self.exists():
            return []
        rows = self._sql(
            f"UPDATE {self.table} SET status = 'uncertain', error = %s WHERE status = 'sending'"
            " RETURNING zoom_meeting_uuid",
            message,
        )
        return [r[0] for r in rows or []]

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
        """Nothing reached Kendo (429 / 5xx / refused connection, or the push stopped): posted next run."""
        self._mark(zoom_meeting_uuid, "pending", message)

    def mark_uncertain(self, zoom_meeting_uuid: str, message: str) -> None:
        """The POST went out and no answer came: Kendo may hold the call. Not posted again unasked."""
        self._mark(zoom_meeting_uuid, "uncertain", message)

    def _mark(self, zoom_meeting_uuid: str, status: str, message: str) -> None:
        self._sql(
            f"UPDATE {self.table} SET status = %s, error = %s WHERE zoom_meeting_uuid = %s",
            status,
            message,
            zoom_meeting_uuid,
        )


@contextmanager
def open_ledger(credentials: Any, dataset_name: str | None) -> Iterator[Ledger]:
    """The ledger in the warehouse `credentials` point at (Postgres or DuckDB), through its own sql client.

    Args:
        credentials: the warehouse's dlt credentials (`destination.kendo.ledger_credentials`).
        dataset_name: the warehouse dataset holding `calls` (`destination.kendo.ledger_dataset_name`).
    """
    if credentials is None or not dataset_name:
        raise KendoConfigError(
            "destination.kendo.ledger_credentials and destination.kendo.ledger_dataset_name must name the"
            " warehouse that holds the kendo_sync ledger (push_calls sets them from the warehouse pipeline)"
        )
    if isinstance(credentials, PostgresCredentials):
        warehouse: Any = dlt.destinations.postgres(credentials=credentials)
    else:
        warehouse = dlt.destinations.duckdb(credentials=credentials)
    config = warehouse.spec()._bind_dataset_name(dataset_name=dataset_name)
    client = warehouse.client(Schema(LEDGER_TABLE), config)
    with client.sql_client as sql_client:
        yield Ledger(sql_client)
