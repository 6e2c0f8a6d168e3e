"""Recordings on month ends, 31 January and 28/29 February all load: the windows are Zoom's calendar months.

Zoom narrows a recordings window wider than one month to `to − 1 month` without saying so; a 30-day window
that holds all of a 28-day February (`2026-01-31..2026-03-01`) lost the recordings of its first day.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Iterator, List

import pytest
from zoom_helpers import load, make_pipeline, warehouse_rows

from emulators.zoom import ZoomEmulator

# Days that end or open a month of every length; 2024 is a leap year.
LEAP_DAYS = ["2024-01-31", "2024-02-28", "2024-02-29", "2024-03-01", "2024-03-31", "2024-04-30", "2024-05-31"]
COMMON_DAYS = ["2025-01-31", "2025-02-01", "2025-02-28", "2025-03-01", "2025-03-31", "2025-04-30"]
# The shipped start date of old (2026-01-01) walked 30-day windows into 2026-01-31..2026-03-01.
DEFAULT_ERA_DAYS = ["2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01", "2026-03-31", "2026-06-30"]


@pytest.fixture
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(
        seed=21, users=1, meetings_per_user=0, webinars=0, channels=0, days_of_history=10, rate_limits=False
    ) as e:
        yield e


def _record_on(emu: ZoomEmulator, days: List[str]) -> dict:
    """One recorded call early and one late (UTC) on each day; returns {uuid: start}."""
    added = {}
    for day in days:
        for hour, minute in ((0, 5), (23, 40)):
            start = datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)
            added[emu.add_meeting(start_time=start, duration=15)["uuid"]] = start.isoformat()
    return added


def _loaded(pipeline) -> set:
    return {r[0] for r in warehouse_rows(pipeline, "recordings", ["uuid"])}


def _clamp_warnings(caplog) -> list:
    return [r.getMessage() for r in caplog.records if "clamped" in r.getMessage()]


def test_first_run_from_the_old_default_start_loses_no_recording(emu, tmp_path, caplog) -> None:
    added = _record_on(emu, DEFAULT_ERA_DAYS)
    pipeline = make_pipeline("duckdb", tmp_path)
    caplog.set_level(logging.INFO)
    load(pipeline, emu, "2026-01-01", resources=["recordings"])
    missing = {u: s for u, s in added.items() if u not in _loaded(pipeline)}
    assert not missing, f"recordings lost: {sorted(missing.values())}"
    assert not _clamp_warnings(caplog)


@pytest.mark.parametrize(
    "days, start, end",
    [(LEAP_DAYS, "2024-01-01", "2024-06-15"), (COMMON_DAYS, "2025-01-31", "2025-05-20")],
    ids=["leap-2024", "common-2025"],
)
def test_fixed_range_across_february_and_month_ends_loses_no_recording(
    emu, tmp_path, caplog, days, start, end
) -> None:
    added = _record_on(emu, days)
    caplog.set_level(logging.INFO)
    # one window per step too: a step boundary must not open a window Zoom clamps
    for windows_per_run in (2, 6):
        (tmp_path / str(windows_per_run)).mkdir()
        pipeline = make_pipeline("duckdb", tmp_path / str(windows_per_run))
        load(pipeline, emu, start, end_date=end, resources=["recordings"], windows_per_run=windows_per_run)
        missing = {u: s for u, s in added.items() if u not in _loaded(pipeline)}
        assert not missing, f"windows_per_run={windows_per_run}: recordings lost: {sorted(missing.values())}"
    assert not _clamp_warnings(caplog)
