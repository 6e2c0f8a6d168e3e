"""Date windows for endpoints that answer at most a month per request (`from`/`to`, yyyy-mm-dd), and the
horizons Zoom keeps data for.

Zoom's `from` and `to` are inclusive days, and "a month" is a calendar month counted back from `to`: the
recordings list narrows `from` to `to − 1 month` silently (`2026-01-31..2026-03-01` becomes
`2026-02-01..2026-03-01`) and reports reject a wider range with 400/300. `to − 1 month` keeps the day of
the month, clamped to the month's last day (`2026-03-31 − 1 month = 2026-02-28`). So a window that starts
on day `f` ends the day before `f + 1 month`: `to − 1 month` then always falls before `from`, a day to spare
in every month, whatever its length.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from . import settings
from .dates import DateLike, to_date


def add_months(day: date, n: int) -> date:
    """`day` plus `n` calendar months (negative: minus), the day clamped to the month's end, as Zoom counts."""
    year, month = divmod(day.month - 1 + n, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_end(start: date) -> date:
    """The last day of the month window that starts on `start` (inclusive): the day before `start + 1 month`."""
    return add_months(start, 1) - timedelta(days=1)


def iter_windows(start: DateLike, end: DateLike, limit: int | None = None) -> list[tuple[date, date]]:
    """Splits the inclusive date range [start, end] into month windows Zoom answers in full.

    Args:
        start: first date to cover (date, datetime or "yyyy-mm-dd").
        end: last date to cover, inclusive.
        limit: at most this many windows (the first ones); all when None.

    Returns:
        (from_date, to_date) pairs, both inclusive; each window starts the day after the previous one
        ends and satisfies `from > to − 1 month`. Empty when `start` is after `end`. Format them with
        `.isoformat()` for Zoom.
    """
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    first, last = to_date(start), to_date(end)
    windows: list[tuple[date, date]] = []
    cur = first
    while cur <= last and (limit is None or len(windows) < limit):
        stop = min(window_end(cur), last)
        windows.append((cur, stop))
        cur = stop + timedelta(days=1)
    return windows


def after_windows(start: DateLike, n: int) -> date:
    """The first day after `n` whole month windows from `start` (where a step of `n` windows stops)."""
    cur = to_date(start)
    for _ in range(n):
        cur = window_end(cur) + timedelta(days=1)
    return cur


def default_start_date(today: date) -> date:
    """The first run's backfill start when none is configured: one year before `today` (UTC)."""
    return add_months(today, -settings.DEFAULT_START_MONTHS_BACK)


def horizon(today: date, months: int) -> date:
    """The first day a window may start on where Zoom keeps `months` months: counted back from a few days
    ahead of `today`.

    Zoom's "today" may be ahead of ours (its time zone, or midnight passing during a run), and a window that
    starts a day too early fails whole. The margin is added before the month arithmetic, since six months
    before 28 February is 28 August but before 1 March it is 1 September.
    """
    ahead = today + timedelta(days=settings.HORIZON_MARGIN_DAYS)
    return add_months(ahead, -months)


def report_horizon(today: date) -> date:
    """The first day a report window may start on (six months, with the margin of `horizon`)."""
    return horizon(today, settings.REPORT_HORIZON_MONTHS)
