"""Reports (Heavy): one-month windows within six months; only meetings with two or more participants."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from .api_common import dataset, need_feature, need_instance, need_user
from .api_meetings import past_detail
from .config import HEAVY
from .errors import ZoomHTTPError
from .model import Instance, iso
from .paging import paginate
from .paths import Route
from .windows import add_months, day_bounds, report_window, within_six_months


def reportable(inst: Instance, now) -> bool:
    """Whether report endpoints know this instance (two or more people, last six months)."""
    return inst.persons >= 2 and within_six_months(inst.start, now)


def report_meeting_row(inst: Instance) -> dict:
    m = inst.parent
    rec = inst.recording
    return {
        "uuid": inst.uuid,
        "id": m.id,
        "type": m.type,
        "topic": m.topic,
        "user_name": m.host.name,
        "user_email": m.host.email,
        "start_time": iso(inst.start),
        "end_time": iso(inst.end),
        "duration": inst.duration,
        "total_minutes": sum(r["duration"] for r in inst.participants) // 60,
        "participants_count": len(inst.participants),
        "participants_count_my_account": sum(1 for r in inst.participants if r["internal_user"]),
        "source": "Zoom",
        "custom_keys": [],
        "session_key": "",
        "schedule_time": inst.start.strftime("%m/%d/%Y %H:%M"),
        "has_screen_share": rec is not None,
        "has_recording": rec is not None,
        "has_chat": bool(rec and rec.chat),
        "meeting_encryption_status": 1,
    }


def report_participant(r: dict) -> dict:
    return {
        "id": r["id"],
        "user_id": r["user_id"],
        "participant_user_id": r["id"],
        "name": r["name"],
        "user_email": r["user_email"],
        "join_time": r["join_time"],
        "leave_time": r["leave_time"],
        "duration": r["duration"],
        "failover": r["failover"],
        "status": r["status"],
        "customer_key": "",
        "registrant_id": "",
        "bo_mtg_id": "",
    }


async def user_meetings(request: web.Request, p: dict) -> dict:
    need_feature(request, "reports")
    ds = dataset(request)
    user = need_user(request, p["userId"])
    frm, to = report_window(request.query, ds.now.date())
    lo, hi = day_bounds(frm, to)
    insts = [
        i
        for i in ds.instances.values()
        if not i.parent.is_webinar and i.parent.host is user and lo <= i.start < hi and reportable(i, ds.now)
    ]
    insts.sort(key=lambda i: i.start)
    page = paginate(request, [report_meeting_row(i) for i in insts], "meetings", 300, page_number=True)
    return {"from": frm.isoformat(), "to": to.isoformat(), **page}


async def meeting_report(request: web.Request, p: dict) -> dict:
    need_feature(request, "reports")
    inst = need_instance(request, p["meetingId"])
    d = past_detail(inst)
    d.pop("has_meeting_summary", None)
    d.pop("host_id", None)
    d.pop("source", None)
    d.update({"custom_keys": [], "tracking_fields": []})
    return d


def need_recent(request: web.Request, inst: Instance) -> None:
    """Participant reports cover the last six months ("You can get webinar participant reports for the last
    6 months"); older instances answer like an old report window, 400/300 (a year or more: 12702 first)."""
    if not within_six_months(inst.start, dataset(request).now):
        raise ZoomHTTPError(400, 300, "Only provide report in recent 6 months.")


async def meeting_participants(request: web.Request, p: dict) -> dict:
    need_feature(request, "reports")
    inst = need_instance(request, p["meetingId"])
    need_recent(request, inst)
    rows = [report_participant(r) for r in inst.served_participants()] if inst.persons >= 2 else []
    return paginate(request, rows, "participants", 300)


async def webinar_report(request: web.Request, p: dict) -> dict:
    need_feature(request, "reports")
    need_feature(request, "webinars")
    d = past_detail(need_instance(request, p["webinarId"], webinar=True))
    d.pop("host_id", None)
    d.pop("source", None)
    d.update({"custom_keys": [], "tracking_fields": []})
    return d


async def webinar_participants(request: web.Request, p: dict) -> dict:
    need_feature(request, "reports")
    need_feature(request, "webinars")
    inst = need_instance(request, p["webinarId"], webinar=True)
    need_recent(request, inst)
    rows = [report_participant(r) for r in inst.served_participants()]
    return paginate(request, rows, "participants", 300)


async def daily(request: web.Request, p: dict) -> dict:
    need_feature(request, "reports")
    ds = dataset(request)
    today = ds.now.date()
    try:
        year = int(request.query.get("year", today.year))
        month = int(request.query.get("month", today.month))
        first = date(year, month, 1)
    except ValueError:
        raise ZoomHTTPError(400, 300, "Invalid field: year or month.") from None
    if first < add_months(today, -6).replace(day=1) or first > today:
        raise ZoomHTTPError(400, 300, "Only provide report in recent 6 months.")
    dates = []
    d = first
    while d.month == month and d <= today:
        insts = [i for i in ds.instances.values() if i.start.date() == d]
        dates.append(
            {
                "date": d.isoformat(),
                "new_users": sum(1 for u in ds.users if u.created_at.date() == d),
                "meetings": len(insts),
                "participants": sum(len(i.participants) for i in insts),
                "meeting_minutes": sum(r["duration"] for i in insts for r in i.participants) // 60,
            }
        )
        d += timedelta(days=1)
    return {"year": year, "month": month, "dates": dates}


ROUTES = [
    Route("/report/users/{userId}/meetings", HEAVY, user_meetings),
    Route("/report/meetings/{meetingId}", HEAVY, meeting_report),
    Route("/report/meetings/{meetingId}/participants", HEAVY, meeting_participants),
    Route("/report/webinars/{webinarId}", HEAVY, webinar_report),
    Route("/report/webinars/{webinarId}/participants", HEAVY, webinar_participants),
    Route("/report/daily", HEAVY, daily),
]
