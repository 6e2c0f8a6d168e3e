"""One push: the per-call step (ledger check → `pending` → POST → `sent` / `failed` / `pending`) and
the fan-out of a batch over `concurrency` threads. Shared by `push_calls` and the `@dlt.destination`.

Duplicate bound: a call is marked `pending` before its POST and `sent` right after its 201, each in its own
committed statement. If the process dies, only calls whose POST was in flight (at most `concurrency`) can
have reached Kendo without a `sent` row; the next run posts them again. So a crash duplicates at most
`concurrency` calls in Kendo, and never loses one.
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

from .client import KendoClient, RatePacer
from .errors import KendoAuthError
from .ledger import Ledger
from .payload import build_payload, payload_hash, redact_text
from .settings import DEFAULT_BACKOFF_SECONDS, DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS
from .summary import PushSummary

logger = logging.getLogger("destinations.kendo")

# `fn(row) -> url | None`, or `-> (url | None, expires_at | None)` (audio_urls.AudioUrlProvider)
TAudioUrlFn = Callable[[Mapping[str, Any]], "str | None | tuple[str | None, datetime | None]"]


class PushSession:
    """State of one push, shared by the worker threads: ledger, pacing, HTTP clients, summary.

    Args:
        ledger: where `pending` / `sent` / `failed` are recorded.
        concurrency: maximum POSTs in flight (also the crash duplicate bound).
        rate_per_second: Kendo pacing across all threads (None / 0: unpaced).
        resend: UUIDs that are `sent` but changed, and that the user asked to re-send.
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
        resend: Iterable[str] = (),
        audio_url_fn: TAudioUrlFn | None = None,
        summary: PushSummary | None = None,
    ) -> None:
        self.id = uuid_lib.uuid4().hex
        self.ledger = ledger
        self.concurrency = max(1, int(concurrency))
        self.pacer = RatePacer(rate_per_second)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.resend = set(resend)
        self.audio_url_fn = audio_url_fn
        self.summary = summary or PushSummary()
        self.auth_error: KendoAuthError | None = None
        self._stopped = threading.Event()
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
                    pacer=self.pacer,
                    max_attempts=self.max_attempts,
                    backoff_seconds=self.backoff_seconds,
                    pool_size=self.concurrency,
                )
            return self._clients[key]

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        for client in self._clients.values():
            client.close()

    def push_rows(self, client: KendoClient, rows: Iterable[Mapping[str, Any]]) -> None:
        """Pushes rows `concurrency` at a time; raises KendoAuthError if Kendo refused the key."""
        futures = [self._executor.submit(self.push_call, client, row) for row in rows]
        for future in futures:
            future.result()  # unexpected errors (e.g. the ledger database) surface to dlt
        if self.auth_error is not None:
            raise self.auth_error

    def push_call(self, client: KendoClient, row: Mapping[str, Any]) -> None:
        """Pushes one call, keeping the ledger in step with what Kendo has seen."""
        if self._stopped.is_set():
            return  # the key was refused: leave the remaining calls untouched
        meeting_uuid = str(row["meeting_uuid"])
        content_hash = payload_hash(build_payload(row))
        entry = self.ledger.get(meeting_uuid)
        resend = False
        if entry is not None and entry.status == "sent":
            if meeting_uuid in self.resend and entry.payload_hash != content_hash:
                resend = True
            elif entry.payload_hash != content_hash:
                self.summary.add("changed_not_resent", meeting_uuid)
                return
            else:
                self.summary.add("skipped_already_sent", meeting_uuid)
                return
        if entry is not None and entry.status == "failed" and entry.payload_hash == content_hash:
            self.summary.add("skipped_failed", meeting_uuid)
            return

        self.ledger.mark_pending(meeting_uuid, content_hash)
        try:
            given = self.audio_url_fn(row) if self.audio_url_fn else None
            audio_url, audio_expires_at = given if isinstance(given, tuple) else (given, None)
            payload = build_payload(row, audio_url=audio_url)
        except Exception as exc:  # e.g. staging the audio failed: try again next run
            message = redact_text(f"could not prepare the call: {type(exc).__name__}: {exc}")
            self.ledger.mark_still_pending(meeting_uuid, message)
            self.summary.add("pending", meeting_uuid, message)
            logger.warning("Kendo push of %s left pending: %s", meeting_uuid, message)
            return
        try:
            result = client.post_call(payload)
        except KendoAuthError as exc:
            self.auth_error = exc
            self._stopped.set()
            self.ledger.mark_still_pending(meeting_uuid, f"HTTP {exc.status}: Kendo rejected the API key")
            self.summary.add("pending", meeting_uuid, f"HTTP {exc.status}: Kendo rejected the API key")
            return
        if result.outcome == "sent":
            self.ledger.mark_sent(meeting_uuid, result.call_id)  # right after the 201: the crash window
            if self.audio_url_fn is not None:
                self.ledger.set_audio_url_expires_at(meeting_uuid, audio_expires_at)
            self.summary.add("resent" if resend else "sent", meeting_uuid)
            logger.debug("Kendo accepted %s as %s", meeting_uuid, result.call_id)
        elif result.outcome == "failed":
            message = result.message or "rejected"
            self.ledger.mark_failed(meeting_uuid, message)
            self.summary.add("failed", meeting_uuid, message)
            logger.warning("Kendo refused %s: %s", meeting_uuid, message)
        else:
            message = result.message or "no answer"
            self.ledger.mark_still_pending(meeting_uuid, message)
            self.summary.add("pending", meeting_uuid, message)
            logger.warning(
                "Kendo push of %s left pending after %d attempts: %s", meeting_uuid, result.attempts, message
            )


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
