"""The ledger's skip rules, in one place: what to do with a ready call given its `kendo_sync` row."""

from __future__ import annotations

from dataclasses import dataclass

from .ledger import LedgerEntry


@dataclass(frozen=True)
class Decision:
    """`post` (claim the row as it is in `entry`, then POST), or skip with the summary bucket to count it in."""

    post: bool
    bucket: str = ""  # for skips: skipped_already_sent, changed_not_resent, skipped_failed, ...
    resend: bool = False  # the call was sent (or maybe sent) before and is posted again on purpose


def decide(
    entry: LedgerEntry | None, content_hash: str, *, resend_changed: bool, resend_uncertain: bool
) -> Decision:
    """What a push does with one call.

    - no row, or `pending` (nothing reached Kendo): post;
    - `sending`: another push holds the claim right now: skip;
    - `uncertain` (Kendo may hold it): post only when asked (`resend_uncertain`);
    - `failed` (Kendo refused it): post again only if the content changed;
    - `sent`: skip, unless the content changed and `resend_changed` was asked.
    """
    if entry is None or entry.status == "pending":
        return Decision(True)
    if entry.status == "sending":
        return Decision(False, "claimed_elsewhere")
    if entry.status == "uncertain":
        return Decision(True, resend=True) if resend_uncertain else Decision(False, "skipped_uncertain")
    changed = entry.payload_hash != content_hash
    if entry.status == "failed":
        return Decision(True) if changed else Decision(False, "skipped_failed")
    if not changed:
        return Decision(False, "skipped_already_sent")
    return Decision(True, resend=True) if resend_changed else Decision(False, "changed_not_resent")
