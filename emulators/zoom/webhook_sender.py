"""The emulator's webhook subscription: delivers events to one URL the way Zoom does.

Zoom ("Using webhooks", ../shared/ZOOM_API.md §6): a POST signed with the secret token
(`x-zm-signature`, `x-zm-request-timestamp` in seconds), answered 200/204 within 3 s; a response >= 500
or a transport error is retried 3 times, 5, 20 and 60 minutes after the previous attempt, then the event
is dropped; 3xx/4xx are never retried. A retry carries the same body (same `event_ts`), freshly signed.

For tests: `time_scale` shrinks the retry delays (0.001: 0.3 s, 1.2 s, 3.6 s), `duplicates` sends every
event that many extra times, and forged deliveries (bad or missing signature, stale timestamp) are sent
on demand. Runs on the emulator's event loop; every attempt is logged for the admin routes.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import aiohttp

from .webhooks import encrypted_token, signature

RETRY_MINUTES = (5, 20, 60)
ATTEMPT_TIMEOUT_SECONDS = 3.0  # Zoom's deadline for the answer
FORGERIES = ("bad_signature", "missing_signature", "stale_timestamp")
STALE_SECONDS = 600  # older than the 5 minutes a receiver accepts


@dataclass
class Subscription:
    url: str
    secret: str
    time_scale: float = 1.0
    duplicates: int = 0
    events: Optional[list] = None  # None: every event

    def wants(self, event: str) -> bool:
        return self.events is None or event in self.events


@dataclass
class WebhookSender:
    subscription: Optional[Subscription] = None
    log: list = field(default_factory=list)
    _session: Optional[aiohttp.ClientSession] = None
    _tasks: set = field(default_factory=set)

    def subscribe(
        self, url: str, secret: str, time_scale: float = 1.0, duplicates: int = 0, events: Any = None
    ) -> None:
        if not url or not secret:
            raise ValueError("a subscription needs url and secret")
        if float(time_scale) <= 0 or int(duplicates) < 0:
            raise ValueError("time_scale must be > 0 and duplicates >= 0")
        self.subscription = Subscription(url, secret, float(time_scale), int(duplicates), events)

    def pending(self) -> int:
        """Deliveries still in flight or waiting for a retry."""
        return sum(1 for t in self._tasks if not t.done())

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        return self._session

    @staticmethod
    def body(
        event: str, obj: dict, account_id: str, extra: Optional[dict] = None, event_ts: Optional[int] = None
    ) -> dict:
        body = {
            "event": event,
            "event_ts": event_ts if event_ts is not None else int(time.time() * 1000),
            "payload": {"account_id": account_id, "object": obj},
        }
        body.update(extra or {})
        return body

    async def emit(self, body: dict) -> list:
        """Delivers `body` (plus `duplicates` copies) now; returns the first attempts' log entries. A copy
        answered >= 500 (or not at all) is retried in the background at Zoom's schedule."""
        sub = self.subscription
        if sub is None or not sub.wants(body["event"]):
            return []
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        kinds = ["original"] + ["duplicate"] * sub.duplicates
        firsts = await asyncio.gather(*(self.post(sub, raw, body, k) for k in kinds))
        for entry in firsts:
            if not _acknowledged(entry):
                self._spawn(self._retry(sub, raw, body))
        return list(firsts)

    def emit_soon(self, body: dict) -> None:
        """`emit` without waiting (a change in the account: Zoom sends its events on its own time)."""
        self._spawn(self.emit(body))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retry(self, sub: Subscription, raw: bytes, body: dict) -> None:
        for attempt, minutes in enumerate(RETRY_MINUTES, start=1):
            await asyncio.sleep(minutes * 60 * sub.time_scale)
            if _acknowledged(await self.post(sub, raw, body, "retry", attempt)):
                return

    async def post(
        self, sub: Subscription, raw: bytes, body: dict, kind: str, attempt: int = 0, forge: str = ""
    ) -> dict:
        ts = int(time.time()) - (STALE_SECONDS if forge == "stale_timestamp" else 0)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Zoom Marketplace/1.0a",
            "x-zm-request-timestamp": str(ts),
            "x-zm-signature": signature(sub.secret if forge != "bad_signature" else "forged", ts, raw),
            "x-zm-request-id": secrets.token_hex(16),
            "x-zm-trackingid": "v=2.0;clid=us06;rid=" + secrets.token_hex(8),
        }
        if forge == "missing_signature":
            del headers["x-zm-signature"]
        started = time.monotonic()
        status: Any
        answer = b""
        try:
            timeout = aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_SECONDS)
            async with self._http().post(sub.url, data=raw, headers=headers, timeout=timeout) as resp:
                status = resp.status
                answer = await resp.read()
        except TimeoutError:
            status = -1  # Zoom's codes for transport errors: -1 timeout, -2 connection refused
        except aiohttp.ClientError:
            status = -2
        entry = {
            "event": body.get("event"),
            "event_ts": body.get("event_ts"),
            "uuid": (body.get("payload") or {}).get("object", {}).get("uuid"),
            "kind": kind,
            "attempt": attempt,
            "forge": forge,
            "status": status,
            "seconds": round(time.monotonic() - started, 4),
            "answer": answer[:512].decode("utf-8", "replace"),
        }
        self.log.append(entry)
        return entry

    async def validate(self, plain_token: Optional[str] = None) -> dict:
        """Zoom's `endpoint.url_validation` check (on save, then every 72 hours); not retried."""
        sub = self._require()
        plain = plain_token or secrets.token_urlsafe(16)
        body = {
            "payload": {"plainToken": plain},
            "event_ts": int(time.time() * 1000),
            "event": "endpoint.url_validation",
        }
        raw = json.dumps(body, separators=(",", ":")).encode()
        entry = await self.post(sub, raw, body, "validation")
        try:
            answer = json.loads(entry["answer"] or "{}")
        except ValueError:
            answer = {}
        ok = (
            entry["status"] in (200, 204)
            and answer.get("plainToken") == plain
            and answer.get("encryptedToken") == encrypted_token(sub.secret, plain)
        )
        return {"ok": ok, "status": entry["status"]}

    async def forged(self, forge: str, body: dict) -> dict:
        """One delivery signed wrongly (FORGERIES); never retried (a receiver answers 401)."""
        if forge not in FORGERIES:
            raise ValueError(f"forge must be one of {', '.join(FORGERIES)}")
        sub = self._require()
        raw = json.dumps(body, separators=(",", ":")).encode()
        return await self.post(sub, raw, body, "forged", forge=forge)

    async def burst(self, bodies: list) -> list:
        """Delivers `bodies` all at once; returns every first attempt's log entry."""
        self._require()
        return [e for entries in await asyncio.gather(*(self.emit(b) for b in bodies)) for e in entries]

    def _require(self) -> Subscription:
        if self.subscription is None:
            raise ValueError("no webhook subscription: POST /_emulator/webhooks/subscription first")
        return self.subscription


def _acknowledged(entry: dict) -> bool:
    """Zoom retries only a response >= 500 or a transport error (negative codes)."""
    status = entry["status"]
    return 0 < status < 500
