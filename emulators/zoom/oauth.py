"""OAuth: `account_credentials` (Server-to-Server) and `refresh_token` grants, access-token checks, and
JWT-like `download_access_token`s for recording downloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import time

from aiohttp import web

from .state_key import STATE

SCOPES = (
    "user:read:admin meeting:read:admin webinar:read:admin recording:read:admin report:read:admin "
    "chat_channel:read:admin"
)


# granular scopes an app may lack on top of the classic one a route needs (the classic scope covers them)
GRANULAR = {
    "/phone/recording_transcript/": "phone:read:recording_transcript:admin",
    "/phone/call_history/": "phone:read:call_log:admin",  # one call's detail (call_elements[])
}


def missing_scope(template: str, missing: list) -> str | None:
    """The scope (classic, or a granular one of ZOOM_API §10.2) the app lacks for a route, if any."""
    classic = route_scope(template)
    if classic in missing:
        return classic
    return next((g for prefix, g in GRANULAR.items() if template.startswith(prefix) and g in missing), None)


def route_scope(template: str) -> str:
    """The classic scope a /v2 route needs (ZOOM_API §3 lists them per endpoint)."""
    if template.startswith("/phone/"):
        if "recording" in template:
            return "phone_recording:read:admin"
        return "phone_call_log:read:admin" if "call_history" in template else "phone:read:admin"
    if template.startswith("/report/"):
        return "report:read:admin"
    if template.startswith("/chat/"):
        return "chat_channel:read:admin"
    if "webinar" in template:
        return "webinar:read:admin"
    if template.endswith("/recordings") or template.startswith("/meetings/{meetingId}/recordings"):
        return "recording:read:admin"
    if "meeting" in template:
        return "meeting:read:admin"
    return "user:read:admin"


def oauth_error(status: int, reason: str, error: str) -> web.Response:
    """Zoom's token-endpoint error shape, e.g. 401 {"reason": "...", "error": "invalid_client"}."""
    return web.json_response({"reason": reason, "error": error}, status=status)


class TokenStore:
    """Issued access tokens (with expiry) and the single valid refresh token."""

    def __init__(self, seed: int) -> None:
        self.access: dict[str, float] = {}
        self.secret = hashlib.sha256(f"emulator-signing-{seed}".encode()).digest()
        self.initial_refresh_token = (
            "emu-refresh-" + hashlib.sha256(f"refresh-{seed}".encode()).hexdigest()[:32]
        )
        self.refresh_token = self.initial_refresh_token

    def issue(self, ttl: float) -> str:
        token = "emu." + secrets.token_urlsafe(32)
        self.access[token] = time.time() + ttl
        return token

    def valid(self, token: str | None) -> bool:
        exp = self.access.get(token or "")
        return exp is not None and exp > time.time()

    def rotate_refresh(self) -> str:
        self.refresh_token = "emu-refresh-" + secrets.token_hex(16)
        return self.refresh_token

    # download_access_token: header.payload.signature, like a JWT
    def make_download_token(self, ttl: float) -> str:
        def b64(d: dict) -> str:
            return (
                base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).decode().rstrip("=")
            )

        head = b64({"alg": "HS256", "typ": "JWT"})
        body = b64({"exp": time.time() + ttl, "aud": "download", "iat": int(time.time())})
        sig = hmac.new(self.secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}." + base64.urlsafe_b64encode(sig).decode().rstrip("=")

    def valid_download_token(self, token: str) -> bool:
        try:
            head, body, sig = token.split(".")
            want = hmac.new(self.secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
            got = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
            claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except (ValueError, json.JSONDecodeError):
            return False
        return hmac.compare_digest(want, got) and claims.get("exp", 0) > time.time()

    def sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:32]


def basic_credentials(request: web.Request) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(header[6:].strip()).decode()
    except ValueError:
        return None
    cid, _, secret = raw.partition(":")
    return cid, secret


async def token_endpoint(request: web.Request) -> web.Response:
    """POST /oauth/token; params may come in the query string or a form body (Zoom accepts both)."""
    state = request.app[STATE]
    knobs = state.knobs
    state.stats.token_requests += 1
    params = dict(request.query)
    if request.can_read_body:
        params.update({k: str(v) for k, v in (await request.post()).items()})
    creds = basic_credentials(request)
    if creds is None:
        return oauth_error(400, "Missing client_id or client_secret", "invalid_request")
    if creds != (knobs.client_id, knobs.client_secret):
        return oauth_error(401, "Invalid client_id or client_secret", "invalid_client")
    grant = params.get("grant_type", "")
    tokens: TokenStore = state.tokens
    ttl = float(knobs.token_ttl)
    body = {
        "token_type": "bearer",
        "expires_in": int(math.ceil(ttl)),
        "scope": " ".join(s for s in SCOPES.split() if s not in knobs.missing_scopes),
        "api_url": state.base_url,
    }
    if grant == "account_credentials":
        if not params.get("account_id"):
            return oauth_error(400, "Missing account_id", "invalid_request")
        if params["account_id"] != knobs.account_id:
            return oauth_error(400, "Invalid account_id", "invalid_request")
        return web.json_response({"access_token": tokens.issue(ttl), **body})
    if grant == "refresh_token":
        if not params.get("refresh_token") or params["refresh_token"] != tokens.refresh_token:
            return oauth_error(400, "Invalid Token!", "invalid_request")
        return web.json_response(
            {"access_token": tokens.issue(ttl), "refresh_token": tokens.rotate_refresh(), **body}
        )
    if not grant:
        return oauth_error(400, "Missing grant_type", "invalid_request")
    return oauth_error(400, "Unsupported grant type", "unsupported_grant_type")
