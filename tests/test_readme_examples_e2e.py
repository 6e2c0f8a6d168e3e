"""The README's cron line and the GitHub Actions example, run as written on a first run (no start date, no
config) against the emulators: an account with 400 days of history, past Zoom's horizons."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Dict, Iterator

import dlt
import pytest
import yaml
from test_first_run_e2e import _one_year_before
from zoom_helpers import table_key, truth_rows, warehouse_rows

from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(sys.executable).parent.parent
CHECKED = ["past_meetings", "meeting_participants", "recordings", "recording_files", "calls"]


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=6, users=3, days_of_history=400, rate_limits=False) as e:
        yield e


@pytest.fixture
def kendo() -> Iterator[KendoEmulator]:
    with KendoEmulator(strict=True) as k:
        yield k


def _zoom_env(emu: ZoomEmulator, tmp_path: Path) -> Dict[str, str]:
    """What a user exports for the emulator (README "The emulators"), and nothing from this shell's dlt setup."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "DLT_"))}
    env.update(
        SOURCES__ZOOM__BASE_URL=emu.api_base,
        SOURCES__ZOOM__TOKEN_URL=emu.token_url,
        DLT_DATA_DIR=str(tmp_path / "home_dlt"),  # instead of ~/.dlt
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    return env


def _assert_last_year_loaded(pipeline: dlt.Pipeline, emu: ZoomEmulator) -> None:
    truth = emu.truth(**{"from": _one_year_before(datetime.now(UTC).date())})
    for table in CHECKED:
        key = table_key(table)
        got = sorted(map(repr, warehouse_rows(pipeline, table, key)))
        assert got == sorted(map(repr, truth_rows(truth, table, key))), table


def test_readme_cron_line_runs_as_written_on_a_first_run(emu, kendo, tmp_path) -> None:
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"```cron\n(.+?)\n```", readme, re.S).group(1).strip()  # type: ignore[union-attr]
    fields = line.split(None, 5)
    assert fields[:5] == ["0", "*", "*", "*", "*"], line
    workdir = re.match(r"cd (\S+) && ", fields[5]).group(1)  # type: ignore[union-attr]
    home = tmp_path / "srv"
    home.mkdir()
    (home / ".venv").symlink_to(VENV)  # the venv the README's install step made
    command = fields[5].replace(f"cd {workdir} ", f"cd {home} ", 1)
    env = _zoom_env(emu, tmp_path)
    env.update(
        SOURCES__ZOOM__CREDENTIALS__ACCOUNT_ID=emu.account_id,
        SOURCES__ZOOM__CREDENTIALS__CLIENT_ID=emu.client_id,
        SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET=emu.client_secret,
        DESTINATION__KENDO__API_KEY=kendo.api_key,
        DESTINATION__KENDO__INGEST_URL=kendo.ingest_url,
    )
    done = subprocess.run(["/bin/sh", "-c", command], env=env, capture_output=True, text=True, timeout=600)
    log = (home / "zoom.log").read_text()
    assert done.returncode == 0, log[-3000:]
    assert "Rows loaded this run" in log and "Traceback" not in log
    pipeline = dlt.pipeline(
        "zoom_pipeline",
        destination=dlt.destinations.duckdb(str(home / "zoom_pipeline.duckdb")),
        dataset_name="zoom",
        pipelines_dir=str(tmp_path / "home_dlt" / "pipelines"),
    )
    _assert_last_year_loaded(pipeline, emu)
    assert kendo.received(), "the ready calls of the last year reach Kendo"


@pytest.fixture
def fresh_database(postgres_url: str) -> Iterator[str]:
    """A database of its own: the example loads the default dataset `zoom`, as written."""
    import psycopg2

    name = f"gha_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(postgres_url)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_github_actions_example_runs_as_written_on_a_first_run(emu, kendo, fresh_database, tmp_path) -> None:
    workflow = yaml.safe_load((ROOT / "docs/examples/github-actions-zoom-pipeline.yml").read_text())
    steps = workflow["jobs"]["load"]["steps"]
    step = next(s for s in steps if str(s.get("run", "")).startswith("zoom-pipeline"))
    secrets = {
        "ZOOM_ACCOUNT_ID": emu.account_id,
        "ZOOM_CLIENT_ID": emu.client_id,
        "ZOOM_CLIENT_SECRET": emu.client_secret,
        "POSTGRES_URL": fresh_database,
        "KENDO_API_KEY": kendo.api_key,
    }
    env = _zoom_env(emu, tmp_path)
    env["DESTINATION__KENDO__INGEST_URL"] = kendo.ingest_url
    for name, value in step["env"].items():
        env[name] = re.sub(r"\$\{\{\s*secrets\.(\w+)\s*\}\}", lambda m: secrets[m.group(1)], str(value))
    bin_dir = str(VENV / "bin")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    runner = tmp_path / "checkout"
    runner.mkdir()
    done = subprocess.run(
        ["/bin/bash", "-e", "-c", step["run"]],
        cwd=runner,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    pipeline = dlt.pipeline(
        "zoom_pipeline",
        destination=dlt.destinations.postgres(fresh_database),
        dataset_name="zoom",
        pipelines_dir=str(tmp_path / "home_dlt" / "pipelines"),
    )
    _assert_last_year_loaded(pipeline, emu)
    assert kendo.received()
