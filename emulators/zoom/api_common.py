"""Lookups shared by the API handlers, each failing the way Zoom does."""

from __future__ import annotations

from aiohttp import web

from .data import Dataset
from .errors import ZoomHTTPError, meeting_not_found, user_not_found, webinar_not_found
from .model import Instance, Meeting, User
from .state_key import STATE
from .windows import older_than_a_year


def dataset(request: web.Request) -> Dataset:
    return request.app[STATE].data


def base_url(request: web.Request) -> str:
    return request.app[STATE].base_url


def need_user(request: web.Request, ref: str, allow_pending: bool = False) -> User:
    user = dataset(request).user(ref)
    if user is None or (user.status == "pending" and not allow_pending):
        raise user_not_found(ref)
    return user


def need_meeting(request: web.Request, ref: str, webinar: bool = False) -> Meeting:
    ds = dataset(request)
    m = ds.meeting(int(ref), webinar) if ref.isdigit() else None
    if m is None:
        if not ref.isdigit():  # an instance UUID also names its meeting
            inst = ds.instance(ref, webinar)
            m = inst.parent if inst else None
    # instant meetings are gone once ended; deleted ones are gone
    if m is None or (m.kind == "instant" and not webinar) or m.deleted:
        raise webinar_not_found(ref) if webinar else meeting_not_found(ref)
    if not webinar and m.id in ds.vanished_meeting_ids():  # deleted after the listing (`vanish_meetings`)
        raise meeting_not_found(ref)
    return m


def need_instance(request: web.Request, ref: str, webinar: bool = False, year_limit: bool = True) -> Instance:
    ds = dataset(request)
    inst = ds.instance(ref, webinar)
    if inst is None:
        raise webinar_not_found(ref) if webinar else meeting_not_found(ref)
    if year_limit and older_than_a_year(inst.start, ds.now):
        kind = "webinar" if webinar else "meeting"
        raise ZoomHTTPError(400, 12702, f"Can not access a {kind} a year ago.")
    return inst


def need_feature(request: web.Request, feature: str) -> None:
    features = request.app[STATE].knobs.plan_features
    if features.get(feature, True):
        return
    if feature == "webinars":
        raise ZoomHTTPError(
            400,
            200,
            "Webinar plan is missing. You must subscribe to the webinar plan and enable webinar for this "
            "user in order to perform this action.",
        )
    raise ZoomHTTPError(400, 200, "Only available for paid account. Report feature is not enabled.")
