"""One push: the per-call step (decide → claim `sending` → POST → `sent` / `failed` / `pending` /
`uncertain`) and the fan-out of a batch over `concurrency` threads. Shared by `push_calls` and the
`@dlt.destination`.

Exactly once: only the process whose conditional claim changed the ledger row posts the call, so two
pushes that somehow run at once never post the same call. A POST that went out without an answer (or whose
process died) is `uncertain` and is not posted again unless asked (`resend_uncertain`): a crash or a slow
Kendo never duplicates a call behind the user's back, and never loses one (uncertain calls are listed).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid as uuid_lib
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from .client import KendoClient, PushGate, RatePacer
from .decide import decide
from .errors import KendoAuthError, KendoEndpointError
from .ledger import Ledger
from .payload import build_payload, payload_hash, redact_text
from .settings import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_ATTEMPTS,
    REQUEST_TIMEOUT_SECONDS,
)
from .summary import PushSummary

logger = logging.getLogger("destinations.kendo")

# `fn(row) -> url | None`, or `-> (url | None, expires_at | None)` (audio_urls.AudioUrlProvider)
TAudioUrlFn = Callable[[Mapping[str, Any]], "str | None | tuple[str | None, datetime | None]"]


class PushSession:
    """State of one push, shared by the worker threads: ledger, pacing, HTTP clients, summary.

    Args:
        ledger: where claims and outcomes are recorded.
        concurrency: maximum POSTs in flight.
        rate_per_second: Kendo pacing across all threads (None / 0: unpaced).
        resend_changed: re-post calls that were sent and changed since.
        resend_uncertain: re-post calls left `uncertain` (Kendo may hold them: a duplicate is possible).
        max_seconds: the push's time budget; past it, what is left stays pending (None: no budget).
        stop: set on Ctrl-C / SIGTERM: no new POST starts; the ones in flight finish.
        request_timeout: seconds to wait for Kendo's answer before the call is uncertain.
        audio_url_fn: gives the audioUrl to send for a row (e.g. a staged copy), called right before the POST;
            it may also return `(url, expires_at)`, and `expires_at` goes to the ledger.
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate_per_second: float | None = None,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        resend_changed: bool = False,
        resend_uncertain: bool = False,
        audio_url_fn: TAudioUrlFn | None = None,
        summary: PushSummary | None = None,
        max_seconds: float | None = None,
        stop: threading.Event | None = None,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.id = uuid_lib.uuid4().hex
        self.ledger = ledger
        self.concurrency = max(1, int(concurrency))
        self.gate = PushGate(RatePacer(rate_per_second), max_seconds=max_seconds, stop=stop)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.request_timeout = request_timeout
        self.resend_changed = resend_changed
        self.resend_uncertain = resend_uncertain
        self.audio_url_fn = audio_url_fn
        self.summary = summary or PushSummary()
        # a refused key or a wrong ingest URL: every call would fail alike, so the push stops
        self.fatal_error: KendoAuthError | KendoEndpointError | None = None
        self._clients: dict[tuple[str, str], KendoClient] = {}
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(self.concurrency, thread_name_prefix="kendo-push")

    def __repr__(self) -> str:
        return f"PushSession(id={self.id!r}, concurrency={self.concurrency})"

    def client(self, api_key: str, ingest_url: str) -> KendoClient:
        """One HTTP client per (endpoint, key) for the whole push (connection reuse)."""
        if not api_key:
            raise KendoAuthError.missing()
        key = (ingest_url, hashlib.sha256(api_key.encode()).hexdigest())
        with self._lock:
            if key not in self._clients:
                self._clients[key] = KendoClient(
                    api_key,
                    ingest_url,
                    gate=self.gate,
                    max_attempts=self.max_attempts,
                    backoff_seconds=self.backoff_seconds,
                    timeout=self.request_timeout,
                    pool_size=self.concurrency,
                )
            return self._clients[key]

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for client in self._clients.values():
            client.close()

    def push_rows(self, client: KendoClient, rows: Iterable[Mapping[str, Any]]) -> None:
        """Pushes rows `concurrency` at a time; a refused key or a wrong URL is kept in `fatal_error`."""
        futures = [self._executor.submit(self.push_call, client, row) for row in rows]
        for future in futures:
            future.result()  # unexpected errors (e.g. the ledger database) surface to dlt

    def push_call(self, client: KendoClient, row: Mapping[str, Any]) -> None:
        """Pushes one call if this push wins its claim, keeping the ledger in step with what Kendo has seen."""
        meeting_uuid = str(row["meeting_uuid"])
        stop_reason = self.gate.closed_reason()
        if stop_reason:
            self.summary.add("not_attempted", meeting_uuid, stop_reason)
            return
        content_hash = payload_hash(build_payload(row))
        entry = self.ledger.get(meeting_uuid)
        decision = decide(
            entry, content_hash, resend_changed=self.resend_changed, resend_uncertain=self.resend_uncertain
        )
        if not decision.post:
            self.summary.add(decision.bucket, meeting_uuid)
            return
        if not self.ledger.claim(meeting_uuid, entry, content_hash):
            self.summary.add("claimed_elsewhere", meeting_uuid)  # another push took it first
            return
        try:
            given = self.audio_url_fn(row) if self.audio_url_fn else None
            audio_url, audio_expires_at = given if isinstance(given, tuple) else (given, None)
            payload = build_payload(row, audio_url=audio_url)
        except Exception as exc:  # e.g. staging the audio failed: nothing was sent, try again next run
            message = redact_text(f"could not prepare the call: {type(exc).__name__}: {exc}")
            self._leave_pending(meeting_uuid, message)
            return
        try:
            result = client.post_call(payload)
        except (KendoAuthError, KendoEndpointError) as exc:
            self.fatal_error = self.fatal_error or exc
            what = "Kendo rejected the API key" if isinstance(exc, KendoAuthError) else "wrong ingest URL"
            self.gate.close(what)
            self._leave_pending(meeting_uuid, f"HTTP {exc.status}: {what}")
            return
        except BaseException:
            # unexpected: the request may have gone out, so never leave it to be posted blindly
            self.ledger.mark_uncertain(meeting_uuid, "the push failed while this call was being sent")
            raise
        if result.outcome == "sent":
            self.ledger.mark_sent(meeting_uuid, result.call_id)  # right after the 201
            if self.audio_url_fn is not None:
                self.ledger.set_audio_url_expires_at(meeting_uuid, audio_expires_at)
            self.summary.add("resent" if decision.resend else "sent", meeting_uuid)
            logger.debug("Kendo accepted %s as %s", meeting_uuid, result.call_id)
        elif result.outcome == "failed":
            message = result.message or "rejected"
            self.ledger.mark_failed(meeting_uuid, message)
            self.summary.add("failed", meeting_uuid, message)
            logger.warning("Kendo refused %s: %s", meeting_uuid, message)
        elif result.outcome == "uncertain":
            message = result.message or "no answer"
            self.ledger.mark_uncertain(meeting_uuid, message)
            self.summary.add("uncertain", meeting_uuid, message)
            logger.warning("Kendo push of %s is uncertain: %s", meeting_uuid, message)
        else:
            self._leave_pending(meeting_uuid, result.message or "no answer")

    def _leave_pending(self, meeting_uuid: str, message: str) -> None:
        self.ledger.mark_still_pending(meeting_uuid, message)
        self.summary.add("pending", meeting_uuid, message)
        logger.warning("Kendo push of %s left pending: %s", meeting_uuid, message)


# sessions by id: the @dlt.destination runs in dlt's load threads and finds its session through this
_SESSIONS: dict[str, PushSession] = {}
_SESSIONS_LOCK = threading.Lock()


@contextmanager
def registered(session: PushSession) -> Iterator[PushSession]:
    """Makes `session` findable by id for the duration of a push."""
    with _SESSIONS_LOCK:
        _SESSIONS[session.id] = session
    try:
        yield session
    finally:
        with _SESSIONS_LOCK:
            _SESSIONS.pop(session.id, None)
        session.close()


def find_session(session_id: str) -> PushSession | None:
    with _SESSIONS_LOCK:
        return _SESSIONS.get(session_id)
