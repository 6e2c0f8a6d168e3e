"""Per-category request pacing for one Zoom account, shared by every extract thread.

Zoom counts requests per rate-limit label (Light, Medium, Heavy, Resource-intensive) per account, so one
`RateLimiter` per process paces each label to its plan's QPS. Pacing is a GCRA ("next slot") scheduler:
each request takes the next free slot of its category, spaced 1/qps apart, so a burst of many threads
turns into an even stream instead of a spike followed by 429s. The limiter also counts the combined
Heavy + Resource-intensive daily cap and remembers when Zoom said a daily limit was reached.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

from . import settings
from .errors import ZoomDailyLimitReached
from .settings import Category

logger = logging.getLogger(__name__)

CategoryLike = Category | str
# Heavy and Resource-intensive share one daily cap on Pro and Business plans.
DAILY_CAPPED = (Category.HEAVY, Category.RESOURCE_INTENSIVE)
# After a per-second 429 the category slows to this share of its rate, and recovers per success.
THROTTLE_FACTOR = 0.8
MIN_FACTOR = 0.3
RECOVERY_PER_SUCCESS = 0.01


def to_category(value: CategoryLike) -> Category:
    """Returns the Category for "Heavy", "heavy", "resource_intensive", Category.HEAVY, ..."""
    if isinstance(value, Category):
        return value
    norm = str(value).strip().lower().replace("_", "-").replace(" ", "-")
    for c in Category:
        if c.value.lower() == norm or c.name.lower().replace("_", "-") == norm:
            return c
    raise ValueError(f"unknown Zoom rate-limit category {value!r}; known: {[c.value for c in Category]}")


def next_utc_midnight(now: datetime) -> datetime:
    """Zoom's daily limits reset at 00:00 UTC."""
    now = now.astimezone(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


class _Lane:
    """Pacing state of one category."""

    __slots__ = ("qps", "factor", "tat", "requests", "waited")

    def __init__(self, qps: float) -> None:
        self.qps = qps
        self.factor = 1.0
        self.tat = 0.0  # theoretical arrival time of the next request (monotonic seconds)
        self.requests = 0
        self.waited = 0.0


class RateLimiter:
    """Paces requests per Zoom rate-limit category; thread-safe, one per account per process.

    Args:
        plan: "free", "pro" or "business" (settings.RATE_LIMIT_PLANS).
        overrides: category -> requests per second, replacing the plan's value (e.g. {"Heavy": 5}).
        headroom: share of the limit to aim at, so timing jitter between us and Zoom never tips a
            second over the limit.
        burst: how many requests of a category may start back to back after an idle spell (1 = none).
        daily_cap: Heavy + Resource-intensive requests per UTC day; default from settings.DAILY_CAPS,
            0 or None for no cap.
        clock, sleep, now: injectable time sources (monotonic seconds, sleeper, UTC wall clock).
    """

    def __init__(
        self,
        plan: str = settings.DEFAULT_PLAN,
        overrides: Mapping[CategoryLike, float] | None = None,
        *,
        headroom: float = 0.95,
        burst: int = 1,
        daily_cap: int | None = -1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        plan = (plan or settings.DEFAULT_PLAN).strip().lower()
        if plan not in settings.RATE_LIMIT_PLANS:
            raise ValueError(
                f"unknown Zoom plan {plan!r} in sources.zoom.rate_limit_plan; "
                f"use one of {sorted(settings.RATE_LIMIT_PLANS)}"
            )
        if not 0 < headroom <= 1:
            raise ValueError(f"headroom must be in (0, 1], got {headroom}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self.plan = plan
        self.headroom = headroom
        self.burst = burst
        self.daily_cap = settings.DAILY_CAPS.get(plan) if daily_cap == -1 else (daily_cap or None)
        self._clock, self._sleep, self._now = clock, sleep, now
        self._lock = threading.Lock()
        limits = {to_category(k): float(v) for k, v in settings.RATE_LIMIT_PLANS[plan].items()}
        for k, v in (overrides or {}).items():
            if float(v) <= 0:
                raise ValueError(f"rate limit override for {k} must be > 0, got {v}")
            limits[to_category(k)] = float(v)
        self._lanes = {c: _Lane(limits[c]) for c in Category}
        self._daily_day = self._now().date()
        self._daily_used = 0
        self._exhausted_until: dict[Category, datetime] = {}

    def limit(self, category: CategoryLike) -> float:
        """The configured requests per second of a category (plan value or override)."""
        return self._lanes[to_category(category)].qps

    def rate(self, category: CategoryLike) -> float:
        """The rate currently paced to: limit x headroom x slow-down after 429s."""
        lane = self._lanes[to_category(category)]
        return lane.qps * self.headroom * lane.factor

    @property
    def daily_used(self) -> int:
        """Heavy + Resource-intensive requests this process made today (UTC)."""
        return self._daily_used

    def reserve(self, category: CategoryLike) -> float:
        """Takes the next slot of `category` and returns how long to wait for it (does not sleep).

        Raises:
            ZoomDailyLimitReached: the category's daily limit is used up (counted, or said by Zoom).
        """
        cat = to_category(category)
        with self._lock:
            self._check_daily(cat)
            lane = self._lanes[cat]
            interval = 1.0 / (lane.qps * self.headroom * lane.factor)
            now = self._clock()
            # GCRA: allowed at tat - (burst-1)*interval; a request takes one interval of budget.
            start = max(now, lane.tat - (self.burst - 1) * interval)
            lane.tat = max(lane.tat, now) + interval
            lane.requests += 1
            if cat in DAILY_CAPPED:
                self._daily_used += 1
            wait = start - now
            lane.waited += wait
            return wait

    def acquire(self, category: CategoryLike) -> float:
        """Blocks until the next slot of `category`; returns the seconds waited."""
        wait = self.reserve(category)
        if wait > 0:
            self._sleep(wait)
        return wait

    def on_success(self, category: CategoryLike) -> None:
        """A request went through: a slowed-down category creeps back to its full rate."""
        lane = self._lanes[to_category(category)]
        if lane.factor < 1.0:
            with self._lock:
                lane.factor = min(1.0, lane.factor + RECOVERY_PER_SUCCESS)

    def on_throttled(self, category: CategoryLike, pause: float = 0.0) -> None:
        """Zoom answered a per-second 429: slow the category down and hold its next slot `pause` seconds."""
        cat = to_category(category)
        with self._lock:
            lane = self._lanes[cat]
            lane.factor = max(MIN_FACTOR, lane.factor * THROTTLE_FACTOR)
            lane.tat = max(lane.tat, self._clock() + max(0.0, pause))
        logger.debug("Zoom %s: per-second limit hit, pacing at %.2f req/s", cat.value, self.rate(cat))

    def on_daily_limit(self, category: CategoryLike, resume_at: datetime | None = None) -> datetime:
        """Zoom said the daily limit of `category` is reached: refuse its requests until `resume_at`."""
        cat = to_category(category)
        resume = resume_at or next_utc_midnight(self._now())
        cats = DAILY_CAPPED if cat in DAILY_CAPPED else (cat,)
        with self._lock:
            for c in cats:
                self._exhausted_until[c] = max(resume, self._exhausted_until.get(c, resume))
        return resume

    def observe(self, category: CategoryLike, headers: Mapping[str, str]) -> None:
        """Learns from Zoom's X-RateLimit-* headers: a daily budget at 0 stops the category until reset."""
        if headers.get("X-RateLimit-Type", "").lower().startswith("daily"):
            try:
                remaining = int(headers.get("X-RateLimit-Remaining", ""))
            except ValueError:
                return
            if remaining <= 0:
                self.on_daily_limit(category)

    def _check_daily(self, cat: Category) -> None:
        now = self._now()
        if now.date() != self._daily_day:
            self._daily_day, self._daily_used = now.date(), 0
        until = self._exhausted_until.get(cat)
        if until is not None:
            if now < until:
                raise _daily_error(cat, until)
            del self._exhausted_until[cat]
        if cat in DAILY_CAPPED and self.daily_cap and self._daily_used >= self.daily_cap:
            raise _daily_error(cat, next_utc_midnight(now), counted=self.daily_cap)

    def snapshot(self) -> dict[str, dict[str, float]]:
        """Per category: configured limit, current paced rate, requests reserved, seconds waited."""
        return {
            c.value: {
                "limit": lane.qps,
                "rate": round(self.rate(c), 4),
                "requests": lane.requests,
                "waited_s": round(lane.waited, 3),
            }
            for c, lane in self._lanes.items()
        }


def _daily_error(cat: Category, until: datetime, counted: int | None = None) -> ZoomDailyLimitReached:
    why = (
        f"this run made {counted} Heavy + Resource-intensive requests, the plan's daily cap"
        if counted
        else "Zoom reported the daily rate limit reached"
    )
    return ZoomDailyLimitReached(
        f"Zoom daily limit for {cat.value} requests reached ({why}); "
        f"resume after {until.isoformat().replace('+00:00', 'Z')}",
        resume_at=until,
        category=cat.value,
        status=429,
    )
