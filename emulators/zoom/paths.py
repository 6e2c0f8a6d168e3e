"""Matching API paths by hand on the *raw* (still percent-encoded) path, because aiohttp decodes %2F and
Zoom's meeting-UUID rule depends on how many times a UUID was encoded."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import web

from .errors import ZoomHTTPError, meeting_not_found

Handler = Callable[[web.Request, dict], Awaitable[object]]
_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
# path parameters that may carry an instance UUID (Zoom's double-encoding rule applies)
UUID_PARAMS = {"meetingId", "webinarId"}


def decode_uuid(raw_segment: str) -> str:
    """Zoom's rule: a UUID that begins with "/" or contains "//" must arrive double-encoded.

    Decode once; if escapes remain, decode again. A value that is a leading-"/" or "//" UUID after a
    single decode was encoded only once, and Zoom answers 404/3001 for it.
    """
    once = unquote(raw_segment)
    if once.startswith("/") or "//" in once:
        raise meeting_not_found(once)
    if _ESCAPE.search(once):
        return unquote(once)
    return once


def lenient_decode(raw_segment: str) -> str:
    """For admin routes: decode until no escapes remain."""
    value = unquote(raw_segment)
    while _ESCAPE.search(value):
        value = unquote(value)
    return value


@dataclass(frozen=True)
class Route:
    template: str  # e.g. "/past_meetings/{meetingId}/participants" (under /v2)
    category: str
    handler: Handler

    @property
    def parts(self) -> list[str]:
        return self.template.strip("/").split("/")


class Router:
    """Finds the route for a raw path and decodes its parameters."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes
        self._by_len: dict[int, list[Route]] = {}
        for r in routes:
            self._by_len.setdefault(len(r.parts), []).append(r)

    def match(self, raw_path: str) -> tuple[Route, dict] | None:
        segments = raw_path.strip("/").split("/") if raw_path.strip("/") else []
        for route in self._by_len.get(len(segments), []):
            params: dict = {}
            for want, got in zip(route.parts, segments, strict=True):
                if want.startswith("{"):
                    if not got:
                        break
                    params[want[1:-1]] = got
                elif want != got:
                    break
            else:
                return route, params
        return None

    @staticmethod
    def decode(params: dict) -> dict:
        out = {}
        for name, raw in params.items():
            out[name] = decode_uuid(raw) if name in UUID_PARAMS else unquote(raw)
        return out


def not_recognized() -> ZoomHTTPError:
    return ZoomHTTPError(404, 2300, "This API endpoint is not recognized.")
