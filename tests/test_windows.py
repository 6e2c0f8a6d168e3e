"""Month windows as Zoom counts them, checked against the emulator's own `to − 1 month` rules."""

from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta

import pytest

from emulators.zoom.api_phone import phone_window
from emulators.zoom.errors import ZoomHTTPError
from emulators.zoom.windows import recording_window, report_window
from sources.zoom.phone import horizon as phone_horizon
from sources.zoom.windows import after_windows, default_start_date, iter_windows, report_horizon

EVERY_DAY = [
    date(2023, 1, 1) + timedelta(days=i) for i in range((date(2029, 12, 31) - date(2023, 1, 1)).days)
]


def _days(a: date, b: date) -> int:
    return (b - a).days + 1


def _zoom_keeps(window: tuple) -> bool:
    """Whether Zoom answers the recordings window in full (no silent narrowing of `from`)."""
    frm, to = recording_window({"from": window[0].isoformat(), "to": window[1].isoformat()}, window[1])
    return (frm, to) == window


@pytest.mark.parametrize(
    "asked, answered",
    [
        (("2026-01-31", "2026-03-01"), ("2026-02-01", "2026-03-01")),  # ZOOM_API.md §10.1's example
        (("2026-01-15", "2026-03-31"), ("2026-02-28", "2026-03-31")),  # to − 1 month clamps to February's end
        (("2028-01-15", "2028-03-31"), ("2028-02-29", "2028-03-31")),  # ... a leap February's
        (("2026-04-01", "2026-05-31"), ("2026-04-30", "2026-05-31")),  # ... a 30-day month's
        (("2026-01-31", "2026-02-28"), ("2026-01-31", "2026-02-28")),  # within a month: as asked
        (("2026-02-28", "2026-03-28"), ("2026-02-28", "2026-03-28")),  # exactly one month: as asked
    ],
)
def test_the_emulator_narrows_recordings_windows_as_zoom_does(asked: tuple, answered: tuple) -> None:
    query = {"from": asked[0], "to": asked[1]}
    got = recording_window(query, date(2030, 1, 1))
    assert got == tuple(date.fromisoformat(d) for d in answered)
    narrowed = answered != asked
    with pytest.raises(ZoomHTTPError) if narrowed else nullcontext():
        report_window(query, date.fromisoformat(asked[1]))  # reports refuse what recordings narrow


def test_a_thirty_day_window_over_a_short_february_loses_its_first_day() -> None:
    # the window: Zoom narrows it to 2026-02-01, so recordings of 31 January are never listed
    assert not _zoom_keeps((date(2026, 1, 31), date(2026, 3, 1)))
    assert not _zoom_keeps((date(2025, 2, 1), date(2025, 3, 2)))


def test_every_window_is_one_zoom_month_at_most_from_any_start_day() -> None:
    for day in EVERY_DAY:
        first = iter_windows(day, day + timedelta(days=400))[0]
        assert _zoom_keeps(first), first
        # and reports accept it (on the day it ends, so the six-month horizon is not what is tested)
        assert report_window({"from": first[0].isoformat(), "to": first[1].isoformat()}, first[1]) == first
        # a day longer would be more than Zoom's month (the windows are as long as they can safely be)
        assert _days(*first) >= 28


@pytest.mark.parametrize(
    "start, window",
    [
        ("2026-01-01", ("2026-01-01", "2026-01-31")),  # a whole 31-day month
        ("2026-01-31", ("2026-01-31", "2026-02-27")),  # 31 January into a 28-day February
        ("2024-01-31", ("2024-01-31", "2024-02-28")),  # ... and into a 29-day one
        ("2026-02-01", ("2026-02-01", "2026-02-28")),
        ("2028-02-01", ("2028-02-01", "2028-02-29")),  # leap day inside
        ("2028-02-29", ("2028-02-29", "2028-03-28")),  # leap day first
        ("2026-03-31", ("2026-03-31", "2026-04-29")),  # 31-day month into a 30-day one
        ("2026-04-30", ("2026-04-30", "2026-05-29")),
        ("2026-12-15", ("2026-12-15", "2027-01-14")),  # across the new year
    ],
)
def test_windows_across_month_ends_and_february(start: str, window: tuple) -> None:
    assert iter_windows(start, "2030-01-01")[0] == tuple(date.fromisoformat(d) for d in window)


