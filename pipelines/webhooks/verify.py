"""Zoom's webhook signature (ZOOM_API.md §6.2, "Using webhooks"): `v0=` + hex HMAC-SHA256 keyed with the
secret token over `v0:{x-zm-request-timestamp}:{raw body}`, compared in constant time. The 5-minute
timestamp window is our choice (Zoom documents none): a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Mapping, Optional

MAX_SKEW_SECONDS = 300

# reasons a delivery is refused (the `reason` label of zoom_webhooks_rejected_total)
MISSING_SIGNATURE = "missing_signature"
BAD_SIGNATURE = "bad_signature"
MISSING_TIMESTAMP = "missing_timestamp"
STALE_TIMESTAMP = "stale_timestamp"
BAD_BODY = "bad_body"


def _bytes(header: str) -> bytes:
    # aiohttp hands non-UTF-8 header bytes over as surrogates: back to the bytes sent, never an error
    return header.encode("utf-8", "surrogateescape")


def expected_signature(secret: str, timestamp: str, raw: bytes) -> str:
    message = b"v0:" + _bytes(timestamp) + b":" + raw
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def rejection(
    secret: str, headers: Mapping[str, str], raw: bytes, now: Optional[float] = None
) -> Optional[str]:
    """None for a genuine, fresh delivery; else the reason it is refused."""
    signature = headers.get("x-zm-signature")
    timestamp = headers.get("x-zm-request-timestamp")
    if not signature:
        return MISSING_SIGNATURE
    if not timestamp:
        return MISSING_TIMESTAMP
    # the signature first: an unsigned caller learns nothing about our clock
    if not hmac.compare_digest(_bytes(signature), expected_signature(secret, timestamp, raw).encode()):
        return BAD_SIGNATURE
    try:
        sent = int(timestamp)
    except ValueError:
        return STALE_TIMESTAMP
    if abs((time.time() if now is None else now) - sent) > MAX_SKEW_SECONDS:
        return STALE_TIMESTAMP
    return None


def url_validation_answer(secret: str, plain_token: str) -> dict:
    """The answer to `endpoint.url_validation`: the plain token and its HMAC-SHA256 in hex."""
    encrypted = hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()
    return {"plainToken": plain_token, "encryptedToken": encrypted}
