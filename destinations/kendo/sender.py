"""One push, call by call: decide → claim `sending` → POST → `sent` / `failed` / `pending` / `uncertain`,
`concurrency` calls at a time. `KendoPush.send_batch` is what the `@dlt.destination` runs for each batch.

Exactly once: only the process whose conditional claim changed the ledger row posts the call, so two
pushes that somehow run at once never post the same call. A POST that went out without an answer (or whose
process died) is `uncertain` and is not posted again unless asked (`resend_uncertain`): a crash or a slow
Kendo never duplicates a call behind the user's back, and never loses one (uncertain calls are listed).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from .client import KendoClient, PushGate, RatePacer
from .config import KendoDestinationConfiguration
from .decide import decide
from .errors import KendoAuthError, KendoEndpointError
from .ledger import Ledger, open_ledger
from .payload import build_payload, payload_hash, redact_text
from .summary import PushSummary

logger = logging.getLogger("destinations.kendo")

# `fn(row) -> url | None`, or `-> (url | None, expires_at | None)` (audio_urls.AudioUrlProvider)
TAudioUrlFn = Callable[[Mapping[str, Any]], "str | None | tuple[str | None, datetime | None]"]


def settle_stale_claims(ledger: Ledger) -> list[str]:
    """Rows left `sending` by a push that died become `uncertain`: Kendo may hold them, so no re-post."""
    settled = ledger.settle_stale("a push stopped while this call was being sent; Kendo may hold it")
    if settled:
        logger.warning(
            "%d call(s) were being sent when an earlier push stopped: now uncertain, not re-posted"
            " (zoom-pipeline push --resend-uncertain posts them again)",
            len(settled),
        )
    return settled


class KendoPush:
    """What one push shares across its batches (and its replayed packages) and with its caller. These are
    live objects, not config: the destination's settings come from its spec.

    Args:
        audio_url_fn: gives the audioUrl to send for a row (e.g. a staged copy), called right before the POST;
            it may also return `(url, expires_at)`, and `expires_at` goes to the ledger.
        summary: where each call's outcome is counted.
        stop: set on Ctrl-C / SIGTERM: no new POST starts; the ones in flight finish.
    """

    def __init__(
        self,
        *,
        audio_url_fn: TAudioUrlFn | None = None,
        summary: PushSummary | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.audio_url_fn = audio_url_fn
        self.summary = summary or PushSummary()
        self.stop = stop or threading.Event()
        # a refused key or a wrong ingest URL: every call would fail alike, so the push stops
        self.fatal_error: KendoAuthError | KendoEndpointError | None = None
        self._gate: PushGate | None = None
        self._client: KendoClient | None = None
        self._settled = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KendoPush({self.summary})"

    def _client_for(self, config: KendoDestinationConfiguration) -> KendoClient:
        """One gate and one HTTP client for the whole push: pacing, pauses and the budget span its batches."""
        with self._lock:
            if self._client is None:
                if config.api_key is None or not config.api_key.api_key:
                    raise KendoAuthError.missing()
                self._gate = PushGate(
                    RatePacer(config.rate_per_second), max_seconds=config.max_seconds, stop=self.stop
                )
                self._client = KendoClient(
                    config.api_key.api_key,
                    config.ingest_url,
                    gate=self._gate,
                    max_attempts=config.max_attempts,
                    backoff_seconds=config.backoff_seconds,
                    timeout=float(config.request_timeout),
                    pool_size=max(1, config.concurrency),
                )
            return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def send_batch(self, rows: list[Mapping[str, Any]], config: KendoDestinationConfiguration) -> None:
        """Pushes rows `concurrency` at a time. Raises KendoAuthError if there is no key; a refused key or a
        wrong ingest URL closes the push and is kept in `fatal_error` for the caller to raise."""
        client = self._client_for(config)
        with open_ledger(config.ledger_credentials, config.ledger_dataset_name) as ledger:
            if not self._settled:
                ledger.ensure_table()
                settle_stale_claims(ledger)
                self._settled = True
            workers = max(1, int(config.concurrency))
            with ThreadPoolExecutor(workers, thread_name_prefix="kendo-push") as pool:
                futures = [pool.submit(self.push_call, ledger, client, config, row) for row in rows]
                for future in futures:
                    future.result()  # unexpected errors (e.g. the ledger database) surface to dlt

    def push_call(
        self,
        ledger: Ledger,
        client: KendoClient,
        config: KendoDestinationConfiguration,
        row: Mapping[str, Any],
    ) -> None:
        """Pushes one call if this push wins its claim, keeping the ledger in step with what Kendo has seen."""
        meeting_uuid = str(row["meeting_uuid"])
        stop_reason = client.gate.closed_reason()
        if stop_reason:
            self.summary.add("not_attempted", meeting_uuid, stop_reason)
            return
        content_hash = payload_hash(build_payload(row))
        entry = ledger.get(meeting_uuid)
        decision = decide(
            entry,
            content_hash,
            resend_changed=config.resend_changed,
            resend_uncertain=config.resend_uncertain,
        )
        if not decision.post:
            self.summary.add(decision.bucket, meeting_uuid)
            return
        if not ledger.claim(meeting_uuid, entry, content_hash, row.get("account_id")):
            self.summary.add("claimed_elsewhere", meeting_uuid)  # another push took it first
            return
        try:
            given = self.audio_url_fn(row) if self.audio_url_fn else None
            audio_url, audio_expires_at = given if isinstance(given, tuple) else (given, None)
            payload = build_payload(row, audio_url=audio_url)
        except Exception as exc:  # e.g. staging the audio failed: nothing was sent, try again next run
            message = redact_text(f"could not prepare the call: {type(exc).__name__}: {exc}")
            self._leave_pending(ledger, meeting_uuid, message)
            return
        try:
            result = client.post_call(payload)
        except (KendoAuthError, KendoEndpointError) as exc:
            self.fatal_error = self.fatal_error or exc
            what = "Kendo rejected the API key" if isinstance(exc, KendoAuthError) else "wrong ingest URL"
            client.gate.close(what)
            self._leave_pending(ledger, meeting_uuid, f"HTTP {exc.status}: {what}")
            return
        except BaseException:
            # unexpected: the request may have gone out, so never leave it to be posted blindly
            ledger.mark_uncertain(meeting_uuid, "the push failed while this call was being sent")
            raise
        if result.outcome == "sent":
            ledger.mark_sent(meeting_uuid, result.call_id)  # right after the 201
            if self.audio_url_fn is not None:
                ledger.set_audio_url_expires_at(meeting_uuid, audio_expires_at)
            self.summary.add("resent" if decision.resend else "sent", meeting_uuid)
            logger.debug("Kendo accepted %s as %s", meeting_uuid, result.call_id)
        elif result.outcome == "failed":
            message = result.message or "rejected"
            ledger.mark_failed(meeting_uuid, message)
            self.summary.add("failed", meeting_uuid, message)
            logger.warning("Kendo refused %s: %s", meeting_uuid, message)
        elif result.outcome == "uncertain":
            message = result.message or "no answer"
            ledger.mark_uncertain(meeting_uuid, message)
            self.summary.add("uncertain", meeting_uuid, message)
            logger.warning("Kendo push of %s is uncertain: %s", meeting_uuid, message)
        else:
            self._leave_pending(ledger, meeting_uuid, result.message or "no answer")

    def _leave_pending(self, ledger: Ledger, meeting_uuid: str, message: str) -> None:
        ledger.mark_still_pending(meeting_uuid, message)
        self.summary.add("pending", meeting_uuid, message)
        logger.warning("Kendo push of %s left pending: %s", meeting_uuid, message)
