"""HTTP side of the push: one POST per call, paced, with retries that follow Kendo's error contract.

The API key travels only in the `X-API-Key` header, set by an `AuthBase` (so no request log line, repr
or exception text carries it).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import requests

from .errors import KendoAuthError, KendoConfigError
from .payload import TPayload, redact_text
from .settings import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
)

logger = logging.getLogger(__name__)

TOutcome = Literal["sent", "failed", "pending"]


@dataclass(frozen=True)
class PostResult:
    """What one call's POST came to: `sent` (with callId), `failed` (400: not retryable) or `pending`."""

    outcome: TOutcome
    call_id: str | None = None
    message: str | None = None
    attempts: int = 0


class _ApiKeyAuth(requests.auth.AuthBase):
    """Adds `X-API-Key`; its repr never shows the key."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-API-Key"] = self._api_key
        return request

    def __repr__(self) -> str:
        return "<Kendo X-API-Key auth ***>"


class RatePacer:
    """Spaces request starts at least 1/rate seconds apart, across threads (None or 0: no pacing)."""

    def __init__(self, rate_per_second: float | None) -> None:
        self._interval = 1.0 / rate_per_second if rate_per_second else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        if start > now:
            time.sleep(start - now)


def _retry_after_seconds(value: str | None) -> float | None:
    """Parses Retry-After (seconds, or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _error_message(response: requests.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("error", "message", "detail", "errors"):
            if body.get(key):
                return redact_text(str(body[key]))[:1000]
    return redact_text(response.text.strip())[:1000] or response.reason or "no message"


class KendoClient:
    """Posts call bodies to the Kendo Push API.

    Args:
        api_key: the team's push key (secret).
        ingest_url: the Push API ingest endpoint.
        pacer: shared pacing across threads (Kendo's rate).
        max_attempts: tries per call for 429 / 5xx / connection errors before the call is left pending.
        backoff_seconds: first back-off; doubled per attempt, with jitter, capped at MAX_BACKOFF_SECONDS.
    """

    def __init__(
        self,
        api_key: str,
        ingest_url: str,
        pacer: RatePacer | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
        pool_size: int = 16,
    ) -> None:
        if not api_key:
            raise KendoAuthError.missing()
        if not ingest_url or not ingest_url.startswith(("http://", "https://")):
            raise KendoConfigError("destination.kendo.ingest_url must be an http(s) URL")
        self.ingest_url = ingest_url
        self.pacer = pacer or RatePacer(None)
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        self._auth = _ApiKeyAuth(api_key)
        self._session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max(pool_size, 1))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"KendoClient(ingest_url={self.ingest_url!r})"

    def close(self) -> None:
        self._session.close()

    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_seconds * (2 ** (attempt - 1)), MAX_BACKOFF_SECONDS)
        return float(base * random.uniform(0.5, 1.5))

    def post_call(self, payload: TPayload) -> PostResult:
        """POSTs one call. Raises KendoAuthError on 401/403; otherwise returns the outcome."""
        last_problem = "not attempted"
        for attempt in range(1, self.max_attempts + 1):
            self.pacer.wait()
            try:
                response = self._session.post(
                    self.ingest_url, json=payload, auth=self._auth, timeout=self.timeout
                )
            except requests.RequestException as exc:
                # a timeout may hide an accepted call; retrying is at-least-once, like every push
                last_problem = f"connection error: {type(exc).__name__}"
                wait = self._backoff(attempt)
            else:
                status = response.status_code
                if status in (200, 201):
                    call_id = None
                    try:
                        call_id = response.json().get("callId")
                    except (ValueError, AttributeError):
                        pass
                    if not call_id:
                        logger.warning("Kendo answered %s without a callId", status)
                    return PostResult("sent", call_id=call_id and str(call_id), attempts=attempt)
                if status in (401, 403):
                    raise KendoAuthError(status)
                if status == 429 or status == 408 or status >= 500:
                    last_problem = f"HTTP {status}: {_error_message(response)}"
                    retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                    if retry_after is not None and retry_after > MAX_RETRY_AFTER_SECONDS:
                        return PostResult(
                            "pending", message=last_problem + " (Retry-After too long)", attempts=attempt
                        )
                    wait = (
                        retry_after if (status == 429 and retry_after is not None) else self._backoff(attempt)
                    )
                else:  # 400 and other 4xx: the body is wrong, retrying would not help
                    return PostResult(
                        "failed", message=f"HTTP {status}: {_error_message(response)}", attempts=attempt
                    )
            if attempt < self.max_attempts:
                logger.debug(
                    "Kendo push attempt %d failed (%s); retrying in %.2f s", attempt, last_problem, wait
                )
                time.sleep(wait)
        return PostResult("pending", message=last_problem, attempts=self.max_attempts)
