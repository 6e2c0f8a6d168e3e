"""The Kendo Push API emulator: an aiohttp app that behaves like `POST /api/integrations/push-api/ingest`.

It checks the `X-API-Key`, validates the call body as Kendo's guide describes it (types, and at least one of
`transcript` / `audioUrl`), answers `201 {"callId": ...}` and keeps every accepted body for the tests.
Knobs (constructor or `POST /_emulator/config`) inject latency, random 429 / 5xx answers, a deterministic
list of statuses to answer next (`fail_next`), a 429 storm (`throttle_seconds`), a strict mode that downloads
each `audioUrl`, and the failures that make a push uncertain: a call recorded and answered late
(`ack_delay_ms`), or recorded and never answered (`fail_after_record`).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

INGEST_PATH = "/api/integrations/push-api/ingest"

# field -> (accepted Python types, human name); bool is excluded from numbers explicitly below
FIELD_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "callTitle": ((str,), "a string"),
    "repName": ((str,), "a string"),
    "repEmail": ((str,), "a string"),
    "callDate": ((str,), "an ISO-8601 date-time string"),
    "duration": ((int, float), "a number"),
    "audioUrl": ((str,), "a string"),
    "transcript": ((str,), "a string"),
    "metadata": ((dict,), "an object"),
}

DEFAULT_KNOBS: dict[str, Any] = {
    "rate_429": 0.0,  # probability of answering 429
    "rate_5xx": 0.0,  # probability of answering 503
    "latency_ms": 0,  # added before every ingest answer
    "retry_after": 1,  # Retry-After seconds sent with 429 (None: no header)
    "fail_next": [],  # statuses to answer next, in order, before anything else is checked
    "strict": False,  # GET each audioUrl and reject unreachable / HTML / non-2xx ones
    # a slow Kendo: the call is recorded first, then the answer waits this long (the client may give up)
    "ack_delay_ms": 0,
    # record the call, then drop the connection without answering (the work is done, the answer is lost)
    "fail_after_record": False,
    # a 429 storm: every ingest request is answered 429 (with Retry-After) for this many seconds,
    # counted from the first request after the knob is set
    "throttle_seconds": 0,
}

MAX_TITLE_LENGTH = 255


def _is_iso_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return "T" in value


def validate_body(body: Any) -> str | None:
    """Returns Kendo's 400 message for an invalid call body, or None when the body is acceptable."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    for field, (types, name) in FIELD_TYPES.items():
        if field not in body or body[field] is None:
            continue
        value = body[field]
        if isinstance(value, bool) or not isinstance(value, types):
            return f"Invalid field '{field}': expected {name}"
        if field == "callDate" and not _is_iso_datetime(str(value)):
            return f"Invalid field 'callDate': expected {name}"
    if isinstance(body.get("callTitle"), str) and len(body["callTitle"]) > MAX_TITLE_LENGTH:
        return "callTitle is too long"
    if not body.get("transcript") and not body.get("audioUrl"):
        return "Either 'transcript' or 'audioUrl' is required"
    return None


class KendoState:
    """Mutable emulator state; touched only from the server's event loop."""

    def __init__(self, api_key: str, seed: int = 0, **knobs: Any) -> None:
        self.api_key = api_key
        self.seed = seed
        self.initial_knobs = {**DEFAULT_KNOBS, **knobs}
        unknown = set(knobs) - set(DEFAULT_KNOBS)
        if unknown:
            raise ValueError(f"unknown Kendo emulator knobs: {sorted(unknown)}")
        self.reset()

    def reset(self) -> None:
        self.knobs: dict[str, Any] = {
            k: (list(v) if isinstance(v, list) else v) for k, v in self.initial_knobs.items()
        }
        self.calls: list[dict[str, Any]] = []
        self.status: Counter[str] = Counter()
        self.requests = 0
        self.in_flight = 0
        self.peak_concurrency = 0
        self.rng = random.Random(self.seed)
        self.throttle_until: float | None = None

    def configure(self, knobs: dict[str, Any]) -> None:
        unknown = set(knobs) - set(DEFAULT_KNOBS)
        if unknown:
            raise ValueError(f"unknown Kendo emulator knobs: {sorted(unknown)}")
        for key, value in knobs.items():
            self.knobs[key] = list(value) if key == "fail_next" else value
        if "throttle_seconds" in knobs:
            self.throttle_until = None  # the storm starts with the next request

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "status": dict(self.status),
            "accepted": len(self.calls),
            "peak_concurrency": self.peak_concurrency,
            "in_flight": self.in_flight,
        }


