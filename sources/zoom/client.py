"""`ZoomClient`: GET, paginate and download against the Zoom API, by endpoint name from settings.py.

What it takes care of, so resources don't have to:
- pacing per rate-limit category (a shared `RateLimiter`), and the Heavy + Resource-intensive daily cap;
- retries: 429 honours `Retry-After` (seconds, or an ISO date = daily cap -> `ZoomDailyLimitReached`),
  5xx and dropped connections back off exponentially with jitter, within a bounded number of attempts
  and a bounded total time (persistent failures are logged as warnings); other 4xx are not retried;
- a host that can't be reached at all is tried `max_connect_attempts` times with a warning each, then
  `ZoomConfigError` names `sources.zoom.base_url`; so does a 404 on a root listing (`GET /users`);
- one token refresh and retry on 401 / code 124;
- `next_page_token` paging at each endpoint's max page size, restarting a listing whose page token
  expired without yielding a record twice or skipping one;
- UUID path encoding (ZOOM_API §2.1: double-encode values that start with "/" or contain "//");
- downloads: Bearer header (API token or the recording's `download_access_token`), redirects,
  bounded memory, HTML-page-instead-of-file detection;
- typed errors (errors.py) and debug logs without tokens or secrets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import string
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import requests
from dlt.sources.helpers.requests.session import Session
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import ConnectTimeoutError

from . import settings
from .auth import ZoomAuth
from .errors import (
    INVALID_TOKEN_CODE,
    SCOPE_CODES,
    ZoomAuthError,
    ZoomConfigError,
    ZoomDailyLimitReached,
    ZoomDownloadError,
    ZoomError,
    ZoomInterrupted,
    ZoomNotFound,
    ZoomPageTokenExpired,
    ZoomTransientError,
    connect_problem,
    error_from_response,
)
from .log_redaction import install_http_log_redaction
from .ratelimit import RateLimiter
from .retry import RetryBudget, backoff, parse_retry_after

logger = logging.getLogger(__name__)
install_http_log_redaction()  # urllib3 logs request lines with their query: download tokens, signatures

DOWNLOAD = "Download"  # stats bucket for file downloads (not paced: they are not API calls)
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_ATTEMPTS = (
    8  # HTTP attempts per request (429, 5xx, dropped connections); sources.zoom.max_attempts
)
_RETRYABLE_EXC = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
BASE_URL_SETTING = "sources.zoom.base_url"
# Seconds to open a connection: a host that takes longer is unreachable, not busy.
CONNECT_TIMEOUT = 10.0
_HTML_PREFIXES = (b"<!doctype html", b"<html")


class Page(list[dict[str, Any]]):
    """One page of records; `.envelope` is the response JSON without the list (from, to, total_records...)."""

    def __init__(self, records: list[dict[str, Any]], envelope: dict[str, Any]) -> None:
        super().__init__(records)
        self.envelope = envelope


class _HtmlPage(Exception):
    def __init__(self, content_type: str) -> None:
        super().__init__(content_type)
        self.content_type = content_type


class _Bearer(AuthBase):
    """A fixed bearer token (a recording's `download_access_token`)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._token}"
        return r

    def __repr__(self) -> str:
        return "_Bearer(***)"


def encode_path_param(value: Any) -> str:
    """Encodes one path parameter; UUIDs starting with "/" or containing "//" are double-encoded."""
    text = str(value)
    once = quote(text, safe="")
    if text.startswith("/") or "//" in text:
        return quote(once, safe="")
    return once


def record_identity(record: Any) -> str:
    """A stable identity of a raw record (hash of its canonical JSON), for deduplication."""
    raw = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def safe_url(url: str) -> str:
    """The URL without query string (for logs and errors)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class ZoomClient:
    """Zoom API client shared by all resources and extract threads of one run.

    Args:
        auth: `ZoomAuth` (token cache shared by threads).
        base_url: API base (`sources.zoom.base_url`). Default: the regional `api_url` from the token
            response + "/v2", else settings.DEFAULT_BASE_URL.
        limiter: the account's `RateLimiter`; default `RateLimiter(settings.DEFAULT_PLAN)`.
        session: a requests session; default a dlt Session without retries or raise_for_status, so
            this client's retry loop is the only one.
        timeout: seconds per request (connect and read).
        max_attempts: HTTP attempts per request before giving up (429, 5xx, dropped connections).
        max_retry_time: most seconds one request may spend retrying.
        backoff_base: first back-off in seconds; doubles per attempt, with jitter, up to backoff_max.
        backoff_max: longest single back-off.
        pool_size: connections kept per host (set it to at least the number of extract threads).
        max_page_restarts: restarts of one listing in a row (after expired page tokens) that yield
            nothing new before giving up.
        max_connect_attempts: attempts when no connection can be made at all (refused, unknown host,
            connect timeout), each logged as a warning; then `ZoomConfigError` names `base_url`.
    """

    def __init__(
        self,
        auth: ZoomAuth,
        base_url: str | None = None,
        limiter: RateLimiter | None = None,
        *,
        session: requests.Session | None = None,
        timeout: float = 60.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        max_retry_time: float = 600.0,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        pool_size: int = 64,
        max_page_restarts: int = 3,
        max_connect_attempts: int = 4,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.auth = auth
        self._explicit_base = base_url.rstrip("/") if base_url else None
        self.limiter = limiter or RateLimiter(settings.DEFAULT_PLAN)
        if session is None:
            session = Session(timeout=timeout, raise_for_status=False)
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self.session = session
        self.timeout = timeout
        self.max_attempts = max(1, max_attempts)
        self.max_retry_time = max_retry_time
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_page_restarts = max_page_restarts
        self.max_connect_attempts = max(1, max_connect_attempts)
        # set by the caller on Ctrl-C / SIGTERM: no new request starts, and back-off waits end at once
        self.stop = threading.Event()
        # the rate-limit category of this client's file downloads; None: not paced (meeting files come from
        # the file host, not the API). The Phone client's downloads are API calls (phone_client.py).
        self.download_category: str | None = None
        self._sleep = sleep or self.stop.wait
        self._stats_lock = threading.Lock()
        self._stats: dict[str, Counter[str]] = {c.value: Counter() for c in settings.Category}
        self._stats[DOWNLOAD] = Counter()
        self._page_restarts = 0

    def __repr__(self) -> str:
        return f"ZoomClient(base_url={self._explicit_base!r}, auth={self.auth!r})"

    # ---- public API -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API base in use (fetches a token first when it may carry a regional `api_url`)."""
        if self._explicit_base:
            return self._explicit_base
        if self.auth.api_base_url is None:
            self.auth.token()
        return (self.auth.api_base_url or settings.DEFAULT_BASE_URL).rstrip("/")

    def get(self, name: str, params: Mapping[str, Any] | None = None, **path: Any) -> dict[str, Any]:
        """GETs one endpoint and returns its JSON.

        Args:
            name: endpoint name in settings.ENDPOINTS, e.g. "past_meetings".
            params: query parameters.
            **path: raw values for the path's {placeholders} (encoded here), e.g. meeting_uuid=uuid.

        Raises:
            ZoomError subclasses: see errors.py.
        """
        ep = settings.endpoint(name)
        return self._get_json(ep, self._url(ep, path), dict(params or {}))

    def paginate(self, name: str, params: Mapping[str, Any] | None = None, **path: Any) -> Iterator[Page]:
        """Walks a list endpoint by `next_page_token`, at the endpoint's max page size.

        If Zoom says the page token expired, the listing restarts from the first page; records already
        yielded are not yielded again (matched by the hash of the raw record) and none are skipped.
        A walk that made progress may always restart; `max_page_restarts` bounds restarts in a row
        that yielded nothing new.

        Args:
            name: a list endpoint in settings.ENDPOINTS, e.g. "recordings".
            params: query parameters (e.g. {"from": "2026-01-01", "to": "2026-01-30"}).
            **path: raw values for the path's {placeholders}.

        Yields:
            Page: the records of one page, with `.envelope`. The first page is always yielded, even empty.
        """
        ep = settings.endpoint(name)
        if ep.list_key is None:
            raise ValueError(f"Zoom endpoint {name!r} is not a list; use get()")
        url = self._url(ep, path)
        base = dict(params or {})
        if ep.page_size and "page_size" not in base:
            base["page_size"] = ep.page_size
        yielded: Counter[str] = Counter()
        restarts = 0  # in a row without new records
        first = True
        while True:
            seen: Counter[str] = Counter()
            token: str | None = None
            progressed = False
            while True:
                query = dict(base)
                if token:
                    query["next_page_token"] = token
                try:
                    body = self._get_json(ep, url, query)
                except ZoomPageTokenExpired:
                    restarts = 0 if progressed else restarts + 1
                    if not token or restarts > self.max_page_restarts:
                        raise
                    with self._stats_lock:
                        self._page_restarts += 1
                    logger.info(
                        "Zoom %s: page token expired; restarting the listing from the first page", name
                    )
                    break
                records = body.get(ep.list_key) or []
                envelope = {k: v for k, v in body.items() if k != ep.list_key}
                fresh = []
                for rec in records:
                    ident = record_identity(rec)
                    seen[ident] += 1
                    if seen[ident] > yielded[ident]:
                        yielded[ident] += 1
                        fresh.append(rec)
                if fresh:
                    progressed = True
                if fresh or first:
                    first = False
                    yield Page(fresh, envelope)
                token = body.get("next_page_token") or None
                if not token:
                    return

    def download(
        self, url: str, access_token: str | None = None, chunk_size: int = 1 << 16
    ) -> Iterator[bytes]:
        """Streams a recording file.

        Args:
            url: the file's `download_url`.
            access_token: the recording's `download_access_token`, used instead of the API token.
            chunk_size: bytes per chunk.

        Yields:
            The file's bytes in chunks. A connection dropped mid-file is retried, continuing after the
            bytes already yielded.

        Raises:
            ZoomDownloadError: HTTP error, HTML page instead of a file, or retries used up.
        """
        url, query_token = _pop_query_token(url)
        given = access_token or query_token
        auth: AuthBase = _Bearer(given) if given else self.auth
        delivered = 0
        budget = RetryBudget(self.max_attempts, self.max_retry_time)
        attempt = 0
        while True:
            attempt += 1
            try:
                resp = self._send(self.download_category, "download", url, None, auth=auth, stream=True)
            except ZoomError as exc:
                # a bad file is the file's problem; a refused token, a wrong setting or the daily cap is
                # the run's, and must stop it rather than be filed as a per-file error (losing the file)
                if isinstance(
                    exc, (ZoomDownloadError, ZoomAuthError, ZoomConfigError, ZoomDailyLimitReached)
                ):
                    raise
                raise ZoomDownloadError(
                    f"download of {safe_url(url)} failed: {exc.message}",
                    status=exc.status,
                    code=exc.code,
                    endpoint="download",
                ) from None
            try:
                ctype = resp.headers.get("Content-Type", "").lower()
                if ctype.startswith("text/html"):
                    raise _HtmlPage(ctype)
                skip = delivered
                head = True
                for chunk in resp.iter_content(chunk_size):
                    if not chunk:
                        continue
                    if head:
                        head = False
                        if chunk.lstrip()[:14].lower().startswith(_HTML_PREFIXES):
                            raise _HtmlPage(ctype)
                    if skip:
                        if len(chunk) <= skip:
                            skip -= len(chunk)
                            continue
                        chunk, skip = chunk[skip:], 0
                    delivered += len(chunk)
                    yield chunk
                return
            except _HtmlPage as page:
                # Zoom serves a sign-in page (HTTP 200) for a refused download token: try the API token once
                if auth is not self.auth and delivered == 0:
                    logger.debug("download token refused for %s; retrying with the API token", safe_url(url))
                    auth = self.auth
                    continue
                raise _html_error(url, resp.status_code, page.content_type) from None
            except _RETRYABLE_EXC as exc:
                wait = self._backoff(attempt)
                if budget.spent(attempt, wait):
                    raise ZoomDownloadError(
                        f"download of {safe_url(url)} kept failing ({type(exc).__name__}) after {attempt} attempts",
                        endpoint="download",
                    ) from None
                self._count(DOWNLOAD, "retries")
                logger.debug(
                    "download of %s broke off (%s); retrying in %.2f s",
                    safe_url(url),
                    type(exc).__name__,
                    wait,
                )
                self._sleep(wait)
            finally:
                resp.close()

    def download_bytes(
        self, url: str, access_token: str | None = None, max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    ) -> bytes:
        """Downloads a whole file into memory, refusing files over `max_bytes`.

        Raises:
            ZoomDownloadError: as `download`, or the file is larger than `max_bytes`.
        """
        buf = bytearray()
        for chunk in self.download(url, access_token=access_token):
            buf += chunk
            if len(buf) > max_bytes:
                raise ZoomDownloadError(
                    f"download of {safe_url(url)} is larger than max_bytes={max_bytes}", endpoint="download"
                )
        return bytes(buf)

    def stats(self) -> dict[str, dict[str, int]]:
        """Per category (and "Download"): requests sent, 429s received ("throttled"), retries."""
        with self._stats_lock:
            return {
                k: {"requests": c["requests"], "throttled": c["throttled"], "retries": c["retries"]}
                for k, c in self._stats.items()
            }

    @property
    def page_restarts(self) -> int:
        """How many listings restarted after an expired page token."""
        return self._page_restarts

    def log_summary(self) -> None:
        """Logs per-category request, 429 and retry counts at INFO (call at the end of a run)."""
        parts = [
            f"{k}: {v['requests']} requests, {v['throttled']} throttled (429), {v['retries']} retries"
            for k, v in self.stats().items()
            if v["requests"]
        ]
        extra = (
            f"; {self._page_restarts} listing restart(s) after expired page tokens"
            if self._page_restarts
            else ""
        )
        logger.info("Zoom API usage: %s%s", "; ".join(parts) or "no requests", extra)

    def close(self) -> None:
        self.session.close()

    # ---- internals --------------------------------------------------------------------------

    def _url(self, ep: settings.Endpoint, path: Mapping[str, Any]) -> str:
        names = {f for _, f, _, _ in string.Formatter().parse(ep.path) if f}
        missing, extra = names - set(path), set(path) - names
        if missing or extra:
            raise TypeError(
                f"Zoom endpoint {ep.name!r} ({ep.path}) takes path parameters {sorted(names)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}"
            )
        return self.base_url + ep.path.format(**{k: encode_path_param(v) for k, v in path.items()})

    def _get_json(self, ep: settings.Endpoint, url: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            resp = self._send(ep.category.value, ep.name, url, params)
        except ZoomNotFound as exc:
            if "{" in ep.path:
                raise
            # a listing with no parent (GET /users) always exists: the base URL is wrong
            raise ZoomConfigError(
                f"Zoom answered HTTP 404 for {ep.path} at {safe_url(url)}; check {BASE_URL_SETTING}: "
                f"the API base with its version, e.g. {settings.DEFAULT_BASE_URL}",
                setting=BASE_URL_SETTING,
                status=exc.status,
                code=exc.code,
                endpoint=ep.name,
            ) from None
        if resp.status_code == 204 or not resp.content:
            return {}
        try:
            body = resp.json()
        except ValueError:
            ctype = resp.headers.get("Content-Type", "no content type")
            message = (
                f"Zoom {ep.name}: expected JSON, got {ctype} from {safe_url(url)}; check {BASE_URL_SETTING}"
            )
            if "{" not in ep.path:  # a web page where the user list should be: not the API
                raise ZoomConfigError(
                    message, setting=BASE_URL_SETTING, status=resp.status_code, endpoint=ep.name
                ) from None
            raise ZoomError(message, status=resp.status_code, endpoint=ep.name) from None
        if not isinstance(body, dict):
            raise ZoomError(
                f"Zoom {ep.name}: expected a JSON object", status=resp.status_code, endpoint=ep.name
            )
        return body

    def _backoff(self, attempt: int) -> float:
        return backoff(attempt, self.backoff_base, self.backoff_max)

    def _count(self, bucket: str, what: str, n: int = 1) -> None:
        with self._stats_lock:
            self._stats[bucket][what] += n

    def _send(
        self,
        category: str | None,
        name: str,
        url: str,
        params: dict[str, Any] | None,
        *,
        auth: AuthBase | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """One logical GET with Zoom's retry rules; returns a < 400 response or raises a ZoomError."""
        bucket = category or DOWNLOAD
        auth = auth or self.auth
        budget = RetryBudget(self.max_attempts, self.max_retry_time)
        attempt = 0
        refreshed = False
        shown = safe_url(url)
        connect_failures = 0
        while True:
            attempt += 1
            if self.stop.is_set():
                raise ZoomInterrupted(f"stopped before Zoom {name}: the run was interrupted")
            if category:
                self.limiter.acquire(category)
            self._count(bucket, "requests")
            t0 = time.monotonic()
            try:
                resp = self.session.request(
                    "GET",
                    url,
                    params=params,
                    auth=auth,
                    stream=stream,
                    timeout=(min(self.timeout, CONNECT_TIMEOUT), self.timeout),
                    allow_redirects=True,
                )
            except _RETRYABLE_EXC as exc:
                problem, status = type(exc).__name__, None
                wait = self._backoff(attempt)
                if never_connected(exc):
                    # nothing answers at that address: a few quick tries, said out loud, then name the setting
                    connect_failures += 1
                    self._unreachable(name, url, exc, connect_failures, wait)
                    self._count(bucket, "retries")
                    self._sleep(wait)
                    continue
                logger.debug("Zoom %s %s: %s", name, shown, problem)
            else:
                status = resp.status_code
                logger.debug(
                    "Zoom %s GET %s -> %d in %.0f ms", name, shown, status, (time.monotonic() - t0) * 1000
                )
                if category:
                    self.limiter.observe(category, resp.headers)
                if status < 400:
                    if category:
                        self.limiter.on_success(category)
                    return resp
                body = _json_or_none(resp)
                resp.close()
                code = _code(body)
                if (status == 401 or code == INVALID_TOKEN_CODE) and code not in SCOPE_CODES:
                    if not refreshed:
                        refreshed = True
                        if isinstance(auth, ZoomAuth):
                            auth.invalidate(resp.request)
                        else:
                            # the download_access_token was refused: fall back to the API token
                            auth = self.auth
                        self._count(bucket, "retries")
                        continue
                    raise _final_error(status, body, name)
                if status == 429:
                    self._count(bucket, "throttled")
                    wait_s, resume_at = parse_retry_after(resp.headers.get("Retry-After"))
                    kind = resp.headers.get("X-RateLimit-Type", "").lower()
                    message = str((body or {}).get("message", "")) if isinstance(body, dict) else ""
                    if resume_at is not None or kind.startswith("daily") or "daily" in message.lower():
                        raise self._daily(
                            category or resp.headers.get("X-RateLimit-Category"), resume_at, name
                        )
                    wait = wait_s if wait_s is not None else self._backoff(attempt)
                    if category:
                        self.limiter.on_throttled(category, pause=wait)
                    problem = "HTTP 429"
                elif status >= 500:
                    problem = f"HTTP {status}"
                    wait = self._backoff(attempt)
                else:
                    raise _final_error(status, body, name)
            if budget.spent(attempt, wait):
                raise ZoomTransientError(
                    f"Zoom {name} {shown}: gave up after {attempt} attempts in "
                    f"{budget.elapsed():.1f} s (last: {problem})",
                    status=status,
                    endpoint=name,
                )
            self._count(bucket, "retries")
            # the first retries are routine (a dropped connection, a busy second); more are worth a line
            log = logger.warning if attempt >= 3 and problem != "HTTP 429" else logger.debug
            log("Zoom %s %s: %s; retrying (attempt %d) in %.1f s", name, shown, problem, attempt + 1, wait)
            self._sleep(wait)

    def _unreachable(self, name: str, url: str, exc: Exception, failures: int, wait: float) -> None:
        """Logs a failed connection; after `max_connect_attempts` raises, naming the setting to check."""
        where = urlsplit(url)
        host = f"{where.scheme}://{where.netloc}"
        why = connect_problem(exc)
        hint = "" if name == "download" else f"; check {BASE_URL_SETTING}"
        if failures >= self.max_connect_attempts:
            message = f"cannot connect to Zoom at {host} ({why}) after {failures} attempts{hint}"
            if name == "download":
                raise ZoomTransientError(f"Zoom download {safe_url(url)}: {message}", endpoint=name)
            raise ZoomConfigError(f"Zoom {name}: {message}", setting=BASE_URL_SETTING, endpoint=name)
        logger.warning(
            "Zoom %s: cannot connect to %s (%s); retrying (%d of %d) in %.1f s%s",
            name,
            host,
            why,
            failures,
            self.max_connect_attempts - 1,
            wait,
            hint,
        )

    def _daily(self, category: str | None, resume_at: datetime | None, name: str) -> ZoomDailyLimitReached:
        cat = category or settings.Category.HEAVY.value
        resume = self.limiter.on_daily_limit(cat, resume_at)
        when = resume.isoformat().replace("+00:00", "Z")
        return ZoomDailyLimitReached(
            f"Zoom daily rate limit for {cat} requests reached (on {name}); the run stopped cleanly. "
            f"Run again after {when}.",
            resume_at=resume,
            category=cat,
            status=429,
            endpoint=name,
        )


def never_connected(exc: BaseException) -> bool:
    """True when no connection was made at all (refused, unknown host, connect timeout): unlike a dropped
    connection, retrying for minutes won't help, and the address may be a typo."""
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError (refused, DNS) is one too


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None
    except _RETRYABLE_EXC:
        return None


def _code(body: Any) -> int | None:
    if isinstance(body, dict):
        try:
            return int(body.get("code"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return None
    return None


def _final_error(status: int, body: Any, name: str) -> ZoomError:
    err = error_from_response(status, body, name)
    if name == "download" and not isinstance(err, ZoomDownloadError):
        return ZoomDownloadError(
            f"Zoom download failed: {err.message}", status=err.status, code=err.code, endpoint="download"
        )
    return err


def _html_error(url: str, status: int, ctype: str) -> ZoomDownloadError:
    return ZoomDownloadError(
        f"download of {safe_url(url)} returned an HTML page instead of the file (HTTP {status}, "
        f"Content-Type {ctype or 'unknown'}); the link may need a download token, or the file was "
        "deleted or moved to trash",
        status=status,
        endpoint="download",
    )


def _pop_query_token(url: str) -> tuple[str, str | None]:
    """Moves an `access_token` query parameter out of a download URL (Zoom only accepts the header)."""
    parts = urlsplit(url)
    if "access_token" not in parts.query:
        return url, None
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    token = next((v for k, v in pairs if k == "access_token"), None)
    rest = urlencode([(k, v) for k, v in pairs if k != "access_token"])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), token
