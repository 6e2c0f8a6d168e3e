"""Ended meeting instances (keyed by UUID, so every occurrence of a recurring meeting is kept) and their
participants, poll results and Q&A."""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, Iterator, List, Tuple

from dlt.common.typing import TDataItem

from .arrow_pages import participant_page
from .instances import takes
from .recordings import WEBINAR_TYPES
from .rejects import screened
from .rows import normalize_times
from .run_context import ZoomRun


def _is_webinar(bundle: Dict[str, Any]) -> bool:
    try:
        return int(bundle["payload"].get("type") or 0) in WEBINAR_TYPES
    except (TypeError, ValueError):
        return False


def _claims(run: ZoomRun, resource: str, bundle: Dict[str, Any]) -> bool:
    return not _is_webinar(bundle) and takes(run, resource, bundle)


def iter_past_meetings(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields the details of one ended instance (once per UUID, whichever listing found it first)."""
    if not _claims(run, "past_meetings", bundle):
        return
    detail = run.get_or_skip("past_meetings", meeting_uuid=bundle["uuid"])
    if detail is not None:
        row = normalize_times(dict(detail, uuid=detail.get("uuid") or bundle["uuid"]))
        yield from screened(run, "past_meetings", [row])


def iter_meeting_participants(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields the participants of one instance: one row per join (a rejoin is a new row)."""
    if not _claims(run, "meeting_participants", bundle):
        return
    for page in run.pages_or_skip("meeting_participants", meeting_uuid=bundle["uuid"]):
        yield from participant_page(
            run, "meeting_participants", page, meeting_uuid=bundle["uuid"], meeting_id=bundle["id"]
        )


def iter_meeting_poll_results(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields one row per poll answer of one instance."""
    if not _claims(run, "meeting_poll_results", bundle):
        return
    body = run.get_or_skip("meeting_poll_results", meeting_uuid=bundle["uuid"])
    if body is not None and not body.get("questions"):  # an ended instance without polls stays so
        run.plan.remember("meeting_poll_results", {"meeting_uuid": bundle["uuid"]}, bundle.get("start_time"))
    if body:
        rows = poll_answer_rows(
            body.get("questions") or [], meeting_uuid=bundle["uuid"], meeting_id=bundle["id"]
        )
        yield from screened(run, "meeting_poll_results", rows)


def iter_meeting_qa(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields one row per question asked in one instance's Q&A."""
    if not _claims(run, "past_meeting_qa", bundle):
        return
    body = run.get_or_skip("past_meeting_qa", meeting_uuid=bundle["uuid"])
    if body is not None and not body.get("questions"):  # nor does one without questions
        run.plan.remember("past_meeting_qa", {"meeting_uuid": bundle["uuid"]}, bundle.get("start_time"))
    if body:
        rows = qa_rows(body.get("questions") or [], meeting_uuid=bundle["uuid"], meeting_id=bundle["id"])
        yield from screened(run, "past_meeting_qa", rows)


def qa_rows(askers: List[Any], **keys: Any) -> List[Any]:
    """Flattens Zoom's Q&A (asker → question_details[]) to one row per question; `occurrence` numbers the
    same question asked again by the same person (Zoom gives questions no id or time)."""
    rows = []
    seen: Counter[Tuple[str, ...]] = Counter()
    for person in askers:
        if not isinstance(person, dict):  # a null or a string: rejects sets it aside
            rows.append(person)
            continue
        for detail in person.get("question_details") or []:
            if not isinstance(detail, dict):
                continue
            row = {
                **keys,
                "name": person.get("name") or "",
                "email": person.get("email") or "",
                "question": detail.get("question") or "",
                "answer": detail.get("answer"),
            }
            same = tuple(repr(row[k]) for k in ("name", "email", "question"))
            seen[same] += 1
            rows.append(dict(row, occurrence=seen[same]))
    return rows


def poll_answer_rows(respondents: List[Dict[str, Any]], **keys: Any) -> List[Dict[str, Any]]:
    """Flattens Zoom's poll results (respondent → question_details[]) to one row per answer.

    Zoom gives answers no id, so `occurrence` numbers the answers that share name, email, poll, question
    and second (two guests called "iPhone" without email, answering at once): 1, 2, ... in Zoom's order.
    """
    rows = []
    seen: Counter[Tuple[str, ...]] = Counter()
    for person in respondents:
        for detail in person.get("question_details") or []:
            row = normalize_times(
                {
                    **keys,
                    "name": person.get("name") or "",
                    "email": person.get("email") or "",
                    "polling_id": detail.get("polling_id") or "",
                    "question": detail.get("question") or "",
                    "answer": detail.get("answer"),
                    "date_time": detail.get("date_time") or "",
                }
            )
            same = tuple(repr(row[k]) for k in ("name", "email", "polling_id", "question", "date_time"))
            seen[same] += 1
            rows.append(dict(row, occurrence=seen[same]))
    return rows