STATE = web.AppKey("kendo_state", KendoState)
HTTP = web.AppKey("kendo_http", aiohttp.ClientSession)


_REASONS = {400: "Bad Request", 401: "Unauthorized", 429: "Too Many Requests"}


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """Kendo's error body: a short `error` (the HTTP reason) and the `message` that says what is wrong."""
    body = {"error": _REASONS.get(status, "Error"), "message": message}
    return web.json_response(body, status=status, headers=headers)


async def _audio_problem(session: aiohttp.ClientSession, url: str) -> str | None:
    """Strict mode: Kendo fetches the audio itself, so an unreachable or non-audio URL is a 400."""
    try:
        async with session.get(url, allow_redirects=True) as resp:
            if resp.status >= 300:
                return f"audioUrl could not be downloaded (HTTP {resp.status})"
            head = await resp.content.read(512)
            ctype = resp.headers.get("Content-Type", "").lower()
            if "text/html" in ctype or head.lstrip().lower().startswith((b"<!doctype", b"<html")):
                return "audioUrl returned an HTML page, not an audio file"
    except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
        return f"audioUrl could not be downloaded ({type(exc).__name__})"
    return None


async def _ingest(request: web.Request) -> web.Response:
    state: KendoState = request.app[STATE]
    state.requests += 1
    state.in_flight += 1
    state.peak_concurrency = max(state.peak_concurrency, state.in_flight)
    try:
        response = await _answer_ingest(request, state)
    finally:
        state.in_flight -= 1
    state.status[str(response.status)] += 1
    return response


async def _answer_ingest(request: web.Request, state: KendoState) -> web.Response:
    knobs = state.knobs
    if knobs["latency_ms"]:
        await asyncio.sleep(knobs["latency_ms"] / 1000.0)
    if request.headers.get("X-API-Key") != state.api_key:
        return _error(401, "Invalid or missing API key")
    retry_headers = {"Retry-After": str(knobs["retry_after"])} if knobs["retry_after"] is not None else None
    if knobs["fail_next"]:
        status = int(knobs["fail_next"].pop(0))
        return _error(status, f"Injected failure {status}", retry_headers if status == 429 else None)
    if knobs["throttle_seconds"]:
        now = asyncio.get_running_loop().time()
        if state.throttle_until is None:
            state.throttle_until = now + float(knobs["throttle_seconds"])
        if now < state.throttle_until:
            return _error(429, "Too many requests", retry_headers)
    if knobs["rate_429"] and state.rng.random() < knobs["rate_429"]:
        return _error(429, "Too many requests", retry_headers)
    if knobs["rate_5xx"] and state.rng.random() < knobs["rate_5xx"]:
        return _error(503, "Service temporarily unavailable")
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "Request body is not valid JSON")
    problem = validate_body(body)
    if problem is None and knobs["strict"] and body.get("audioUrl"):
        problem = await _audio_problem(request.app[HTTP], body["audioUrl"])
    if problem is not None:
        return _error(400, problem)
    call_id = f"kc_{uuid.UUID(int=state.rng.getrandbits(128)).hex[:16]}"
    state.calls.append({**body, "callId": call_id})  # recorded: from here on Kendo holds the call
    if knobs["fail_after_record"]:
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)  # never reaches the client: the connection is gone
    if knobs["ack_delay_ms"]:
        await asyncio.sleep(knobs["ack_delay_ms"] / 1000.0)
    return web.json_response({"callId": call_id}, status=201)


async def _admin_calls(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].calls)


async def _admin_stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].stats())


async def _admin_config(request: web.Request) -> web.Response:
    state: KendoState = request.app[STATE]
    try:
        state.configure(await request.json())
    except (ValueError, TypeError) as exc:
        return _error(400, str(exc))
    return web.json_response(state.knobs)


async def _admin_reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"ok": True})


async def _open_http(app: web.Application) -> AsyncIterator[None]:
    app[HTTP] = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
    yield
    await app[HTTP].close()


def create_app(api_key: str = "kendo-test-key", seed: int = 0, **knobs: Any) -> web.Application:
    """Builds the emulator app. `knobs` are the DEFAULT_KNOBS keys (rate_429, latency_ms, strict, ...)."""
    app = web.Application()
    app[STATE] = KendoState(api_key, seed=seed, **knobs)
    app.cleanup_ctx.append(_open_http)
    app.router.add_post(INGEST_PATH, _ingest)
    app.router.add_get("/_emulator/calls", _admin_calls)
    app.router.add_get("/_emulator/stats", _admin_stats)
    app.router.add_post("/_emulator/config", _admin_config)
    app.router.add_post("/_emulator/reset", _admin_reset)
    return app
