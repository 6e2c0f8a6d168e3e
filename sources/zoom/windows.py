"""Date windows for endpoints that answer at most a month per request (`from`/`to`, yyyy-mm-dd).

Zoom's `from` and `to` are inclusive dates, and a range wider than a month is clamped silently
(recordings) or rejected (reports), so a long range is walked as consecutive windows of at most
`max_days` days: no gaps, no overlaps.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from . import settings

DateLike = date | datetime | str


def to_date(value: DateLike) -> date:
    """Returns the calendar date of a `date`, a `datetime` (its own date) or an ISO string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError(f"not a yyyy-mm-dd date: {value!r}") from None


def iter_windows(
    start: DateLike, end: DateLike, max_days: int = settings.MAX_WINDOW_DAYS
) -> list[tuple[date, date]]:
    """Splits the inclusive date range [start, end] into windows of at most `max_days` days.

    Args:
        start: first date to cover (date, datetime or "yyyy-mm-dd").
        end: last date to cover, inclusive.
        max_days: most days in one window, counting both ends (Zoom's `from` and `to` are inclusive).

    Returns:
        (from_date, to_date) pairs, both inclusive; each window starts the day after the previous one
        ends. Empty when `start` is after `end`. Format them with `.isoformat()` for Zoom.
    """
    if max_days < 1:
        raise ValueError(f"max_days must be at least 1, got {max_days}")
    first, last = to_date(start), to_date(end)
    windows: list[tuple[date, date]] = []
    cur = first
    while cur <= last:
        stop = min(cur + timedelta(days=max_days - 1), last)
        windows.append((cur, stop))
        cur = stop + timedelta(days=1)
    return windows
