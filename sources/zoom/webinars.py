"""Webinars (entities with registrants, panelists, polls, tracking sources) and their ended instances
(past_webinars, absentees, participants, report participants)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Dict, Iterator, List

import dlt
from dlt.common.typing import TDataItem, TDataItems

from .arrow_pages import participant_page
from .instances import takes
from .refresh import READERS, WEBINARS
from .rejects import screened
from .rows import normalize_times, row_of
from .run_context import ZoomRun
from .windows import report_horizon

PARTICIPANT_RESOURCES = ("webinar_participants", "report_webinar_participants")


def iter_webinar_refs(run: ZoomRun) -> Iterator[TDataItems]:
    """Yields, per host, a deferred listing of the host's webinars: all of them when the entity tables
    refresh, else only new or changed ones (refresh.py)."""
    refresh = run.plan.begin(WEBINARS)
    for user_id in run.host_ids():
        if run.feature_disabled("webinars"):
            return
        yield _webinar_refs(run, user_id, refresh)


@dlt.defer
def _webinar_refs(run: ZoomRun, user_id: str, refresh: bool) -> List[Dict[str, Any]]:
    return [w for w in run.user_webinars(user_id) if run.plan.changed(READERS[WEBINARS], w) or refresh]


def iter_webinar_details(run: ZoomRun, refs: TDataItems) -> Iterator[TDataItem]:
    for ref in refs if isinstance(refs, list) else [refs]:
        if run.claim("webinars", ref["id"]):
            yield _webinar_detail(run, ref["id"])


@dlt.defer
def _webinar_detail(run: ZoomRun, webinar_id: int) -> Iterator[TDataItems]:
    detail = run.get_or_skip("webinars", webinar_id=webinar_id)
    return iter(screened(run, "webinars", [normalize_times(detail)] if detail is not None else []))


def iter_webinar_children(run: ZoomRun, resource: str, webinar: TDataItem) -> Iterator[TDataItem]:
    """Yields a deferred listing of one webinar's registrants, panelists, polls or tracking sources."""
    for w in webinar if isinstance(webinar, list) else [webinar]:
        if resource in ("webinar_registrants", "webinar_tracking_sources") and not _registration_enabled(w):
            continue
        yield _webinar_children(run, resource, w["id"])


def _registration_enabled(webinar: Dict[str, Any]) -> bool:
    settings = webinar.get("settings") or {}
    return bool(webinar.get("registration_url")) or settings.get("approval_type") in (0, 1)


@dlt.defer
def _webinar_children(run: ZoomRun, resource: str, webinar_id: int) -> Iterator[TDataItems]:
    rows = run.list_all(resource, webinar_id=webinar_id)
    return iter(screened(run, resource, [row_of(r, webinar_id=webinar_id) for r in rows]))


def iter_past_webinars(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    if takes(run, "past_webinars", bundle):
        row = {
            "uuid": bundle["uuid"],
            "webinar_id": bundle["id"],
            "topic": bundle["payload"].get("topic"),
            "host_id": bundle["host_id"],
            "start_time": bundle["start_time"],
        }
        yield from screened(run, "past_webinars", [row])


def iter_webinar_instance_children(run: ZoomRun, resource: str, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields absentees, participants or report participants of one ended webinar instance.

    Participant pages go as Arrow tables (see arrow_pages); absentees are registrant records and stay dicts.
    """
    if not takes(run, resource, bundle):
        return
    if resource == "report_webinar_participants" and bundle["start_time"].date() < report_horizon(
        datetime.now(UTC).date()
    ):
        return  # Zoom keeps six months of reports (400/300 beyond); the run says so once
    keys = {"webinar_uuid": bundle["uuid"], "webinar_id": bundle["id"]}
    for page in run.pages_or_skip(resource, webinar_uuid=bundle["uuid"]):
        if resource in PARTICIPANT_RESOURCES:
            yield from participant_page(run, resource, page, **keys)
        else:
            yield from screened(run, resource, [row_of(r, **keys) for r in page])
