"""The Zoom client for Phone routes: the run's client (same token, session, stop event), paced by a
`RateLimiter` of its own with Phone's table (settings.PHONE_RATE_LIMIT_PLANS), so Phone requests and
meeting requests run side by side, each in its own buckets, and neither waits on the other's."""

from __future__ import annotations

import threading
import weakref
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
    # Phone recordings download from an API route, `GET /phone/recording/download/{fileId}` (Medium)
    phone.download_category = settings.Category.MEDIUM
    return phone


# one Phone client per client (a process's client serves every step of a load): one set of Phone buckets
_PHONE: "weakref.WeakKeyDictionary[ZoomClient, ZoomClient]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def phone_client_for(client: ZoomClient) -> ZoomClient:
    with _LOCK:
        phone = _PHONE.get(client)
        if phone is None:
            phone = _PHONE[client] = make_phone_client(client)
        return phone


def phone_client(run: Any) -> ZoomClient:
    """The Phone client of the run's client (every Phone resource, thread and step shares it)."""
    return phone_client_for(run.client)


def phone_stats(client: Any) -> dict[str, dict[str, int]]:
    """Phone requests, 429s and retries per category ("Phone Light", ...), for the run summary; {} when
    no Phone request was made."""
    phone = _PHONE.get(client) if isinstance(client, ZoomClient) else None
    if phone is None:
        return {}
    categories = {c.value for c in settings.Category}
    return {f"Phone {k}": v for k, v in phone.stats().items() if k in categories and v["requests"]}
