"""Sending Zoom-signed webhook events to a URL, as Zoom does.

Signature (Zoom "Using webhooks"): `x-zm-signature: v0=<hex HMAC_SHA256(secret, "v0:{ts}:{body}")>` with
`x-zm-request-timestamp` in seconds; the body's `event_ts` is in milliseconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import requests


def signature(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """`v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}` keyed with the webhook secret token."""
    raw = body.encode() if isinstance(body, str) else body
    message = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def encrypted_token(secret: str, plain_token: str) -> str:
    """The `encryptedToken` a receiver must answer to `endpoint.url_validation`."""
    return hmac.new(secret.encode(), plain_token.encode(), hashlib.sha256).hexdigest()


def send_event(
    url: str,
    event: str,
    obj: dict,
    secret: str,
    account_id: str = "emuAccount01",
    extra: dict | None = None,
    timeout: float = 3.0,
) -> requests.Response:
    """POSTs `{"event", "event_ts", "payload": {"account_id", "object"}}` with Zoom's headers.

    Args:
        extra: top-level fields to add (e.g. {"download_token": ...} for recording.completed).
    """
    now = time.time()
    body = {"event": event, "event_ts": int(now * 1000), "payload": {"account_id": account_id, "object": obj}}
    body.update(extra or {})
    return _post(url, body, secret, int(now), timeout)


def validate_url(url: str, secret: str, plain_token: str | None = None, timeout: float = 3.0) -> bool:
    """Runs Zoom's `endpoint.url_validation` challenge; True when the receiver answers correctly."""
    plain = plain_token or secrets.token_urlsafe(16)
    body = {
        "payload": {"plainToken": plain},
        "event_ts": int(time.time() * 1000),
        "event": "endpoint.url_validation",
    }
    resp = _post(url, body, secret, int(time.time()), timeout)
    if resp.status_code not in (200, 204):
        return False
    try:
        answer: Any = resp.json()
    except ValueError:
        return False
    return answer.get("plainToken") == plain and hmac.compare_digest(
        str(answer.get("encryptedToken", "")), encrypted_token(secret, plain)
    )


def recording_completed_object(recording: dict, host_email: str = "") -> dict:
    """`recording.completed`'s payload.object from a GET /meetings/{id}/recordings body
    (the webhook types `type` as an integer, unlike the REST list)."""
    obj = dict(recording)
    obj["type"] = int(obj.get("type", 2))
    obj["host_email"] = host_email
    for f in obj.get("recording_files", []):
        f.setdefault("status", "completed")
    return obj


def _post(url: str, body: dict, secret: str, ts: int, timeout: float) -> requests.Response:
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": str(ts),
        "x-zm-signature": signature(secret, ts, raw),
        "x-zm-request-id": secrets.token_hex(16),
        "x-zm-trackingid": "v=2.0;clid=us06;rid=" + secrets.token_hex(8),
    }
    return requests.post(url, data=raw, headers=headers, timeout=timeout)
