"""Every date and time the connector reads, parsed here: Zoom's ISO-8601 and report formats, settings'
dates, and calendar days. Aware datetimes throughout; a naive one is taken as UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Optional

DateLike = date | datetime | str

# Report listings use "MM/dd/yyyy HH:mm" for some fields.
_REPORT_TIME_FORMATS = ("%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S")


def aware(moment: datetime) -> datetime:
    """`moment` with UTC as its zone when it has none (its own zone kept otherwise)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_utc(moment: datetime) -> datetime:
    """`moment` in UTC (naive: taken as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_iso(text: str) -> Optional[datetime]:
    """An ISO-8601 datetime ("Z" accepted), aware; None when `text` is not one."""
    try:
        return aware(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        return None


def parse_time(value: Any) -> Optional[datetime]:
    """Parses Zoom's ISO-8601 UTC strings and the report `MM/dd/yyyy HH:mm` form into aware datetimes;
    None for null, "" or anything else."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return aware(value)
    text = str(value).strip()
    parsed = parse_iso(text)
    if parsed is not None:
        return parsed
    for fmt in _REPORT_TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse_instant(value: Any) -> Optional[datetime]:
    """A date (midnight UTC), a datetime or an ISO string ("2026-01-01", "2026-01-01T08:00:00Z"), as an
    aware datetime; None when it is none of these."""
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    if "T" in text:
        return parse_time(text)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


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
