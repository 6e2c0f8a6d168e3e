"""Date rules: recordings clamp a range over a month silently; reports reject it (and anything older
than six months); past meetings older than a year are gone (12702)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from .errors import ZoomHTTPError


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def parse_day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise ZoomHTTPError(400, 300, f"Invalid field: {name}.") from None


def recording_window(query, today: date) -> tuple[date, date]:
    """Default today..tomorrow; a range wider than a month is clamped to `to` minus one month."""
    to = parse_day(query.get("to"), "to") or today + timedelta(days=1)
    frm = parse_day(query.get("from"), "from") or today
    if frm > to:
        raise ZoomHTTPError(400, 300, "The from date can not be later than the to date.")
    return max(frm, add_months(to, -1)), to


def report_window(query, today: date) -> tuple[date, date]:
    """`from`/`to` required, at most a month apart, within the past six months (else 400/300)."""
    frm, to = parse_day(query.get("from"), "from"), parse_day(query.get("to"), "to")
    if frm is None or to is None:
        raise ZoomHTTPError(400, 300, "Both from and to are required.")
    if frm > to:
        raise ZoomHTTPError(400, 300, "The from date can not be later than the to date.")
    if frm < add_months(to, -1):
        raise ZoomHTTPError(400, 300, "The date range can not exceed one month.")
    if frm < add_months(today, -6):
        raise ZoomHTTPError(400, 300, "Only provide report in recent 6 months.")
    return frm, to


def day_bounds(frm: date, to: date) -> tuple[datetime, datetime]:
    """[from 00:00, to+1 00:00) in UTC: `to` is inclusive."""

    start = datetime(frm.year, frm.month, frm.day, tzinfo=UTC)
    end = datetime(to.year, to.month, to.day, tzinfo=UTC) + timedelta(days=1)
    return start, end


def older_than_a_year(start: datetime, now: datetime) -> bool:
    return start < now - timedelta(days=365)


def within_six_months(start: datetime, now: datetime) -> bool:
    return start.date() >= add_months(now.date(), -6)


def within_fifteen_months(start: datetime, now: datetime) -> bool:
    return start.date() >= add_months(now.date(), -15)
