"""Meetings, past meetings (instances, participants, polls, Q&A), registrants and polls."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from .api_common import base_url, dataset, need_instance, need_meeting, need_user
from .config import LIGHT, MEDIUM
from .errors import ZoomHTTPError
from .model import Instance, Meeting, iso
from .paging import paginate
from .paths import Route
from .windows import within_fifteen_months, within_six_months


async def list_meetings(request: web.Request, p: dict) -> dict:
    """type=scheduled (default): unexpired non-instant meetings; previous_meetings: the last six months,
    including ended one-off meetings that left `scheduled`."""
    ds = dataset(request)
    user = need_user(request, p["userId"])
    mine = [
        m
        for m in ds.meetings
        if m.host is user and not m.is_webinar and m.kind != "instant" and not m.deleted
    ]
    kind = request.query.get("type", "scheduled")
    if kind == "scheduled":
        chosen = [m for m in mine if m.is_recurring or m.start + timedelta(minutes=m.duration) > ds.now]
    elif kind in ("upcoming", "upcoming_meetings"):
        chosen = [m for m in mine if m.kind == "upcoming" or m.type == 8]
    elif kind == "previous_meetings":
        chosen = [m for m in mine if any(within_six_months(i.start, ds.now) for i in m.instances)]
    elif kind == "live":
        chosen = []
    else:
        raise ZoomHTTPError(400, 300, f"Invalid field: type {kind!r}.")
    items = [m.list_json(base_url(request)) for m in chosen]
    return paginate(request, items, "meetings", 300, page_number=True)


async def get_meeting(request: web.Request, p: dict) -> dict:
    m = need_meeting(request, p["meetingId"])
    return m.detail_json(base_url(request), dataset(request).now)


def past_detail(inst: Instance) -> dict:
    m = inst.parent
    d = {
        "id": m.id,
        "uuid": inst.uuid,
        "host_id": m.host.id,
        "type": m.type if not m.is_webinar else 5,
        "topic": m.topic,
        "user_name": m.host.name,
        "user_email": m.host.email,
        "start_time": iso(inst.start),
        "end_time": iso(inst.end),
        "duration": inst.duration,
        "total_minutes": sum(r["duration"] for r in inst.participants) // 60,
        "participants_count": len(inst.participants),
        "source": "Zoom",
    }
    if m.host.dept is not None:
        d["dept"] = m.host.dept
    if not m.is_webinar:
        d["has_meeting_summary"] = False
    return d


async def get_past_meeting(request: web.Request, p: dict) -> dict:
    return past_detail(need_instance(request, p["meetingId"]))


async def list_instances(request: web.Request, p: dict) -> dict:
    # instant meetings too: their ids come from reports and recordings
    m = dataset(request).meeting(int(p["meetingId"]), webinar=False) if p["meetingId"].isdigit() else None
    if m is None:
        raise ZoomHTTPError(404, 3001, f"Meeting does not exist: {p['meetingId']}.")
    now = dataset(request).now
    insts = sorted((i for i in m.instances if within_fifteen_months(i.start, now)), key=lambda i: i.start)
    return {"meetings": [{"uuid": i.uuid, "start_time": iso(i.start)} for i in insts]}


async def list_participants(request: web.Request, p: dict) -> dict:
    """Zoom returns nothing for a meeting with only one participant."""
    inst = need_instance(request, p["meetingId"])
    rows = inst.served_participants() if inst.persons >= 2 else []
    return paginate(request, rows, "participants", 300)


def poll_results(inst: Instance) -> dict:
    """Each respondent once, with their answers (two guests of the same name stay two respondents)."""
    by_person: dict[tuple, list] = {}
    for r in inst.poll_results:
        by_person.setdefault((r["respondent"], r["name"], r["email"]), []).append(
            {k: r[k] for k in ("question", "answer", "polling_id", "date_time")}
        )
    return {
        "id": inst.parent.id,
        "uuid": inst.uuid,
        "start_time": iso(inst.start),
        "questions": [{"name": n, "email": e, "question_details": d} for (_, n, e), d in by_person.items()],
    }


def need_polls(m: Meeting) -> None:
    """Polls are an admin setting per user: with it off, Zoom answers 400/4400."""
    if not m.host.polls_enabled:
        raise ZoomHTTPError(
            400,
            4400,
            'Meeting polls disabled. To enable this feature, enable the "Meeting Polls/Quizzes" setting in the '
            'Zoom web portal\'s "Settings" interface.',
        )


async def past_polls(request: web.Request, p: dict) -> dict:
    inst = need_instance(request, p["meetingId"])
    need_polls(inst.parent)
    return poll_results(inst)


async def past_qa(request: web.Request, p: dict) -> dict:
    inst = need_instance(request, p["meetingId"])
    return {"id": inst.parent.id, "uuid": inst.uuid, "start_time": iso(inst.start), "questions": inst.qa}


async def list_registrants(request: web.Request, p: dict) -> dict:
    m = need_meeting(request, p["meetingId"])
    status = request.query.get("status", "approved")
    rows = [r for r in m.registrants if r["status"] == status]
    return paginate(request, rows, "registrants", 300, page_number=True)


async def list_polls(request: web.Request, p: dict) -> dict:
    m = need_meeting(request, p["meetingId"])
    need_polls(m)
    return {"total_records": len(m.polls), "polls": m.polls}


ROUTES = [
    Route("/users/{userId}/meetings", MEDIUM, list_meetings),
    Route("/meetings/{meetingId}", LIGHT, get_meeting),
    Route("/past_meetings/{meetingId}", LIGHT, get_past_meeting),
    Route("/past_meetings/{meetingId}/instances", MEDIUM, list_instances),
    Route("/past_meetings/{meetingId}/participants", MEDIUM, list_participants),
    Route("/past_meetings/{meetingId}/polls", MEDIUM, past_polls),
    Route("/past_meetings/{meetingId}/qa", MEDIUM, past_qa),
    Route("/meetings/{meetingId}/registrants", MEDIUM, list_registrants),
    Route("/meetings/{meetingId}/polls", LIGHT, list_polls),
]
