"""The Zoom client for Phone routes: the run's client (same token, session, stop event), paced by a
`RateLimiter` of its own with Phone's table (settings.PHONE_RATE_LIMIT_PLANS), so Phone requests and
meeting requests run side by side, each in its own buckets, and neither waits on the other's."""

from __future__ import annotations

from typing import Any

from . import settings
from .client import ZoomClient
from .ratelimit import RateLimiter


def phone_limiter(plan: str, headroom: float = 0.95) -> RateLimiter:
    plan = plan if plan in settings.PHONE_RATE_LIMIT_PLANS else settings.DEFAULT_PLAN
    limits: dict[Any, float] = dict(settings.PHONE_RATE_LIMIT_PLANS[plan])
    return RateLimiter(
        plan,
        limits,
        headroom=headroom,
        daily_cap=settings.PHONE_DAILY_CAPS[plan],
    )


def make_phone_client(client: ZoomClient) -> ZoomClient:
    """A client sharing `client`'s auth, session and stop event, paced in Phone's buckets."""
    limiter = client.limiter
    phone = ZoomClient(
        client.auth,
        base_url=client.base_url,
        limiter=phone_limiter(limiter.plan, limiter.headroom),
        session=client.session,
        timeout=client.timeout,
        max_attempts=client.max_attempts,
        max_retry_time=client.max_retry_time,
    )
    phone.stop = client.stop
    return phone


def phone_client(run: Any) -> ZoomClient:
    """The run's Phone client, made once per run (every Phone resource and thread shares it)."""
    return run.once(("phone_client",), lambda: make_phone_client(run.client))  # type: ignore[no-any-return]
