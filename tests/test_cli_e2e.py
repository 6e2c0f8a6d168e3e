"""The `zoom-pipeline` console script as a user runs it: a subprocess against the emulators, with real kills."""

from __future__ import annotations

import glob
import os
import shlex
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator, List

import dlt
import pytest
from zoom_helpers import cli_env, duplicates, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
START = (datetime.now(UTC) - timedelta(days=70)).date().isoformat()
CHECKED = [
    "users",
    "meetings",
    "past_meetings",
    "meeting_participants",
    "recordings",
    "recording_files",
    "transcript_segments",
    "report_meeting_participants",
    "webinar_participants",
    "channel_members",
    "calls",
]


@pytest.fixture
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=5, users=4, days_of_history=65, rate_limits=False, latency_ms=15) as e:
        yield e


def run_args(tmp_path: Path, *extra: str) -> List[str]:
    return [
        SCRIPT,
        "run",
        "--duckdb-path",
        str(tmp_path / "zoom_pipeline.duckdb"),
        "--start-date",
        START,
        *extra,
    ]


def warehouse(tmp_path: Path) -> Any:
    return dlt.pipeline(
        "zoom_pipeline",
        destination=dlt.destinations.duckdb(str(tmp_path / "zoom_pipeline.duckdb")),
        dataset_name="zoom",
        pipelines_dir=str(tmp_path / "dlt" / "pipelines"),
    )


def assert_same_as_truth(tmp_path: Path, truth: dict) -> None:
    pipeline = warehouse(tmp_path)
    for table in CHECKED:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        assert not duplicates(got), f"{table}: duplicates after the re-run: {list(duplicates(got))[:3]}"
        assert sorted(map(repr, got)) == sorted(map(repr, truth_rows(truth, table, key))), table


def test_console_script_loads_and_summarises(emu, tmp_path) -> None:
    done = subprocess.run(
        run_args(tmp_path), env=cli_env(emu, tmp_path), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Rows loaded this run" in done.stdout and "Zoom requests per rate-limit category" in done.stdout
    assert_same_as_truth(tmp_path, emu.truth())
    assert emu.client_secret not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "args, env_drop, expected",
    [
        (["--start-date", "01/02/2026"], None, "start_date"),
        (["--start-date", "2026-01-01"], "SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET", "client_secret"),
    ],
)
def test_bad_config_is_one_clear_line(emu, tmp_path, args, env_drop, expected) -> None:
    env = cli_env(emu, tmp_path)
    if env_drop:
        env.pop(env_drop)
    cmd = [SCRIPT, "run", "--duckdb-path", str(tmp_path / "x.duckdb"), *args]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("zoom-pipeline:") and expected in last, done.stderr[-2000:]


def test_wrong_credentials_name_the_setting(emu, tmp_path) -> None:
    env = cli_env(emu, tmp_path)
    env["SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET"] = "wrong-secret"
    done = subprocess.run(run_args(tmp_path), env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "sources.zoom.credentials" in done.stderr.strip().splitlines()[-1]
    assert "wrong-secret" not in done.stderr


def _kill_when(proc: subprocess.Popen, ready, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return True
        time.sleep(0.002)
    return False


def _started_jobs(tmp_path: Path) -> List[str]:
    return glob.glob(
        str(
            tmp_path
            / "dlt"
            / "pipelines"
            / "zoom_pipeline"
            / "load"
            / "normalized"
            / "*"
            / "started_jobs"
            / "*"
        )
    )


@pytest.mark.parametrize("phase", ["extract", "load"])
def test_killed_run_then_rerun_equals_uninterrupted(emu, tmp_path, phase) -> None:
    env = cli_env(emu, tmp_path)
    for _attempt in range(5):
        before = sum(emu.stats()["requests"].values())
        proc = subprocess.Popen(
            run_args(tmp_path, "--windows-per-run", "1"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if phase == "extract":
            # past the entity listings, in the middle of the time-bound windows
            killed = _kill_when(proc, lambda b=before: sum(emu.stats()["requests"].values()) - b > 60)
        else:
            # the first load into an empty destination: a copy job has started
            killed = _kill_when(proc, lambda: bool(_started_jobs(tmp_path)))
        if killed:
            break
        proc.wait(60)
        # the run finished before we caught the phase: start again from an empty destination
        for p in (tmp_path / "zoom_pipeline.duckdb", tmp_path / "dlt"):
            subprocess.run(["rm", "-rf", str(p)], check=True)
    assert killed, f"could not kill the run during {phase}"
    assert proc.returncode == -signal.SIGKILL

    done = subprocess.run(
        run_args(tmp_path, "--windows-per-run", "1"), env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert_same_as_truth(tmp_path, emu.truth())


def test_demo_ends_with_report_and_its_sql_command_opens_the_file(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(DLT_PROJECT_DIR=str(tmp_path), RUNTIME__DLTHUB_TELEMETRY="false")
    out = tmp_path / "demo"
    done = subprocess.run(
        [SCRIPT, "demo", "--dir", str(out), "--users", "4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for heading in (
        "Rows loaded this run",
        "Meetings per week",
        "Top hosts by meeting minutes",
        "Talk time by speaker",
    ):
        assert heading in done.stdout
    assert "Kendo push: sent=" in done.stdout
    lines = [line.strip() for line in done.stdout.strip().splitlines()]
    assert lines[-1].startswith("Report (charts, opens offline in a browser): ")
    assert Path(lines[-1].split(": ", 1)[1]).is_file()
    command = next(line for line in lines if line.startswith("zoom-pipeline sql --duckdb-path"))
    args = shlex.split(command)
    opened = subprocess.run([SCRIPT, *args[1:]], env=env, capture_output=True, text=True, timeout=60)
    assert opened.returncode == 0, opened.stderr
    assert "rep_email" in opened.stdout


def test_run_push_kendo_then_push_again_sends_each_ready_call_once(emu, tmp_path) -> None:
    from emulators.kendo import KendoEmulator

    with KendoEmulator(strict=True) as kendo:
        env = cli_env(emu, tmp_path)
        env.update(DESTINATION__KENDO__API_KEY=kendo.api_key, DESTINATION__KENDO__INGEST_URL=kendo.ingest_url)
        before = emu.stats()["requests"]
        done = subprocess.run(
            run_args(tmp_path, "--push-kendo", "--rate", "50"),
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        ready = {c["meeting_uuid"] for c in emu.truth()["calls"] if c["ready"]}
        got = [c["metadata"]["zoomMeetingUuid"] for c in kendo.received()]
        assert sorted(got) == sorted(ready) and ready
        # Zoom's listings were each called once: the push read the warehouse, not Zoom
        after = emu.stats()["requests"]
        listed = {k: after[k] - before.get(k, 0) for k in after if "/recordings" in k and "users" in k}
        hosts = len([u for u in emu.truth()["tables"]["users"] if not u["user_key"].startswith("pending:")])
        assert sum(listed.values()) <= hosts * 3

        dry = subprocess.run(
            [SCRIPT, "push", "--duckdb-path", str(tmp_path / "zoom_pipeline.duckdb"), "--dry-run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dry.returncode == 0, dry.stderr[-2000:]
        assert kendo.api_key not in dry.stdout + dry.stderr

        again = subprocess.run(
            [SCRIPT, "push", "--duckdb-path", str(tmp_path / "zoom_pipeline.duckdb")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0, again.stderr[-2000:]
        assert len(kendo.received()) == len(ready)
        assert kendo.api_key not in again.stdout + again.stderr + done.stdout + done.stderr
