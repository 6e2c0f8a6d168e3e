"""A bad setting stops `zoom-pipeline run` with exit 1 and one line that names it, before any Zoom call."""

from __future__ import annotations

import subprocess
from typing import Iterator

import pytest
from test_cli_e2e import SCRIPT, cli_env

from emulators.zoom import ZoomEmulator


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=4, users=1, meetings_per_user=1, webinars=0, rate_limits=False) as e:
        yield e


@pytest.mark.parametrize(
    "env, args, expected",
    [
        (
            {"SOURCES__ZOOM__START_DATE": "yesterday"},
            [],
            "sources.zoom.start_date: 'yesterday' is not a date",
        ),
        ({"SOURCES__ZOOM__LAG_DAYS": "-5"}, [], "sources.zoom.lag_days: '-5' is not a number"),
        ({"SOURCES__ZOOM__LAG_DAYS": "two"}, [], "sources.zoom.lag_days: 'two' is not a number"),
        (
            {"SOURCES__ZOOM__RATE_LIMIT_OVERRIDES": '{"Heavy": "fast"}'},
            [],
            "sources.zoom.rate_limit_overrides:",
        ),
        ({"SOURCES__ZOOM__RATE_LIMIT_OVERRIDES": "Heavy=5"}, [], "sources.zoom.rate_limit_overrides:"),
        ({"SOURCES__ZOOM__RATE_LIMIT_OVERRIDES": '{"Huge": 5}'}, [], "sources.zoom.rate_limit_overrides:"),
        (
            {"SOURCES__ZOOM__RATE_LIMIT_PLAN": "gold"},
            [],
            "sources.zoom.rate_limit_plan: 'gold' is not a plan",
        ),
        ({}, ["--windows-per-run", "0"], "--windows-per-run: 0 is not a whole number"),
    ],
    ids=[
        "start_date-word",
        "lag_days-negative",
        "lag_days-word",
        "overrides-type",
        "overrides-not-json",
        "overrides-category",
        "plan",
        "windows_per_run",
    ],
)
def test_bad_setting_exits_1_with_one_line_naming_it(emu, tmp_path, env, args, expected) -> None:
    before = emu.stats()["requests"]
    cmd = [SCRIPT, "run", "--duckdb-path", str(tmp_path / "x.duckdb"), *args]
    done = subprocess.run(
        cmd, env={**cli_env(emu, tmp_path), **env}, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"zoom-pipeline: {expected}"), done.stderr[-2000:]
    assert emu.stats()["requests"] == before, "a bad setting must stop the run before it calls Zoom"
