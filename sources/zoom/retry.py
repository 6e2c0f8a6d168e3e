"""When to try again: the one Retry-After parser and the one back-off rule (API calls, downloads, tokens)."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from .dates import aware, parse_iso


def backoff(attempt: int, base: float, cap: float) -> float:
    """Seconds to wait before retry `attempt` (1, 2, ...): `base` doubling per attempt up to `cap`, with
    jitter (half to all of it), so threads that failed together don't retry together."""
    return min(cap, base * 2 ** (attempt - 1)) * random.uniform(0.5, 1.0)


@dataclass
class RetryBudget:
    """How long one logical request may keep retrying: at most `max_attempts`, within `max_seconds`."""

    max_attempts: int
    max_seconds: float = float("inf")
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def spent(self, attempt: int, wait: float) -> bool:
        """Whether `attempt` was the last: no attempts left, or waiting `wait` would run past the time."""
        return attempt >= self.max_attempts or self.elapsed() + wait > self.max_seconds


def parse_retry_after(value: str | None, now: datetime | None = None) -> tuple[float | None, datetime | None]:
    """Reads a Retry-After header.

    Returns:
        (seconds to wait, None) for a number of seconds or an HTTP-date; (seconds until then, the
        datetime) for an ISO-8601 datetime, which is how Zoom says a daily limit resets; (None, None)
        when missing or unreadable.
    """
    if not value or not value.strip():
        return None, None
    text = value.strip()
    now = now or datetime.now(UTC)
    try:
        return max(0.0, float(text)), None
    except ValueError:
        pass
    when = parse_iso(text)
    if when is not None:
        return max(0.0, (when - now).total_seconds()), when
    try:
        when = aware(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None, None
    return max(0.0, (when - now).total_seconds()), None
