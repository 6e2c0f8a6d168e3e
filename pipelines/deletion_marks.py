"""Rows Zoom deleted are marked, never dropped: `_zoom_deleted_at` (registry.DELETED_COLUMN, a nullable
timestamp dlt knows from the registry's column hints) holds the time of the deletion event.

The marks are derived from the processed deletion events in `webhook_events` and (re)applied after every
load, by the webhook worker and by `run`: a merge rewrites a row whole (dlt's delete-insert), so a row the
scheduled run reads again (a deleted meeting's instance, still found through its recording) comes back
unmarked, and is marked again here. One set-based UPDATE per marked table; only unmarked rows change. A
trashed recording that is recovered (recording.recovered, Zoom's latest word on it) loses its marks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Set, Tuple

from sources.zoom import registry

from .webhooks.events import MEETING_DELETED, RECORDING_GONE, RECORDING_RECOVERED, SINGLE_OCCURRENCE

logger = logging.getLogger("pipelines")

WEBHOOK_EVENTS = "webhook_events"


@dataclass(frozen=True)
class Deletion:
    events: Tuple[str, ...]  # the events that delete
    undone_by: Tuple[str, ...]  # the events that bring it back (the mark is cleared)
    field: str  # the `webhook_events` field naming what was deleted


DELETIONS = {
    registry.RECORDING_DELETED: Deletion(
        tuple(sorted(RECORDING_GONE)), (RECORDING_RECOVERED,), "object_uuid"
    ),
    registry.MEETING_DELETED: Deletion((MEETING_DELETED,), (), "object_id"),
}


def apply_marks(pipeline: Any) -> None:
    """Marks the rows of every deletion recorded in `webhook_events` whose latest event deletes (and clears
    the marks of those brought back since); nothing to do without that table."""
    with pipeline.sql_client() as sql:
        columns = _columns(sql, pipeline.dataset_name)
        if "event" not in columns.get(WEBHOOK_EVENTS, set()):
            return
        events = sql.make_qualified_table_name(WEBHOOK_EVENTS)
        every = _listed(e for d in DELETIONS.values() for e in d.events + d.undone_by)
        seen = sql.execute_sql(
            f"SELECT DISTINCT event FROM {events} WHERE status = 'processed' AND event IN ({every})"
        )
        happened = {e for (e,) in seen or []}
        for kind, d in DELETIONS.items():
            if not happened & set(d.events):  # the common case: one scan, no UPDATE
                continue
            # one occurrence of a recurring meeting deleted: the meeting stays (older tables lack the column)
            whole = (
                f" AND COALESCE(operation, '') <> '{SINGLE_OCCURRENCE}'"
                if "operation" in columns[WEBHOOK_EVENTS]
                else ""
            )
            # each deleted thing's latest deleting or undoing event, in Zoom's order
            latest = (
                f"SELECT {d.field} AS target, event, COALESCE(event_time, received_at) AS gone_at, row_number() "
                f"OVER (PARTITION BY {d.field} ORDER BY event_ts DESC NULLS LAST, received_at DESC) AS n "
                f"FROM {events} WHERE status = 'processed' AND event IN ({_listed(d.events + d.undone_by)}) "
                f"AND {d.field} IS NOT NULL{whole}"
            )
            gone = (
                f"SELECT target, gone_at FROM ({latest}) AS l WHERE n = 1 AND event IN ({_listed(d.events)})"
            )
            back = (
                f"SELECT target FROM ({latest}) AS l WHERE n = 1 AND event IN ({_listed(d.undone_by)})"
                if happened & set(d.undone_by)
                else ""
            )
            for table, column in registry.marked_by(kind):
                if table in columns:
                    _mark(sql, table, column, columns[table], gone, back)


def _mark(sql: Any, table: str, column: str, has: Set[str], gone: str, back: str) -> None:
    deleted = registry.DELETED_COLUMN
    name = sql.make_qualified_table_name(table)
    if deleted not in has:  # a table made before dlt knew the column
        sql.execute_sql(f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {deleted} TIMESTAMP WITH TIME ZONE")
    sql.execute_sql(
        f"UPDATE {name} AS t SET {deleted} = g.gone_at FROM ({gone}) AS g "
        f"WHERE CAST(t.{column} AS TEXT) = g.target AND t.{deleted} IS NULL"
    )
    if back:
        sql.execute_sql(
            f"UPDATE {name} SET {deleted} = NULL WHERE CAST({column} AS TEXT) IN ({back}) "
            f"AND {deleted} IS NOT NULL"
        )


def _listed(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _columns(sql: Any, dataset: str) -> Dict[str, Set[str]]:
    rows = sql.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s", dataset
    )
    out: Dict[str, Set[str]] = {}
    for table, column in rows or []:
        out.setdefault(table, set()).add(column)
    return out
