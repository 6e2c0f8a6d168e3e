"""Users and Team Chat channels."""

from __future__ import annotations

from aiohttp import web

from .api_common import base_url, dataset, need_user
from .config import LIGHT, MEDIUM
from .errors import ZoomHTTPError
from .paging import paginate
from .paths import Route
from .state_key import STATE


async def list_users(request: web.Request, p: dict) -> dict:
    status = request.query.get("status", "active")
    if status not in ("active", "inactive", "pending"):
        raise ZoomHTTPError(400, 300, f"Invalid field: status {status!r}.")
    items = [u.list_json() for u in dataset(request).users if u.status == status]
    # Zoom's docs disagree on the max (300 vs 2000): accept the larger
    return paginate(request, items, "users", 2000, page_number=True)


async def get_user(request: web.Request, p: dict) -> dict:
    user = need_user(request, p["userId"], allow_pending=True)
    return user.detail_json(request.app[STATE].knobs.account_id, base_url(request))


def _channel(request: web.Request, channel_id: str):
    ch = next((c for c in dataset(request).channels if c.id == channel_id), None)
    if ch is None:
        raise ZoomHTTPError(404, 4130, f"Channel does not exist: {channel_id}.")
    return ch


async def list_user_channels(request: web.Request, p: dict) -> dict:
    user = need_user(request, p["userId"])
    mine = [
        c.to_json(base_url(request))
        for c in dataset(request).channels
        if any(m["id"] == user.id for m in c.members)
    ]
    return paginate(request, mine, "channels", 1000, default=10, counts=False)


async def list_channel_members(request: web.Request, p: dict) -> dict:
    ch = _channel(request, p["channelId"])
    return paginate(request, ch.members, "members", 100, counts=False)


async def list_user_channel_members(request: web.Request, p: dict) -> dict:
    need_user(request, p["userId"])
    return await list_channel_members(request, p)


ROUTES = [
    Route("/users", MEDIUM, list_users),
    Route("/users/{userId}", LIGHT, get_user),
    Route("/chat/users/{userId}/channels", MEDIUM, list_user_channels),
    Route("/chat/channels/{channelId}/members", MEDIUM, list_channel_members),
    Route("/chat/users/{userId}/channels/{channelId}/members", MEDIUM, list_user_channel_members),
]
