"""Zoom's account-level rate limits: a token bucket per category (QPS) and daily caps (Heavy +
Resource-intensive share one), with the X-RateLimit-* headers and 429 bodies Zoom sends."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from .config import Knobs

QPS_MESSAGE = "You have reached the maximum per-second rate limit for this API. Try again later."
DAILY_MESSAGE = (
    "You have reached the maximum daily rate limit for this API. Refer to the response header for details "
    "on when you can make another request."
)


def next_utc_midnight(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return (now + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")


class Bucket:
    """Refills at `rate` per second up to `capacity` (about one second of tokens, at least 1)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class RateLimiter:
    """Decides, per request category, whether to serve or answer 429; also builds the headers."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.buckets: dict[str, Bucket] = {}
        self.daily_used: dict[tuple[str, ...], int] = {}
        self.day = datetime.now(UTC).date()

    def _bucket(self, category: str, phone: bool = False) -> Bucket:
        rate = self.knobs.phone_qps(category) if phone else self.knobs.qps(category)
        key = f"phone:{category}" if phone else category
        b = self.buckets.get(key)
        if b is None or b.rate != rate:
            b = self.buckets[key] = Bucket(rate)
        return b

    def _cap(self, category: str, phone: bool = False) -> tuple[tuple[str, ...], int] | None:
        caps = self.knobs.phone_daily_caps() if phone else self.knobs.daily_caps()
        found = next((c for c in caps if category in c[0]), None)
        # Phone's daily cap is counted apart from the meeting APIs' one
        return ((("phone",) + found[0]), found[1]) if phone and found else found

    def check(self, category: str, phone: bool = False) -> tuple[dict | None, dict]:
        """Returns (429 info or None, headers). 429 info: {"body", "headers"}. `phone`: a Zoom Phone
        route, paced and capped in Phone's own buckets."""
        today = datetime.now(UTC).date()
        if today != self.day:
            self.day, self.daily_used = today, {}
        headers = {"X-RateLimit-Category": category}
        if not self.knobs.rate_limits:
            return None, headers
        cap = self._cap(category, phone)
        if cap is not None:
            group, limit = cap
            used = self.daily_used.get(group, 0)
            if used >= limit:
                headers.update(
                    {
                        "X-RateLimit-Type": "Daily-limit",
                        "X-RateLimit-Limit": str(limit),
                        "X-RateLimit-Remaining": "0",
                        "Retry-After": next_utc_midnight(),
                    }
                )
                return {"code": 429, "message": DAILY_MESSAGE}, headers
        bucket = self._bucket(category, phone)
        if not bucket.take():
            headers.update(
                {
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": _fmt(bucket.rate),
                    "X-RateLimit-Remaining": "0",
                }
            )
            return {"code": 429, "message": QPS_MESSAGE}, headers
        if cap is not None:
            group, limit = cap
            self.daily_used[group] = self.daily_used.get(group, 0) + 1
            headers.update(
                {
                    "X-RateLimit-Type": "Daily-limit",
                    "X-RateLimit-Limit": str(limit),
                    "X-RateLimit-Remaining": str(max(0, limit - self.daily_used[group])),
                }
            )
        else:
            headers.update(
                {
                    "X-RateLimit-Type": "QPS",
                    "X-RateLimit-Limit": _fmt(bucket.rate),
                    "X-RateLimit-Remaining": str(int(bucket.tokens)),
                }
            )
        return None, headers


def _fmt(rate: float) -> str:
    return str(int(rate)) if rate >= 1 else f"{rate * 60:g}/min"
