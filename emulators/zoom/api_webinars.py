"""Webinars (a plan add-on: without it every route answers 400/200; licensed per user, and a user
without a licence answers 400/200 on their webinar listing)."""

from __future__ import annotations

from aiohttp import web

from .api_common import base_url, dataset, need_feature, need_instance, need_meeting, need_user
from .api_meetings import poll_results
from .config import HEAVY, LIGHT, MEDIUM
from .errors import ZoomHTTPError
from .model import iso
from .paging import paginate
from .paths import Route
from .windows import within_fifteen_months


def _webinar(request: web.Request, ref: str):
    need_feature(request, "webinars")
    return need_meeting(request, ref, webinar=True)


def _instance(request: web.Request, ref: str):
    need_feature(request, "webinars")
    return need_instance(request, ref, webinar=True)


async def list_webinars(request: web.Request, p: dict) -> dict:
    need_feature(request, "webinars")
    user = need_user(request, p["userId"])
    if not user.webinar_licence:
        raise ZoomHTTPError(
            400, 200, "Webinar plan is missing. Enable webinar for this user once the plan is added."
        )
    items = [
        m.list_json(base_url(request)) for m in dataset(request).meetings if m.is_webinar and m.host is user
    ]
    return paginate(request, items, "webinars", 300, page_number=True)


async def get_webinar(request: web.Request, p: dict) -> dict:
    return _webinar(request, p["webinarId"]).detail_json(base_url(request), dataset(request).now)


async def list_registrants(request: web.Request, p: dict) -> dict:
    w = _webinar(request, p["webinarId"])
    status = request.query.get("status", "approved")
    rows = [r for r in w.registrants if r["status"] == status]
    return paginate(request, rows, "registrants", 300, page_number=True)


async def list_panelists(request: web.Request, p: dict) -> dict:
    w = _webinar(request, p["webinarId"])
    return {"total_records": len(w.panelists), "panelists": w.panelists}


async def list_polls(request: web.Request, p: dict) -> dict:
    w = _webinar(request, p["webinarId"])
    return {"total_records": len(w.polls), "polls": w.polls}


async def list_tracking_sources(request: web.Request, p: dict) -> dict:
    w = _webinar(request, p["webinarId"])
    return {"total_records": len(w.tracking_sources), "tracking_sources": w.tracking_sources}


async def list_instances(request: web.Request, p: dict) -> dict:
    if not p["webinarId"].isdigit():
        need_feature(request, "webinars")
        raise ZoomHTTPError(404, 3001, f"Webinar does not exist: {p['webinarId']}.")
    w = _webinar(request, p["webinarId"])
    now = dataset(request).now
    insts = sorted((i for i in w.instances if within_fifteen_months(i.start, now)), key=lambda i: i.start)
    return {"webinars": [{"uuid": i.uuid, "start_time": iso(i.start)} for i in insts]}


async def list_absentees(request: web.Request, p: dict) -> dict:
    inst = _instance(request, p["webinarId"])
    return paginate(request, inst.absentees, "registrants", 300, page_number=True)


async def list_participants(request: web.Request, p: dict) -> dict:
    inst = _instance(request, p["webinarId"])
    return paginate(request, inst.served_participants(), "participants", 300)


async def past_polls(request: web.Request, p: dict) -> dict:
    return poll_results(_instance(request, p["webinarId"]))


ROUTES = [
    Route("/users/{userId}/webinars", MEDIUM, list_webinars),
    Route("/webinars/{webinarId}", LIGHT, get_webinar),
    Route("/webinars/{webinarId}/registrants", MEDIUM, list_registrants),
    Route("/webinars/{webinarId}/panelists", MEDIUM, list_panelists),
    Route("/webinars/{webinarId}/polls", LIGHT, list_polls),
    Route("/webinars/{webinarId}/tracking_sources", MEDIUM, list_tracking_sources),
    Route("/past_webinars/{webinarId}/instances", LIGHT, list_instances),
    Route("/past_webinars/{webinarId}/absentees", HEAVY, list_absentees),
    Route("/past_webinars/{webinarId}/participants", MEDIUM, list_participants),
    Route("/past_webinars/{webinarId}/polls", MEDIUM, past_polls),
]
