"""Typed errors for the Zoom client, built from Zoom's `{"code": ..., "message": ...}` error bodies.

Callers act on the type: skip and count a `ZoomNotFound` child or a parent whose feature is off
(`ZoomFeatureUnavailable`), skip a table whose scope is missing (`ZoomScopeError`), stop the run on
`ZoomAuthError`, `ZoomConfigError` or `ZoomDailyLimitReached`. No error ever
carries an access token, a refresh token or a client secret.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

# Children of deleted or expired parents: callers skip these and count them.
NOT_FOUND_CODES = frozenset({1001, 3001, 3301, 3322, 12702})
# A feature is off for this parent (ZOOM_API §10.1: licences and settings are per user): no webinar
# licence or paid plan (200), feature disabled (3000), hosting not allowed for the user (3161), polls off
# (4400). Callers skip that parent; only when every parent answers so is the feature off for the account.
FEATURE_UNAVAILABLE_CODES = frozenset({200, 3000, 3161, 4400})
# The token lacks scopes ("Invalid access token, does not contain scopes:[...]").
SCOPE_CODES = frozenset({4700, 4711})
# Invalid access token (expired or revoked): refresh the token once and retry.
INVALID_TOKEN_CODE = 124
# 400/300 "The next page token is invalid or expired.": the client restarts the listing.
VALIDATION_CODE = 300

_SCOPES_RE = re.compile(r"scopes?\s*:?\s*\[([^\]]*)\]", re.IGNORECASE)


class ZoomError(Exception):
    """Base of every error the Zoom client raises.

    Attributes:
        status: HTTP status, or None when no response was received.
        code: Zoom's error code from the body, or None.
        zoom_message: Zoom's error message from the body, or None.
        endpoint: our endpoint name (see settings.ENDPOINTS), "token" or "download".
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        zoom_message: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.zoom_message = zoom_message
        self.endpoint = endpoint

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status}, code={self.code}, "
            f"endpoint={self.endpoint!r})"
        )


class ZoomAuthError(ZoomError):
    """Zoom rejected the credentials or the token; the message names the setting to fix."""


class ZoomScopeError(ZoomAuthError):
    """The token lacks scopes (codes 4700/4711). `scopes` lists the ones Zoom asked for."""

    def __init__(self, message: str, *, scopes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scopes = scopes or []


class ZoomConfigError(ZoomError):
    """A setting points somewhere wrong, so nothing can load: a 404 on a root listing (`base_url` without
    `/v2`), a host that cannot be reached, an account with no users. The run stops and moves no cursor.

    Attributes:
        setting: the setting to check, e.g. `sources.zoom.base_url`.
    """

    def __init__(self, message: str, *, setting: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.setting = setting


class ZoomNotFound(ZoomError):
    """The object does not exist (any more): user, meeting, recording, transcript, or older than a year."""


class ZoomFeatureUnavailable(ZoomError):
    """A parent (user, meeting) or the whole account lacks the feature (codes 200, 3000, 3161, 4400)."""


class ZoomBadRequest(ZoomError):
    """Zoom rejected the request as invalid (other 4xx)."""


class ZoomPageTokenExpired(ZoomBadRequest):
    """400/300 "The next page token is invalid or expired." (handled inside `ZoomClient.paginate`)."""


class ZoomTransientError(ZoomError):
    """5xx, dropped connections or per-second 429s that outlasted the retry budget."""


class ZoomDailyLimitReached(ZoomError):
    """The account's daily limit for a category is used up; resume at `resume_at` (UTC)."""

    def __init__(self, message: str, *, resume_at: datetime, category: str | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.resume_at = resume_at
        self.category = category


class ZoomDownloadError(ZoomError):
    """A recording file could not be downloaded (HTML page instead of a file, too large, HTTP error)."""


def parse_scopes(message: str | None) -> list[str]:
    """Returns the scopes listed in "... does not contain scopes:[a, b]" (empty if none are listed)."""
    if not message:
        return []
    m = _SCOPES_RE.search(message)
    if not m:
        return []
    return [s.strip().strip("'\"") for s in re.split(r"[,\s]+", m.group(1)) if s.strip().strip("'\"")]


def is_page_token_error(status: int, code: int | None, message: str | None) -> bool:
    """True for Zoom's "The next page token is invalid or expired." answer."""
    text = (message or "").lower()
    return status == 400 and code == VALIDATION_CODE and "page token" in text


def error_from_response(status: int, body: Any, endpoint: str | None) -> ZoomError:
    """Maps a non-2xx Zoom answer (not 429, not retried 5xx) to a typed error.

    Args:
        status: HTTP status.
        body: the parsed JSON body, or anything else (ignored unless a dict).
        endpoint: our endpoint name, for the message.
    """
    code: int | None = None
    zmsg: str | None = None
    if isinstance(body, dict):
        raw = body.get("code")
        try:
            code = int(raw) if raw is not None else None
        except (TypeError, ValueError):
            code = None
        zmsg = body.get("message") or body.get("reason") or body.get("error")
        if zmsg is not None:
            zmsg = str(zmsg)
    where = f"Zoom {endpoint}" if endpoint else "Zoom"
    detail = f"HTTP {status}" + (f", code {code}" if code is not None else "") + (f": {zmsg}" if zmsg else "")
    kw: dict[str, Any] = {"status": status, "code": code, "zoom_message": zmsg, "endpoint": endpoint}

    if code in SCOPE_CODES and (code == 4711 or "scope" in (zmsg or "").lower()):
        scopes = parse_scopes(zmsg)
        need = f" Add these scopes to the Zoom app: {', '.join(scopes)}." if scopes else ""
        return ZoomScopeError(
            f"{where}: the token lacks required scopes ({detail}).{need}", scopes=scopes, **kw
        )
    if code in NOT_FOUND_CODES:
        return ZoomNotFound(f"{where}: not found ({detail})", **kw)
    if code in FEATURE_UNAVAILABLE_CODES:
        return ZoomFeatureUnavailable(f"{where}: feature not enabled ({detail})", **kw)
    if status == 401 or code == INVALID_TOKEN_CODE:
        return ZoomAuthError(
            f"{where}: Zoom rejected the access token ({detail}); check the app is active and "
            "sources.zoom.credentials",
            **kw,
        )
    if status == 403:
        return ZoomAuthError(f"{where}: permission denied ({detail}); check the Zoom app's scopes", **kw)
    if is_page_token_error(status, code, zmsg):
        return ZoomPageTokenExpired(f"{where}: {detail}", **kw)
    if status == 404:
        return ZoomNotFound(f"{where}: not found ({detail})", **kw)
    if status >= 500 or status == 429:
        return ZoomTransientError(f"{where}: gave up after retries ({detail})", **kw)
    return ZoomBadRequest(f"{where}: request rejected ({detail})", **kw)


class ZoomInterrupted(Exception):
    """The run was asked to stop (Ctrl-C / SIGTERM). Not a ZoomError: nothing may skip past it as a
    per-parent problem."""


def connect_problem(exc: BaseException) -> str:
    """Why a connection could not be made, in a few words for a log line (no URL, no secrets)."""
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "resolve" in text or "name or service" in text or "nodename" in text:
        return "unknown host"
    if "timed out" in text or "timeout" in text:
        return "connect timeout"
    return type(exc).__name__
