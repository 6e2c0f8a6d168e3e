"""The aiohttp application: /oauth/token, /v2 (auth, faults, rate limits, dispatch), downloads, and the
/_emulator admin routes. `State` holds everything that changes while the server runs."""

from __future__ import annotations

import json

from aiohttp import web

from . import api_meetings, api_phone, api_recordings, api_reports, api_users, api_webinars
from .admin import add_admin_routes
from .admin_webhooks import add_webhook_routes
from .config import DATA_KNOBS, Knobs
from .data import Dataset, generate
from .downloads import download, file_host, play_page
from .errors import ZoomHTTPError, invalid_token
from .faults import Dropped, Faults
from .oauth import TokenStore, missing_scope, token_endpoint
from .paging import PageTokens
from .paths import Router, not_recognized
from .ratelimit import RateLimiter
from .state_key import STATE
from .stats import Stats
from .webhook_sender import WebhookSender

ROUTER = Router(
    api_users.ROUTES
    + api_meetings.ROUTES
    + api_webinars.ROUTES
    + api_recordings.ROUTES
    + api_reports.ROUTES
    + api_phone.ROUTES
)


def _dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class State:
    """Knobs, data, tokens and counters of one emulator. Mutated only on the server's event loop."""

    def __init__(self, knobs: Knobs, base_url: str = "") -> None:
        self.initial = knobs.copy()
        self.base_url = base_url
        self.tokens = TokenStore(knobs.seed)
        self.router = ROUTER
        self.webhooks = WebhookSender()  # the app's webhook subscription (kept across resets)
        self.reset()

    def reset(self) -> None:
        """Data, stats, knobs, page tokens and buckets back to the start (issued access tokens stay valid)."""
        self.knobs = self.initial.copy()
        self.tokens.refresh_token = self.tokens.initial_refresh_token
        self._rebuild()
        self.stats = Stats()

    def _rebuild(self) -> None:
        self.data: Dataset = generate(self.knobs)
        self.page_tokens = PageTokens()
        self.limiter = RateLimiter(self.knobs)
        self.faults = Faults(self.knobs)

    def configure(self, **changes: object) -> None:
        """Changes knobs now; data knobs (seed, sizes, now, plan_features) regenerate the account."""
        self.knobs.update(**changes)
        if any(name in DATA_KNOBS for name in changes):
            self.data = generate(self.knobs)


def error_response(exc: ZoomHTTPError, headers: dict | None = None) -> web.Response:
    return web.json_response(
        {"code": exc.code, "message": exc.message},
        status=exc.status,
        headers={**(headers or {}), **exc.headers},
    )


async def api_entry(request: web.Request) -> web.StreamResponse:
    """Every /v2 request: latency, drop, auth, forced 429, rate limit, 5xx, then the endpoint."""
    state: State = request.app[STATE]
    raw_path = request.raw_path.split("?", 1)[0][len("/v2") :]
    found = state.router.match(raw_path)
    category = found[0].category if found else "Light"
    template = f"{request.method} /v2{found[0].template}" if found else f"{request.method} /v2/(unknown)"
    phone = found is not None and found[0].template.startswith("/phone/")  # Phone: its own rate limits
    counted = f"Phone {category}" if phone else category
    state.stats.requests[template] += 1
    if found:
        state.stats.categories[counted] += 1
    faults = state.faults
    await faults.delay()
    faults.maybe_drop(request)
    headers: dict = {"X-RateLimit-Category": category}
    try:
        # Zoom rejects tokens in the query string since 2023 (code 124), even alongside a valid header
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if "access_token" in request.query or not state.tokens.valid(token):
            raise invalid_token()
        if found is None or request.method != "GET":
            raise not_recognized()
        scope = missing_scope(found[0].template, state.knobs.missing_scopes)
        if scope is not None:
            raise ZoomHTTPError(400, 4711, f"Invalid access token, does not contain scopes:[{scope}].")
        forced = faults.forced_429(category)
        if forced is not None:
            state.stats.throttled[counted] += 1
            return forced
        limited, headers = state.limiter.check(category, phone)
        if limited is not None:
            state.stats.throttled[counted] += 1
            return web.json_response(limited, status=429, headers=headers)
        failure = faults.maybe_5xx()
        if failure is not None:
            return failure
        route, params = found
        decoded = state.router.decode(params)
        failing = faults.failing_instance(decoded.values())
        if failing is not None:
            return failing
        body = await route.handler(request, decoded)
        if isinstance(body, web.StreamResponse):  # a file (Phone recording downloads)
            return body
        return web.json_response(body, headers=headers, dumps=_dumps)
    except ZoomHTTPError as exc:
        state.stats.errors[f"{template} {exc.status}/{exc.code}"] += 1
        return error_response(exc, headers)


@web.middleware
async def count_requests(request: web.Request, handler):
    """Concurrency and status counters for everything except the admin routes."""
    if request.path.startswith("/_emulator"):
        return await handler(request)
    stats = request.app[STATE].stats
    stats.enter()
    status: object = "error"
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    except Dropped:
        # the transport is already aborted: the client sees a dropped connection, nothing is written
        status = "dropped"
        return web.Response(status=499)
    finally:
        stats.leave(status)


async def oauth_entry(request: web.Request) -> web.StreamResponse:
    state: State = request.app[STATE]
    state.stats.requests["POST /oauth/token"] += 1
    if state.knobs.faults_on_oauth:
        await state.faults.delay()
        state.faults.maybe_drop(request)
        failure = state.faults.maybe_5xx()
        if failure is not None:
            return failure
    return await token_endpoint(request)


def build_app(state: State) -> web.Application:
    app = web.Application(middlewares=[count_requests])
    app[STATE] = state
    app.router.add_post("/oauth/token", oauth_entry)
    app.router.add_route("*", "/v2/{tail:.*}", api_entry)
    app.router.add_get("/rec/download/{token}", download)
    app.router.add_get("/rec/file-host/{token}", file_host)
    app.router.add_get("/rec/play/{token}", play_page)
    app.router.add_get("/rec/share/{token}", play_page)
    app.router.add_get("/rec/phone-transcript/{token}", api_phone.transcript_file)
    add_admin_routes(app)
    add_webhook_routes(app)
    return app
