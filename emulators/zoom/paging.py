"""Cursor pagination the Zoom way: opaque `next_page_token` ("" on the last page) that expires."""

from __future__ import annotations

import math
import secrets
import time

from aiohttp import web

from .errors import ZoomHTTPError
from .state_key import STATE


class PageTokens:
    """Remembers each issued token's query and offset; tokens expire after `ttl` seconds."""

    def __init__(self) -> None:
        self.tokens: dict[str, tuple[str, int, float]] = {}

    def issue(self, scope: str, offset: int) -> str:
        token = secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
        self.tokens[token] = (scope, offset, time.time())
        return token

    def resolve(self, token: str, scope: str, ttl: float) -> int:
        entry = self.tokens.get(token)
        if entry is None or entry[0] != scope or time.time() - entry[2] >= ttl:
            raise ZoomHTTPError(400, 300, "The next page token is invalid or expired.")
        return entry[1]


def page_size(request: web.Request, maximum: int, default: int = 30) -> int:
    """`page_size` clamped to the endpoint's maximum (Zoom's behaviour above the max is undocumented)."""
    raw = request.query.get("page_size", "")
    try:
        size = int(raw) if raw else default
    except ValueError:
        raise ZoomHTTPError(400, 300, f"Invalid field: page_size {raw!r}.") from None
    return max(1, min(size, maximum))


def paginate(
    request: web.Request,
    items: list,
    list_key: str,
    maximum: int = 300,
    default: int = 30,
    page_number: bool = False,
    counts: bool = True,
    scope: str | None = None,
) -> dict:
    """One page of `items` in Zoom's envelope (page_count, page_size, total_records, next_page_token)."""
    state = request.app[STATE]
    size = page_size(request, maximum, default)
    scope = (
        scope
        or f"{request.path}?{sorted((k, v) for k, v in request.query.items() if k not in ('next_page_token', 'page_size'))}"
    )
    token = request.query.get("next_page_token", "")
    offset = state.page_tokens.resolve(token, scope, state.knobs.page_token_ttl) if token else 0
    chunk = items[offset : offset + size]
    more = offset + size < len(items)
    env: dict = {}
    if counts:
        env["page_count"] = max(1, math.ceil(len(items) / size)) if items else 0
    if page_number:
        env["page_number"] = offset // size + 1
    env["page_size"] = size
    env["total_records"] = len(items)
    env["next_page_token"] = state.page_tokens.issue(scope, offset + size) if more else ""
    env[list_key] = chunk
    return env
