"""Rows Zoom deleted are marked, never dropped: `_zoom_deleted_at` (registry.DELETED_COLUMN, a nullable
timestamp dlt knows from the registry's column hints) holds the time of the deletion event.

The marks are derived from the processed deletion events in `webhook_events` and (re)applied after every
load, by the webhook worker and by `run`: a merge rewrites a row whole (dlt's delete-insert), so a row the
scheduled run reads again (a deleted meeting's instance, still found through its recording) comes back
unmarked, and is marked again here. One set-based UPDATE per marked table; only unmarked rows change.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Set

from sources.zoom import registry

from .webhooks.events import MEETING_DELETED, RECORDING_GONE, SINGLE_OCCURRENCE

logger = logging.getLogger("pipelines")

WEBHOOK_EVENTS = "webhook_events"
# the events behind each deletion, and the `webhook_events` field naming what was deleted
DELETIONS = {
    registry.RECORDING_DELETED: (tuple(sorted(RECORDING_GONE)), "object_uuid"),
    registry.MEETING_DELETED: ((MEETING_DELETED,), "object_id"),
}


def apply_marks(pipeline: Any) -> None:
    """Marks the rows of every deletion recorded in `webhook_events` (nothing to do without that table)."""
    deleted = registry.DELETED_COLUMN
    with pipeline.sql_client() as sql:
        columns = _columns(sql, pipeline.dataset_name)
        if "event" not in columns.get(WEBHOOK_EVENTS, set()):
            return
        events = sql.make_qualified_table_name(WEBHOOK_EVENTS)
        every = ", ".join(f"'{n}'" for names, _ in DELETIONS.values() for n in names)
        seen = sql.execute_sql(
            f"SELECT DISTINCT event FROM {events} WHERE status = 'processed' AND event IN ({every})"
        )
        happened = {e for (e,) in seen or []}
        for deletion, (names, field) in DELETIONS.items():
            if not happened & set(names):  # the common case: one scan, no UPDATE
                continue
            listed = ", ".join(f"'{n}'" for n in names)
            # one occurrence of a recurring meeting deleted: the meeting stays (older tables lack the column)
            whole = (
                f" AND COALESCE(operation, '') <> '{SINGLE_OCCURRENCE}'"
                if "operation" in columns[WEBHOOK_EVENTS]
                else ""
            )
            gone = (
                f"SELECT {field} AS gone, min(COALESCE(event_time, received_at)) AS at FROM {events} "
                f"WHERE status = 'processed' AND event IN ({listed}) AND {field} IS NOT NULL{whole} "
                f"GROUP BY {field}"
            )
            for table, column in registry.marked_by(deletion):
                if table not in columns:
                    continue
                name = sql.make_qualified_table_name(table)
                if deleted not in columns[table]:  # a table made before dlt knew the column
                    sql.execute_sql(
                        f"ALTER TABLE {name} ADD COLUMN IF NOT EXISTS {deleted} TIMESTAMP WITH TIME ZONE"
                    )
                sql.execute_sql(
                    f"UPDATE {name} AS t SET {deleted} = g.at FROM ({gone}) AS g "
                    f"WHERE CAST(t.{column} AS TEXT) = g.gone AND t.{deleted} IS NULL"
                )


def _columns(sql: Any, dataset: str) -> Dict[str, Set[str]]:
    rows = sql.execute_sql(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %s", dataset
    )
    out: Dict[str, Set[str]] = {}
    for table, column in rows or []:
        out.setdefault(table, set()).add(column)
    return out
