"""Scheduled meetings and their registrants and polls (entities, merged on their keys)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

import dlt
from dlt.common.typing import TDataItem, TDataItems

from .refresh import MEETINGS, READERS
from .rejects import screened
from .rows import normalize_times, row_of
from .run_context import ZoomRun


def iter_meeting_refs(run: ZoomRun) -> Iterator[TDataItems]:
    """Yields, per host, the meeting summaries of the scheduled and previous-meetings listings: all of them
    when the entity tables refresh, else only new or changed ones (refresh.py)."""
    refresh = run.plan.begin(MEETINGS)
    for user_id in run.host_ids():
        yield _user_meeting_refs(run, user_id, refresh)


@dlt.defer
def _user_meeting_refs(run: ZoomRun, user_id: str, refresh: bool) -> List[Dict[str, Any]]:
    listed = run.user_meetings(user_id)
    wanted = [m for m in listed if run.plan.changed(READERS[MEETINGS], m) or refresh]
    return [dict(m, host_id=m.get("host_id") or user_id) for m in wanted]


def iter_meeting_details(run: ZoomRun, refs: TDataItems) -> Iterator[TDataItem]:
    """Yields one deferred detail request per meeting summary (deduplicated across hosts)."""
    for ref in refs if isinstance(refs, list) else [refs]:
        if run.claim("meetings", ref["id"]):
            yield _meeting_detail(run, ref)


@dlt.defer
def _meeting_detail(run: ZoomRun, ref: Dict[str, Any]) -> Iterator[TDataItems]:
    detail = run.get_or_skip("meetings", meeting_id=ref["id"])
    return iter(screened(run, "meetings", [normalize_times(detail)] if detail is not None else []))


def iter_meeting_children(run: ZoomRun, resource: str, meeting: TDataItem) -> Iterator[TDataItem]:
    """Yields a deferred listing of a meeting's registrants or polls, keyed by `meeting_id`."""
    for m in meeting if isinstance(meeting, list) else [meeting]:
        if resource == "meeting_registrants" and not _registration_enabled(m):
            continue
        yield _meeting_children(run, resource, m["id"])


def _registration_enabled(meeting: Dict[str, Any]) -> bool:
    # Zoom answers 3000/200 for registrants of meetings without registration: don't ask.
    settings = meeting.get("settings") or {}
    return bool(meeting.get("registration_url")) or settings.get("approval_type") in (0, 1)


@dlt.defer
def _meeting_children(run: ZoomRun, resource: str, meeting_id: int) -> Iterator[TDataItems]:
    rows = run.list_all(resource, meeting_id=meeting_id)
    return iter(screened(run, resource, [row_of(r, meeting_id=meeting_id) for r in rows]))
