"""A first run with the defaults on an account with 400 days of history: no start date, no config.

It loads the last year (reports: the last six months, less a safety day) and nothing fails: Zoom answers
400/300 "Only provide report in recent 6 months" for a report window that reaches past its horizon.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any, Iterator

import pytest
import requests
import zoom_helpers
from test_source_e2e import ZOOM_TABLES, assert_matches_truth
from zoom_helpers import RECORDING_TABLES, make_client

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import encode_uuid
from emulators.zoom.windows import add_months
from pipelines.load import load_zoom
from sources.zoom import registry

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

REPORT_TABLES = registry.reported()


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=6, users=3, days_of_history=400, rate_limits=False) as e:
        yield e


def _one_year_before(today: date) -> date:
    return today.replace(year=today.year - 1, day=28 if (today.month, today.day) == (2, 29) else today.day)


def test_first_run_with_defaults_loads_the_last_year_and_six_months_of_reports(
    emu, warehouse, caplog
) -> None:
    _, pipeline = warehouse
    emu.reset()
    oldest = min(i.start for i in emu.state.data.instances.values())
    assert oldest < datetime.now(UTC) - timedelta(days=380), "the account must hold history older than a year"
    caplog.set_level(logging.INFO)

    load_zoom(pipeline, make_client(emu))  # no start_date: the default

    today = datetime.now(UTC).date()
    horizon_lines = [r.getMessage() for r in caplog.records if "six months" in r.getMessage()]
    assert len(horizon_lines) == 1, horizon_lines
    clip = date.fromisoformat(horizon_lines[0].split("from ")[1][:10])
    assert add_months(today, -6) < clip <= add_months(today, -6) + timedelta(days=3)

    others = [t for t in ZOOM_TABLES + RECORDING_TABLES if t not in REPORT_TABLES]
    assert_matches_truth(pipeline, emu.truth(**{"from": _one_year_before(today)}), others)
    assert_matches_truth(pipeline, emu.truth(**{"from": clip}), REPORT_TABLES)


def test_emulator_refuses_participant_reports_older_than_six_months(emu) -> None:
    now = emu.state.data.now
    webinars = [i for i in emu.state.data.instances.values() if i.parent.is_webinar]
    old = [
        i
        for i in webinars
        if i.start.date() < add_months(now.date(), -6) and i.start > now - timedelta(days=365)
    ]
    recent = [i for i in webinars if i.start.date() >= add_months(now.date(), -6)]
    assert old and recent, "the account must hold webinars on both sides of the six-month horizon"
    headers = {"Authorization": f"Bearer {emu.access_token()}"}

    def report(inst: Any) -> Any:
        url = f"{emu.api_base}/report/webinars/{encode_uuid(inst.uuid)}/participants"
        return requests.get(url, headers=headers, timeout=30)

    refused = report(old[0])
    assert refused.status_code == 400 and refused.json()["code"] == 300
    assert report(recent[0]).status_code == 200
