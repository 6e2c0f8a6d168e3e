"""Month windows for endpoints that take at most a month per request."""

from datetime import UTC, date, datetime, timedelta

import pytest

from sources.zoom import settings
from sources.zoom.windows import iter_windows


def _days(a: date, b: date) -> int:
    return (b - a).days + 1


def test_windows_cover_the_range_without_gaps_or_overlaps() -> None:
    windows = iter_windows("2026-01-01", "2026-04-15")
    assert windows[0][0] == date(2026, 1, 1)
    assert windows[-1][1] == date(2026, 4, 15)
    for (_, prev_to), (nxt_from, _) in zip(windows, windows[1:], strict=False):
        assert nxt_from == prev_to + timedelta(days=1)
    assert all(_days(a, b) <= settings.MAX_WINDOW_DAYS for a, b in windows)
    assert sum(_days(a, b) for a, b in windows) == _days(date(2026, 1, 1), date(2026, 4, 15))


def test_default_window_is_the_settings_maximum() -> None:
    (first, *_rest) = iter_windows(date(2026, 1, 1), date(2026, 12, 31))
    assert first == (date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=settings.MAX_WINDOW_DAYS - 1))


def test_single_day_and_short_ranges() -> None:
    assert iter_windows("2026-02-03", "2026-02-03") == [(date(2026, 2, 3), date(2026, 2, 3))]
    assert iter_windows("2026-02-03", "2026-02-10", max_days=30) == [(date(2026, 2, 3), date(2026, 2, 10))]


def test_exact_multiple_of_max_days() -> None:
    windows = iter_windows("2026-01-01", "2026-01-20", max_days=10)
    assert windows == [(date(2026, 1, 1), date(2026, 1, 10)), (date(2026, 1, 11), date(2026, 1, 20))]


def test_start_after_end_gives_no_windows() -> None:
    assert iter_windows("2026-03-01", "2026-02-28") == []


def test_accepts_datetimes_and_iso_strings_with_time() -> None:
    start = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)
    windows = iter_windows(start, "2026-03-01T10:00:00Z", max_days=15)
    assert windows[0][0] == date(2026, 1, 31)
    assert windows[-1][1] == date(2026, 3, 1)


def test_leap_year_february() -> None:
    windows = iter_windows("2028-02-01", "2028-03-31", max_days=29)
    assert windows[0] == (date(2028, 2, 1), date(2028, 2, 29))
    assert windows[1][0] == date(2028, 3, 1)


@pytest.mark.parametrize("bad", [0, -1])
def test_rejects_non_positive_max_days(bad: int) -> None:
    with pytest.raises(ValueError):
        iter_windows("2026-01-01", "2026-01-02", max_days=bad)


def test_rejects_garbage_dates() -> None:
    with pytest.raises(ValueError, match="yyyy-mm-dd"):
        iter_windows("yesterday", "2026-01-02")
