"""Injected trouble: latency with jitter, random 5xx, dropped connections, forced 429 bursts."""

from __future__ import annotations

import asyncio
import random

from aiohttp import web

from .config import Knobs
from .ratelimit import QPS_MESSAGE


class Dropped(Exception):
    """The connection was aborted on purpose; no response is written."""


class Faults:
    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.rng = random.Random(f"faults:{knobs.seed}")

    async def delay(self) -> None:
        k = self.knobs
        if k.latency_ms or k.jitter_ms:
            ms = k.latency_ms + self.rng.uniform(-k.jitter_ms, k.jitter_ms)
            if ms > 0:
                await asyncio.sleep(ms / 1000)

    def maybe_drop(self, request: web.Request) -> None:
        if self.knobs.drop_rate and self.rng.random() < self.knobs.drop_rate:
            if request.transport is not None:
                request.transport.abort()
            raise Dropped()

    def forced_429(self, category: str):
        """Returns a 429 response while a forced burst lasts (`force_429` counts down)."""
        k = self.knobs
        if k.force_429 <= 0:
            return None
        k.force_429 -= 1
        headers = {"X-RateLimit-Category": category, "X-RateLimit-Type": "QPS", "X-RateLimit-Remaining": "0"}
        if k.retry_after is not None:
            headers["Retry-After"] = (
                str(int(k.retry_after)) if float(k.retry_after).is_integer() else str(k.retry_after)
            )
        return web.json_response({"code": 429, "message": QPS_MESSAGE}, status=429, headers=headers)

    def maybe_5xx(self):
        if self.knobs.error_rate_5xx and self.rng.random() < self.knobs.error_rate_5xx:
            status = self.rng.choice([500, 502, 503, 504])
            return web.json_response(
                {"code": status, "message": "Internal error, please try again later."}, status=status
            )
        return None

    def failing_instance(self, params):
        """500 for a route naming one of `failing_instances` (a meeting UUID), every time."""
        failing = self.knobs.failing_instances
        if failing and any(str(v) in failing for v in params):
            return web.json_response(
                {"code": 500, "message": "Internal error, please try again later."}, status=500
            )
        return None
