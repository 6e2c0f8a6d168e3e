"""HTTP side of the push: one POST per call, paced, with retries that follow Kendo's error contract.

A request that went out and got no answer (read timeout, connection dropped after sending) is `uncertain`:
Kendo may have recorded the call, so it is never retried blindly. Only errors that happen before anything
was sent (refused or timed-out connects) are retried. 429 / 5xx pause every sender of the push through one
`PushGate`, so a storm costs its own length, not one Retry-After per call.

The API key travels only in the `X-API-Key` header, set by an `AuthBase` (so no request log line, repr
or exception text carries it).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from sources.zoom.retry import backoff, parse_retry_after

from .errors import KendoAuthError, KendoConfigError, KendoEndpointError
from .payload import TPayload, redact_text
from .settings import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_MAX_ATTEMPTS,
    MAX_BACKOFF_SECONDS,
    MAX_RETRY_AFTER_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
)

BODY_REFUSED = (400, 413, 422)  # Kendo refused this call's body; other 4xx mean the URL is wrong
CONNECT_TIMEOUT = 10.0  # seconds to open a connection: nothing is sent before it, so it is safe to retry

logger = logging.getLogger(__name__)

TOutcome = Literal["sent", "failed", "pending", "uncertain"]


@dataclass(frozen=True)
class PostResult:
    """What one call's POST came to: `sent` (with callId), `failed` (400: not retryable), `pending` (nothing
    reached Kendo) or `uncertain` (the request went out, no answer came)."""

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

    def reserve(self) -> float:
        """Takes the next start slot; returns how long to wait for it."""
        if not self._interval:
            return 0.0
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self._interval
        return start - now

    def wait(self) -> None:
        delay = self.reserve()
        if delay > 0:
            time.sleep(delay)


class PushGate:
    """What every sender of one push waits on before each request: pacing, a push-wide pause after a
    429 / 5xx, the push's time budget and the stop signal (Ctrl-C / SIGTERM).

    Args:
        pacer: request pacing shared by the senders.
        max_seconds: time budget of the push from now (None: none); past it, what is left stays pending.
        stop: set when the process was asked to stop; no new request starts after it.
    """

    def __init__(
        self,
        pacer: RatePacer | None = None,
        max_seconds: float | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.pacer = pacer or RatePacer(None)
        self.deadline = time.monotonic() + max_seconds if max_seconds else None
        self.stop = stop or threading.Event()
        self._paused_until = 0.0
        self._closed: str | None = None
        self._failures_in_a_row = 0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Holds every sender for `seconds` (a longer pause already set wins)."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def failed(self) -> int:
        """Counts a 5xx or connection failure; returns how many came in a row, across every sender."""
        with self._lock:
            self._failures_in_a_row += 1
            return self._failures_in_a_row

    def succeeded(self) -> None:
        with self._lock:
            self._failures_in_a_row = 0

    def close(self, reason: str) -> None:
        """No sender starts another request in this push."""
        with self._lock:
            self._closed = self._closed or reason

    def closed_reason(self) -> str | None:
        """Why no request may start now: interrupted, time budget used, or closed; None when open."""
        if self.stop.is_set():
            return "the push was interrupted"
        if self._closed:
            return self._closed
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "the push's time budget (--max-seconds) was used up"
        return None

    def wait_turn(self) -> str | None:
        """Waits out the pause and the pacing; returns why the sender must not send, or None to go."""
        while True:
            reason = self.closed_reason()
            if reason:
                return reason
            paused = self._paused_for()
            if paused > 0:
                if self.deadline is not None and time.monotonic() + paused > self.deadline:
                    return "the push's time budget (--max-seconds) ends before Kendo's back-off does"
                self.stop.wait(paused)
                continue
            delay = self.pacer.reserve()
            if delay > 0 and self.stop.wait(delay):
                return "the push was interrupted"
            if self._paused_for() <= 0:  # no pause came while this sender waited for its slot
                return None

    def _paused_for(self) -> float:
        with self._lock:
            return self._paused_until - time.monotonic()


def _sent_before_failing(exc: requests.RequestException) -> bool:
    """Whether the request may have reached Kendo before the error: only a failed connect is safe."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return True
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = exc.args[0] if exc.args else None
        reason = getattr(reason, "reason", reason)  # urllib3's MaxRetryError wraps the cause
        return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))
    return True


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (the connector's one parser: sources/zoom/retry.py)."""
    return parse_retry_after(value)[0]


MAX_MESSAGE_LENGTH = 1000


def _error_message(response: requests.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        # Kendo's own words, verbatim: `error` is often just the reason phrase, `message` says what is wrong
        words = [str(body[k]) for k in ("error", "message", "detail", "errors") if body.get(k)]
        if words:
            return redact_text(": ".join(dict.fromkeys(words)))[:MAX_MESSAGE_LENGTH]
    text = redact_text(response.text.strip())[:MAX_MESSAGE_LENGTH]
    return text or response.reason or "no message"


class KendoClient:
    """Posts call bodies to the Kendo Push API.

    Args:
        api_key: the team's push key (secret).
        ingest_url: the Push API ingest endpoint.
        gate: shared by every sender of the push: pacing, push-wide back-off, time budget, stop.
        max_attempts: tries per call for 429 / 5xx / refused connects before the call is left pending.
        backoff_seconds: first back-off; doubled per attempt, with jitter, capped at MAX_BACKOFF_SECONDS.
        timeout: seconds to wait for Kendo's answer (`destination.kendo.request_timeout`); past it the call
            is uncertain.
    """

    def __init__(
        self,
        api_key: str,
        ingest_url: str,
        gate: PushGate | None = None,
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
        self.gate = gate or PushGate()
        self.max_attempts = max(1, max_attempts)
        self.backoff_seconds = backoff_seconds
        self.timeout = timeout
        self.pool_size = max(pool_size, 1)
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
        return backoff(attempt, self.backoff_seconds, MAX_BACKOFF_SECONDS)  # the connector's one rule

    def _trip_if_down(self, problem: str) -> None:
        """Kendo down for everyone (more failures in a row than one call's tries plus the senders):
        no sender starts another request, so an outage costs one call's back-off, not every call's."""
        in_a_row = self.gate.failed()
        if in_a_row >= self.max_attempts + self.pool_size:
            self.gate.close(f"Kendo kept failing ({problem}, {in_a_row} times in a row)")

    def post_call(self, payload: TPayload) -> PostResult:
        """POSTs one call. Raises KendoAuthError on 401/403 and KendoEndpointError when the URL is not the
        Push API; otherwise returns the outcome."""
        last_problem = "not attempted"
        for attempt in range(1, self.max_attempts + 1):
            stop_reason = self.gate.wait_turn()
            if stop_reason:
                message = stop_reason if attempt == 1 else f"{last_problem}; then {stop_reason}"
                return PostResult("pending", message=message, attempts=attempt - 1)
            try:
                response = self._session.post(
                    self.ingest_url, json=payload, auth=self._auth, timeout=(CONNECT_TIMEOUT, self.timeout)
                )
            except requests.RequestException as exc:
                if _sent_before_failing(exc):
                    return PostResult(
                        "uncertain",
                        message=f"sent, but no answer from Kendo ({type(exc).__name__}); it may hold the call",
                        attempts=attempt,
                    )
                last_problem = f"connection error: {type(exc).__name__}"
                wait = self._backoff(attempt)
                self._trip_if_down(last_problem)
            else:
                status = response.status_code
                if status in (200, 201):
                    self.gate.succeeded()
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
                        self.gate.close(f"Kendo asked to wait {retry_after:.0f} s")
                        return PostResult(
                            "pending", message=last_problem + " (Retry-After too long)", attempts=attempt
                        )
                    wait = (
                        retry_after if (status == 429 and retry_after is not None) else self._backoff(attempt)
                    )
                    if status != 429:  # a 429 says how long to wait; a 5xx says Kendo is failing
                        self._trip_if_down(last_problem)
                elif status in BODY_REFUSED:  # the body is wrong: retrying would not help
                    return PostResult(
                        "failed", message=f"HTTP {status}: {_error_message(response)}", attempts=attempt
                    )
                else:  # 404, 405, ...: not the Push API at all, so no call is to blame
                    raise KendoEndpointError(status)
            if attempt < self.max_attempts:
                logger.info("Kendo: %s; every sender waits %.1f s", last_problem, wait)
                self.gate.pause(wait)  # one pause for the whole push, not one per call
        return PostResult("pending", message=last_problem, attempts=self.max_attempts)
