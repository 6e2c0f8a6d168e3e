"""Zoom OAuth: Server-to-Server (`account_credentials`) and user OAuth (rotating refresh token).

`ZoomAuth` is a `requests` auth object: it adds `Authorization: Bearer <token>` to each request, so the
token never passes through request headers or params that get logged. One token is cached per
`ZoomAuth` and shared by all threads; it is refreshed shortly before it expires, and when the API
answers 401 / code 124 (`invalidate`). A lock makes sure at most one token request runs at a time.

Refresh tokens rotate: each refresh returns a new one and the old one stops working. The newest is
written to a `RefreshTokenStore` (a 0600 JSON file, `sources.zoom.credentials.refresh_token_file`,
default `<dlt data dir>/zoom/refresh_token_<client hash>.json`) before it is used, and passed to an
optional `on_refresh_token` callback (e.g. to write it to a secrets manager). The next run reads it
from there. A refresh token in secrets that differs from the one the file was seeded from wins, so
re-authorising the app and pasting the new token into secrets just works.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from dlt.sources.helpers.requests.session import Session
from requests.auth import AuthBase

from . import settings
from .credentials import TZoomCredentials, ZoomCredentials, ZoomUserCredentials
from .errors import ZoomAuthError, ZoomConfigError, ZoomError, ZoomTransientError, connect_problem
from .retry import backoff
from .token_file import TokenFile

logger = logging.getLogger(__name__)

# Refresh this long before expiry (or 10% of the lifetime for short-lived tokens).
TOKEN_URL_SETTING = "sources.zoom.token_url"
REFRESH_MARGIN_S = 300.0
REFRESH_MARGIN_SHARE = 0.1
# Zoom's OAuth error codes and `error` values for bad client credentials / refresh tokens.
_BAD_CLIENT = {4702, 4704, 4706, "invalid_client", "unauthorized_client"}
_BAD_REFRESH = {4735, 4733, "invalid_grant"}


class RefreshTokenStore:
    """Keeps the newest Zoom refresh token in a JSON file (atomic writes, mode 0600).

    Args:
        path: the file; default `<dlt data dir>/zoom/refresh_token_<sha256(client_id)[:12]>.json`.
        client_id: names the default file, so several Zoom apps can share one data dir.
        on_rotate: called with each new refresh token after it is saved (e.g. to update a vault).
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        client_id: str | None = None,
        on_rotate: Callable[[str], None] | None = None,
    ) -> None:
        if path is None:
            import dlt

            tag = hashlib.sha256((client_id or "default").encode()).hexdigest()[:12]
            path = Path(dlt.current.run_context().data_dir) / "zoom" / f"refresh_token_{tag}.json"
        self.path = Path(path).expanduser()
        self.on_rotate = on_rotate
        self._lock = threading.Lock()

    def load(self) -> dict[str, Any] | None:
        """The saved record `{"refresh_token", "seed_sha256", "updated_at"}`, or None."""
        try:
            with open(self.path, encoding="utf-8") as f:
                data = json.load(f)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning(
                "Zoom refresh token file %s is unreadable (%s); ignoring it", self.path, type(exc).__name__
            )
            return None
        return data if isinstance(data, dict) and data.get("refresh_token") else None

    def save(self, refresh_token: str, seed: str | None) -> None:
        """Writes the token atomically (temp file + rename) with mode 0600, then calls `on_rotate`."""
        record = {
            "refresh_token": refresh_token,
            "seed_sha256": _sha(seed) if seed else None,
            "updated_at": datetime.now(UTC).isoformat(),
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".refresh_token.", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(record, f)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        logger.debug("saved the rotated Zoom refresh token to %s", self.path)
        if self.on_rotate is not None:
            self.on_rotate(refresh_token)


class ZoomAuth(AuthBase):
    """Bearer auth for Zoom with a thread-safe, self-refreshing token.

    Args:
        credentials: `ZoomCredentials` (S2S) or `ZoomUserCredentials` (user OAuth with refresh token).
        token_url: OAuth token endpoint (`sources.zoom.token_url`); default settings.DEFAULT_TOKEN_URL.
        session: requests session for token calls; default a dlt Session without retries.
        token_store: where rotated refresh tokens go (user OAuth); default from
            `credentials.refresh_token_file`.
        on_refresh_token: callback for each new refresh token (user OAuth), after it is stored.
        timeout: seconds per token request.
        max_attempts: token requests tried on 5xx / 429 / connection errors before giving up.
        token_file: S2S only: share the token with the account's other processes (token_file.py).
    """

    def __init__(
        self,
        credentials: TZoomCredentials,
        token_url: str | None = None,
        *,
        session: requests.Session | None = None,
        token_store: RefreshTokenStore | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        timeout: float = 30.0,
        max_attempts: int = 4,
        clock: Callable[[], float] = time.monotonic,
        token_file: TokenFile | None = None,
    ) -> None:
        if not isinstance(credentials, (ZoomCredentials, ZoomUserCredentials)):
            raise TypeError("credentials must be ZoomCredentials or ZoomUserCredentials")
        self.credentials = credentials
        self.user_oauth = isinstance(credentials, ZoomUserCredentials)
        _require(credentials, "client_id", "client_secret")
        if self.user_oauth:
            assert isinstance(credentials, ZoomUserCredentials)
            if token_store is None:
                token_store = RefreshTokenStore(
                    credentials.refresh_token_file, client_id=credentials.client_id
                )
            if on_refresh_token is not None:
                token_store.on_rotate = on_refresh_token
            if not credentials.refresh_token and token_store.load() is None:
                raise ZoomAuthError(
                    "no Zoom refresh token: set sources.zoom.credentials.refresh_token "
                    f"(or keep one in {token_store.path})",
                    endpoint="token",
                )
        else:
            _require(credentials, "account_id")
        self.token_store = token_store
        self.token_url = token_url or settings.DEFAULT_TOKEN_URL
        self.session = session or Session(timeout=timeout, raise_for_status=False)
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self._api_url: str | None = None
        self.token_requests = 0
        self.token_file = None if self.user_oauth else token_file
        self._rejected: str | None = None  # the last token Zoom refused: never taken from the file again

    def __repr__(self) -> str:
        kind = "user OAuth" if self.user_oauth else "S2S OAuth"
        return f"ZoomAuth({kind}, client_id={self.credentials.client_id!r}, token_url={self.token_url!r})"

    __str__ = __repr__

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token()}"
        return r

    @property
    def api_base_url(self) -> str | None:
        """The regional API base (token response `api_url` + "/v2"), once a token was fetched."""
        return self._api_url

    def token(self) -> str:
        """The cached access token, fetched or refreshed first when missing or about to expire."""
        token, refresh_at = self._token, self._refresh_at
        if token is not None and self._clock() < refresh_at:
            return token
        with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, request: requests.PreparedRequest | None = None) -> None:
        """Drops the cached token after Zoom rejected it (401 / code 124).

        With `request`, only drops the token if that request carried the current one, so many
        threads failing with the same stale token cause one refresh, not one each.
        """
        with self._lock:
            if self._token is None:
                return
            if request is not None and request.headers.get("Authorization") != f"Bearer {self._token}":
                return
            self._rejected = self._token
            self._token = None
            self._refresh_at = 0.0
        logger.debug("Zoom access token rejected; it will be refreshed")

    def _fetch(self) -> None:
        """Requests a token; caller holds the lock."""
        if self.user_oauth:
            self._fetch_user_token()
        else:
            assert isinstance(self.credentials, ZoomCredentials)
            data = {"grant_type": "account_credentials", "account_id": self.credentials.account_id}
            if self.token_file is None:
                self._accept(self._post_token(data, "account_credentials"))
            else:
                body = self.token_file.get(
                    lambda: self._post_token(data, "account_credentials"), _margin, rejected=self._rejected
                )
                self._accept(body)

    def _fetch_user_token(self) -> None:
        creds = self.credentials
        assert isinstance(creds, ZoomUserCredentials) and self.token_store is not None
        configured = str(creds.refresh_token) if creds.refresh_token else None
        saved = self.token_store.load()
        candidates: list[str] = []
        # The file wins unless secrets hold a token it was not derived from (a re-authorised app).
        if saved and (configured is None or saved.get("seed_sha256") == _sha(configured)):
            candidates.append(str(saved["refresh_token"]))
        if configured and configured not in candidates:
            candidates.append(configured)
        last: ZoomAuthError | None = None
        for refresh_token in candidates:
            try:
                body = self._post_token(
                    {"grant_type": "refresh_token", "refresh_token": refresh_token}, "refresh_token"
                )
            except ZoomAuthError as exc:
                last = exc
                continue
            new_refresh = body.get("refresh_token")
            if new_refresh:
                # Persist before use: the old token is already dead on Zoom's side.
                self.token_store.save(str(new_refresh), configured)
            self._accept(body)
            return
        assert last is not None
        raise last

    def _post_token(self, data: dict[str, str], grant: str) -> dict[str, Any]:
        creds = self.credentials
        basic = (str(creds.client_id), str(creds.client_secret))
        delay = 0.5
        unreachable = False
        for attempt in range(1, self.max_attempts + 1):
            self.token_requests += 1
            logger.debug("requesting a Zoom access token (%s) from %s", grant, self.token_url)
            try:
                resp = self.session.post(self.token_url, data=data, auth=basic, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"cannot connect: {connect_problem(exc)}"
                status: int | None = None
                unreachable = True
            else:
                unreachable = False
                if resp.status_code == 200:
                    try:
                        body = resp.json()
                    except ValueError:
                        body = None
                    if isinstance(body, dict) and body.get("access_token"):
                        return body
                    raise ZoomAuthError(
                        f"Zoom token endpoint {self.token_url} answered 200 without an access token; "
                        "check sources.zoom.token_url",
                        status=200,
                        endpoint="token",
                    )
                status = resp.status_code
                if status != 429 and status < 500:
                    raise self._token_error(resp, grant)
                problem = f"HTTP {status}"
            if attempt < self.max_attempts:
                wait = backoff(attempt, delay, 10.0)
                logger.warning(
                    "Zoom token endpoint %s failed (%s); retrying (%d of %d) in %.1f s; check %s",
                    self.token_url,
                    problem,
                    attempt,
                    self.max_attempts - 1,
                    wait,
                    TOKEN_URL_SETTING,
                )
                time.sleep(wait)
        message = (
            f"Zoom token endpoint {self.token_url} failed {self.max_attempts} times "
            f"({problem}); check {TOKEN_URL_SETTING}"
        )
        if unreachable:
            raise ZoomConfigError(message, setting=TOKEN_URL_SETTING, status=status, endpoint="token")
        raise ZoomTransientError(message, status=status, endpoint="token")

    def _token_error(self, resp: requests.Response, grant: str) -> ZoomError:
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        code = body.get("code")
        err = body.get("error")
        reason = self._redact(str(body.get("reason") or body.get("message") or err or resp.reason or ""))
        kw: dict[str, Any] = {
            "status": resp.status_code,
            "code": code if isinstance(code, int) else None,
            "zoom_message": reason,
            "endpoint": "token",
        }
        what = (
            f"HTTP {resp.status_code}"
            + (f", code {code}" if code else "")
            + (f": {reason}" if reason else "")
        )
        low = reason.lower()
        if resp.status_code == 404:
            return ZoomConfigError(
                f"Zoom token endpoint {self.token_url} answered HTTP 404; check {TOKEN_URL_SETTING} "
                f"(Zoom's is {settings.DEFAULT_TOKEN_URL})",
                setting=TOKEN_URL_SETTING,
                **kw,
            )
        if grant == "refresh_token" and (code in _BAD_REFRESH or err in _BAD_REFRESH or "token" in low):
            store = f" or {self.token_store.path}" if self.token_store else ""
            fix = f"re-authorise the app and set sources.zoom.credentials.refresh_token (stale copy{store})"
        elif "account" in low:
            fix = "check sources.zoom.credentials.account_id"
        elif code in _BAD_CLIENT or err in _BAD_CLIENT or "client" in low or resp.status_code == 401:
            fix = "check sources.zoom.credentials.client_id and sources.zoom.credentials.client_secret"
        elif code == 4717:
            fix = "the Zoom app is disabled; activate it in the Zoom App Marketplace"
        else:
            fix = "check sources.zoom.credentials and sources.zoom.token_url"
        return ZoomAuthError(f"Zoom rejected the credentials ({what}); {fix}", **kw)

    def _accept(self, body: dict[str, Any]) -> None:
        try:
            ttl = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            ttl = 3600.0
        margin = _margin(ttl)
        self._token = str(body["access_token"])
        refresh_in = body.get("refresh_in")  # a shared token (token_file.py): its fetcher's schedule
        self._refresh_at = self._clock() + max(0.0, float(refresh_in) if refresh_in is not None else ttl - margin)
        api_url = body.get("api_url")
        if isinstance(api_url, str) and api_url.startswith("http"):
            base = api_url.rstrip("/")
            self._api_url = base if base.endswith("/v2") else base + "/v2"
        logger.debug("got a Zoom access token valid %.0f s (refresh in %.0f s)", ttl, ttl - margin)

    def _redact(self, text: str) -> str:
        """Removes any secret value from text that came back from Zoom."""
        secrets = [self._token, getattr(self.credentials, "client_secret", None)]
        secrets.append(getattr(self.credentials, "refresh_token", None))
        for s in secrets:
            if s and len(str(s)) >= 4:
                text = text.replace(str(s), "***")
        return text


def _margin(ttl: float) -> float:
    """How long before expiry a token of `ttl` seconds is refreshed."""
    return min(REFRESH_MARGIN_S, ttl * REFRESH_MARGIN_SHARE)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _require(credentials: TZoomCredentials, *fields: str) -> None:
    missing = [f for f in fields if not getattr(credentials, f, None)]
    if missing:
        keys = ", ".join(f"sources.zoom.credentials.{f}" for f in missing)
        raise ZoomAuthError(f"missing Zoom credentials: set {keys}", endpoint="token")
