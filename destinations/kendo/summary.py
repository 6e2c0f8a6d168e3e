"""PushSummary: what one `push_calls` run did, call by call (Zoom meeting UUIDs)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

# buckets of calls this push did not post: a later real outcome for the same call replaces them
SKIP_BUCKETS = frozenset(
    {
        "skipped_already_sent",
        "changed_not_resent",
        "skipped_failed",
        "skipped_uncertain",
        "claimed_elsewhere",
        "skipped_no_transcript",
    }
)


@dataclass
class PushSummary:
    """Outcome of a push. Lists hold Zoom meeting UUIDs; dicts map a UUID to the last problem.

    Attributes:
        sent: accepted by Kendo in this run (201, callId in the ledger).
        resent: already sent before, changed since, and re-sent because `resend_changed` was asked.
        skipped_already_sent: `sent` in the ledger with an unchanged payload: not posted again.
        changed_not_resent: `sent` in the ledger, but the payload changed since; reported, not re-sent.
        skipped_failed: Kendo refused them (400) before and their payload has not changed.
        failed: Kendo answered 400 in this run: UUID -> Kendo's message.
        pending: nothing reached Kendo (429 / 5xx / refused connects ran out of tries, or the audio URL could
            not be prepared): posted again next run.
        uncertain: the POST went out in this run and no answer came (timeout, dropped connection): Kendo may
            hold the call. Not posted again unless asked (`--resend-uncertain`).
        skipped_uncertain: left uncertain by an earlier push, not re-posted.
        claimed_elsewhere: another push held the claim on the call.
        skipped_no_transcript: `audio_url_mode = "none"` and no transcript: nothing to push.
        not_attempted: not tried in this run because the push stopped (interrupt, time budget, refused key).
        dry_run: True when nothing was posted.
        dry_run_payloads: the bodies a real run would post (audio URL tokens masked; never the key).
    """

    sent: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    skipped_already_sent: list[str] = field(default_factory=list)
    changed_not_resent: list[str] = field(default_factory=list)
    skipped_failed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)
    uncertain: dict[str, str] = field(default_factory=dict)
    skipped_uncertain: list[str] = field(default_factory=list)
    claimed_elsewhere: list[str] = field(default_factory=list)
    not_attempted: dict[str, str] = field(default_factory=dict)
    skipped_no_transcript: list[str] = field(default_factory=list)
    dry_run: bool = False
    dry_run_payloads: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _bucket_of: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def add(self, bucket: str, uuid: str, message: str | None = None) -> None:
        """Thread-safe: appends `uuid` to a list bucket, or sets `uuid -> message` in a dict bucket.

        A call is counted once: a replayed package (of a push that was killed) and this push's own package
        may both hold it, so a skip never counts a call again, and an outcome replaces an earlier skip.
        """
        with self._lock:
            earlier = self._bucket_of.get(uuid)
            if earlier is not None:
                if bucket in SKIP_BUCKETS:
                    return
                if earlier in SKIP_BUCKETS:
                    self._drop(earlier, uuid)
            self._bucket_of[uuid] = bucket
            target = getattr(self, bucket)
            if isinstance(target, dict):
                target[uuid] = message or ""
            else:
                target.append(uuid)

    def _drop(self, bucket: str, uuid: str) -> None:
        target = getattr(self, bucket)
        if isinstance(target, dict):
            target.pop(uuid, None)
        else:
            target.remove(uuid)

    def counts(self) -> dict[str, int]:
        """Number of calls per bucket."""
        names = (
            "sent",
            "resent",
            "skipped_already_sent",
            "changed_not_resent",
            "skipped_failed",
            "failed",
            "pending",
            "uncertain",
            "skipped_uncertain",
            "claimed_elsewhere",
            "not_attempted",
        )
        counts = {name: len(getattr(self, name)) for name in names}
        if self.skipped_no_transcript:
            counts["skipped_no_transcript"] = len(self.skipped_no_transcript)
        if self.dry_run:
            counts["would_send"] = len(self.dry_run_payloads)
        return counts

    def unfinished(self) -> dict[str, int]:
        """Calls this push leaves not sent, by ledger status: what makes the run exit 3."""
        return {
            "pending": len(self.pending) + len(self.not_attempted),
            "failed": len(self.failed) + len(self.skipped_failed),
            "uncertain": len(self.uncertain) + len(self.skipped_uncertain),
        }

    def __str__(self) -> str:
        parts = [f"{k}={v}" for k, v in self.counts().items() if v or k in ("sent", "failed", "pending")]
        return ("Kendo push (dry run): " if self.dry_run else "Kendo push: ") + ", ".join(parts)