@pytest.mark.parametrize("start, end", [("2024-01-01", "2024-12-31"), ("2027-11-30", "2028-03-31")])
def test_windows_cover_the_range_without_gaps_or_overlaps(start: str, end: str) -> None:
    windows = iter_windows(start, end)
    assert windows[0][0] == date.fromisoformat(start) and windows[-1][1] == date.fromisoformat(end)
    for (_, prev_to), (nxt_from, _) in zip(windows, windows[1:], strict=False):
        assert nxt_from == prev_to + timedelta(days=1)
    assert sum(_days(a, b) for a, b in windows) == _days(date.fromisoformat(start), date.fromisoformat(end))
    assert all(_zoom_keeps(w) for w in windows)


def test_a_year_from_the_first_of_a_month_is_twelve_calendar_months() -> None:
    windows = iter_windows("2028-01-01", "2028-12-31")
    assert len(windows) == 12
    assert windows[1] == (date(2028, 2, 1), date(2028, 2, 29))


def test_limit_and_after_windows_agree() -> None:
    for start in ("2026-01-31", "2028-02-29", "2026-05-17"):
        windows = iter_windows(start, "2031-01-01", limit=6)
        assert len(windows) == 6
        assert after_windows(start, 6) == windows[-1][1] + timedelta(days=1)
        # a step that stops there and the next step's windows continue without a gap
        assert iter_windows(after_windows(start, 6), "2031-01-01")[0][0] == windows[-1][1] + timedelta(days=1)


def test_single_day_and_short_ranges() -> None:
    assert iter_windows("2026-02-03", "2026-02-03") == [(date(2026, 2, 3), date(2026, 2, 3))]
    assert iter_windows("2026-02-03", "2026-02-10") == [(date(2026, 2, 3), date(2026, 2, 10))]


def test_start_after_end_gives_no_windows() -> None:
    assert iter_windows("2026-03-01", "2026-02-28") == []


def test_accepts_datetimes_and_iso_strings_with_time() -> None:
    start = datetime(2026, 1, 31, 23, 59, tzinfo=UTC)
    windows = iter_windows(start, "2026-03-01T10:00:00Z")
    assert windows == [(date(2026, 1, 31), date(2026, 2, 27)), (date(2026, 2, 28), date(2026, 3, 1))]


def test_rejects_garbage_dates_and_limits() -> None:
    with pytest.raises(ValueError, match="yyyy-mm-dd"):
        iter_windows("yesterday", "2026-01-02")
    with pytest.raises(ValueError):
        iter_windows("2026-01-01", "2026-01-02", limit=0)


@pytest.mark.parametrize(
    "today, start",
    [("2026-12-01", "2025-12-01"), ("2028-02-29", "2027-02-28"), ("2027-03-31", "2026-03-31")],
)
def test_default_start_is_one_year_before_today(today: str, start: str) -> None:
    assert default_start_date(date.fromisoformat(today)) == date.fromisoformat(start)


def test_report_windows_from_the_horizon_pass_even_when_zooms_today_is_ahead() -> None:
    for today in EVERY_DAY:
        horizon = report_horizon(today)
        window = {"from": horizon.isoformat(), "to": (horizon + timedelta(days=20)).isoformat()}
        # Zoom's today up to two days ahead of ours (its time zone, midnight during a long run)
        for ahead in range(3):
            assert report_window(window, today + timedelta(days=ahead)) == (
                horizon,
                horizon + timedelta(days=20),
            )
        # and no later than needed: a day earlier fails on the latest of those days
        earlier = dict(window, **{"from": (horizon - timedelta(days=1)).isoformat()})
        with pytest.raises(ZoomHTTPError):
            report_window(earlier, today + timedelta(days=2))


def test_phone_windows_from_the_horizon_pass_even_when_zooms_today_is_ahead() -> None:
    """Zoom Phone keeps six months too (ZOOM_API §10.2): its first window takes the reports' margin."""
    for today in EVERY_DAY:
        start = phone_horizon(today)
        query = {"from": start.date().isoformat(), "to": (start.date() + timedelta(days=20)).isoformat()}
        midnight = datetime(today.year, today.month, today.day, tzinfo=UTC)
        # Zoom's today up to two days ahead of ours (its time zone, midnight during a long run)
        for ahead in range(3):
            zooms_now = midnight + timedelta(days=ahead, hours=23)
            assert phone_window(query, zooms_now, timedelta(hours=24))[0] == start
        # and no later than needed: a day earlier fails on the latest of those days
        earlier = dict(query, **{"from": (start.date() - timedelta(days=1)).isoformat()})
        with pytest.raises(ZoomHTTPError):
            phone_window(earlier, midnight + timedelta(days=2), timedelta(hours=24))
