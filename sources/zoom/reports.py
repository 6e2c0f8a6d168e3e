"""Usage reports: meetings per instance (from the report listing) and their participants (Heavy)."""

from __future__ import annotations

from typing import Iterator

from dlt.common.typing import TDataItem

from .arrow_pages import participant_page
from .instances import takes
from .rejects import screened
from .rows import normalize_times
from .run_context import ZoomRun


def iter_report_meetings(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields the report row of one instance; the listing already holds it, so no extra request."""
    if takes(run, "report_meetings", bundle):
        yield from screened(run, "report_meetings", [normalize_times(bundle["payload"])])


def iter_report_participants(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields the report participants of one instance (reports cover meetings with two or more people)."""
    resource = "report_meeting_participants"
    if not takes(run, resource, bundle):
        return
    for page in run.pages_or_skip(resource, meeting_uuid=bundle["uuid"]):
        yield from participant_page(run, resource, page, meeting_uuid=bundle["uuid"], meeting_id=bundle["id"])
