"""Settings that point the wrong way stop `zoom-pipeline run` with one line naming the setting, exit 1, and
move no cursor: a base URL without `/v2` (404 on GET /users), a host nothing listens on, an account with no
users. Once the setting is fixed, the next run loads the whole history (nothing was lost to the typo)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator

import dlt
import pytest
from zoom_helpers import cli_env, duplicates, table_key, truth_rows, warehouse_rows

from emulators._server import free_port
from emulators.zoom import ZoomEmulator

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
START = (datetime.now(UTC) - timedelta(days=70)).date().isoformat()
TIME_BOUND_CHECKED = ["past_meetings", "meeting_participants", "recordings", "report_meeting_participants"]
CHECKED = ["users", "meetings", "webinars", *TIME_BOUND_CHECKED, "past_webinars"]


@pytest.fixture
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=9, users=3, meetings_per_user=2, days_of_history=65, rate_limits=False) as e:
        yield e


def run(env: Dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    cmd = [SCRIPT, "run", "--duckdb-path", str(tmp_path / "zoom_pipeline.duckdb"), "--start-date", START]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def warehouse(tmp_path: Path) -> Any:
    return dlt.pipeline(
        "zoom_pipeline",
        destination=dlt.destinations.duckdb(str(tmp_path / "zoom_pipeline.duckdb")),
        dataset_name="zoom",
        pipelines_dir=str(tmp_path / "dlt" / "pipelines"),
    )


def assert_fails_naming(done: subprocess.CompletedProcess, setting: str) -> str:
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("zoom-pipeline:") and setting in last, done.stderr[-2000:]
    return last


def assert_no_cursor(tmp_path: Path) -> None:
    state = warehouse(tmp_path).state.get("sources", {}).get("zoom", {}).get("resources", {})
    moved = {name: s["window_cursor"] for name, s in state.items() if "window_cursor" in s}
    assert not moved, f"cursors moved by a failed run: {moved}"


def test_base_url_without_v2_fails_moves_nothing_then_the_fixed_run_loads_everything(emu, tmp_path) -> None:
    typo = cli_env(emu, tmp_path, SOURCES__ZOOM__BASE_URL=emu.base_url)  # no /v2
    last = assert_fails_naming(run(typo, tmp_path), "sources.zoom.base_url")
    assert "404" in last and "/v2" in last
    assert_no_cursor(tmp_path)

    fixed = run(cli_env(emu, tmp_path), tmp_path)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    truth = emu.truth()
    pipeline = warehouse(tmp_path)
    for table in CHECKED:
        key = table_key(table)
        got, expected = warehouse_rows(pipeline, table, key), truth_rows(truth, table, key)
        assert expected, f"{table}: the truth has no rows; the test would prove nothing"
        assert not duplicates(got), table
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), (
            f"{table}: {len(got)} vs {len(expected)}"
        )


def test_an_unreachable_base_url_is_retried_aloud_then_named(emu, tmp_path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v2"  # nothing listens there
    done = run(cli_env(emu, tmp_path, SOURCES__ZOOM__BASE_URL=closed), tmp_path)
    assert_fails_naming(done, "sources.zoom.base_url")
    retries = [line for line in done.stderr.splitlines() if "WARNING" in line and "retrying" in line]
    assert retries and "cannot connect" in retries[0] and "127.0.0.1" in retries[0], done.stderr[-2000:]
    assert_no_cursor(tmp_path)


def test_an_unreachable_token_url_is_named(emu, tmp_path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/oauth/token"
    done = run(cli_env(emu, tmp_path, SOURCES__ZOOM__TOKEN_URL=closed), tmp_path)
    assert_fails_naming(done, "sources.zoom.token_url")
    assert any("WARNING" in line and "retrying" in line for line in done.stderr.splitlines())
    assert_no_cursor(tmp_path)


def test_an_account_with_no_users_fails_and_moves_nothing(tmp_path) -> None:
    with ZoomEmulator(seed=9, users=0, rate_limits=False) as empty:
        done = run(cli_env(empty, tmp_path), tmp_path)
    last = assert_fails_naming(done, "sources.zoom.base_url")
    assert "no users" in last
    assert_no_cursor(tmp_path)


def test_without_the_user_scope_nothing_can_load_and_the_scope_is_named(tmp_path) -> None:
    with ZoomEmulator(seed=9, users=3, rate_limits=False, missing_scopes=["user:read:admin"]) as emu:
        done = run(cli_env(emu, tmp_path), tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "user:read:admin" in done.stderr.strip().splitlines()[-1], done.stderr[-2000:]
    assert_no_cursor(tmp_path)
