"""Many accounts on Dagster: one partition per account, loaded through pipelines/dagster_defs.py.

Two emulators with different data are two accounts. Each dataset must equal its own emulator's truth, with
every row's `account_id` its own: no row crosses accounts, whether the partitions run one after the other,
at the same time, as `dagster asset materialize` subprocesses on Postgres, or after a killed run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Dict, Iterator, Tuple

import dagster
import dlt
import pytest
from accounts_helpers import account_env, duckdb_pipeline, mismatches, small_emulator

DAGSTER = str(Path(sys.executable).parent / "dagster")


@pytest.fixture(scope="module")
def emus() -> Iterator[Dict[str, Any]]:
    with small_emulator(21, "acmeAccount") as acme, small_emulator(22, "betaAccount", users=3) as beta:
        yield {"acme": acme, "beta": beta}


@pytest.fixture
def configured(emus, tmp_path, monkeypatch) -> Tuple[Dict[str, Any], str]:
    for name, emu in emus.items():
        for key, value in account_env(name, emu).items():
            monkeypatch.setenv(key, value)
    base = str(tmp_path / "zoom_pipeline.duckdb")
    monkeypatch.setenv("ZOOM_DUCKDB_PATH", base)
    monkeypatch.setenv("ZOOM_DESTINATION", "duckdb")
    return emus, base


def _assert_exact(emus: Dict[str, Any], base: str) -> None:
    for name, emu in emus.items():
        pipeline = duckdb_pipeline(name, base.replace(".duckdb", f"_{name}.duckdb"))
        assert mismatches(pipeline, emu.truth(), emu.account_id) == [], name
        other = next(e for n, e in emus.items() if n != name)  # the check tells the two accounts apart
        assert len(mismatches(pipeline, other.truth(), other.account_id)) > 10, name


def _materialize(defs: Any, name: str) -> bool:
    return dagster.materialize(
        defs.assets, partition_key=name, instance=dagster.DagsterInstance.ephemeral()
    ).success


def test_partitions_one_after_the_other_and_concurrently(configured, tmp_path, monkeypatch) -> None:
    from pipelines.dagster_defs import build_definitions  # here: importing it builds a dlt pipeline

    emus, base = configured
    defs = build_definitions(sorted(emus))
    assert _materialize(defs, "acme") and _materialize(defs, "beta")
    _assert_exact(emus, base)

    # again, both at once (incremental runs on the same datasets: still exact, still apart)
    for emu in emus.values():
        emu.add_meeting(transcript=True)
    results: Dict[str, bool] = {}
    threads = [threading.Thread(target=lambda n=n: results.update({n: _materialize(defs, n)})) for n in emus]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert results == {"acme": True, "beta": True}
    _assert_exact(emus, base)

    # the hourly schedule asks for one run per account
    schedule = defs.resolve_schedule_def("zoom_hourly")
    context = dagster.build_schedule_context(scheduled_execution_time=datetime(2026, 12, 1, 9, tzinfo=UTC))
    requests = list(schedule(context))
    assert sorted(r.partition_key for r in requests) == ["acme", "beta"]

    # each account's report has its own default file, as its DuckDB file has (one would overwrite the other)
    from pipelines.cli import main

    monkeypatch.chdir(tmp_path)
    for name in emus:
        assert main(["report", "--account", name, "--duckdb-path", base]) == 0
    assert (tmp_path / "zoom_report_acme.html").is_file() and (tmp_path / "zoom_report_beta.html").is_file()


def test_push_job_pushes_one_account_to_its_own_kendo_team(configured, monkeypatch) -> None:
    from emulators.kendo import KendoEmulator
    from pipelines.dagster_defs import build_definitions

    emus, base = configured
    defs = build_definitions(sorted(emus))
    assert _materialize(defs, "beta")
    with KendoEmulator(strict=True) as kendo:
        monkeypatch.setenv("SOURCES__ZOOM__ACCOUNTS__BETA__KENDO_API_KEY", kendo.api_key)
        monkeypatch.setenv("DESTINATION__KENDO__INGEST_URL", kendo.ingest_url)
        job = defs.resolve_job_def("kendo_push")
        assert job.execute_in_process(
            partition_key="beta", instance=dagster.DagsterInstance.ephemeral()
        ).success
        ready = {c["meeting_uuid"] for c in emus["beta"].truth()["calls"] if c["ready"]}
        assert ready and {c["metadata"]["zoomMeetingUuid"] for c in kendo.received()} == ready
        # acme has no Kendo key of its own: its push fails naming the setting, and sends nothing
        failed = job.execute_in_process(
            partition_key="acme", instance=dagster.DagsterInstance.ephemeral(), raise_on_error=False
        )
        assert not failed.success and len(kendo.received()) == len(ready)


def _cli_env(emus: Dict[str, Any], tmp_path: Path, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__", "ZOOM_"))}
    for name, emu in emus.items():
        env.update(account_env(name, emu))
    env.update(DLT_DATA_DIR=str(tmp_path / "dlt"), DLT_PROJECT_DIR=str(tmp_path), DAGSTER_HOME="")
    env.pop("DAGSTER_HOME")
    env.update(extra)
    return env


def _materialize_cmd(name: str) -> list:
    return [
        DAGSTER,
        "asset",
        "materialize",
        "-m",
        "pipelines.dagster_defs",
        "--select",
        "*",
        "--partition",
        name,
    ]


@pytest.mark.postgres
def test_dagster_cli_loads_one_account_on_postgres(emus, tmp_path, postgres_url) -> None:
    env = _cli_env(
        emus, tmp_path, ZOOM_DESTINATION="postgres", DESTINATION__POSTGRES__CREDENTIALS=postgres_url
    )
    schemas = ["zoom_acme", "zoom_acme_staging"]
    _drop(postgres_url, schemas)
    try:
        done = subprocess.run(
            _materialize_cmd("acme"), env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr[-3000:]
        pipeline = dlt.pipeline(
            "check_pg", destination=dlt.destinations.postgres(postgres_url), dataset_name="zoom_acme"
        )
        acme = emus["acme"]
        assert mismatches(pipeline, acme.truth(), acme.account_id) == []
        assert acme.client_secret not in done.stdout + done.stderr
    finally:
        _drop(postgres_url, schemas)


def _drop(url: str, schemas: list) -> None:
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for s in schemas:
            cur.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
    conn.close()


def test_killed_partition_run_rerun_through_dagster_is_exact(emus, tmp_path) -> None:
    base = str(tmp_path / "zoom_pipeline.duckdb")
    env = _cli_env(emus, tmp_path, ZOOM_DESTINATION="duckdb", ZOOM_DUCKDB_PATH=base)
    acme = emus["acme"]
    acme.configure(latency_ms=40)  # slow enough to be killed mid-run
    try:
        before = sum(acme.stats()["requests"].values())
        # cwd: dagster puts its ephemeral instance there; output to DEVNULL: an unread pipe could fill up
        proc = subprocess.Popen(
            _materialize_cmd("acme"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if sum(acme.stats()["requests"].values()) - before > 40:
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        proc.wait(timeout=60)
        assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    finally:
        acme.configure(latency_ms=0)
    done = subprocess.run(
        _materialize_cmd("acme"), env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert (
        mismatches(
            duckdb_pipeline("acme", base.replace(".duckdb", "_acme.duckdb")), acme.truth(), acme.account_id
        )
        == []
    )


def test_shipped_instance_config_runs_one_run_per_account(tmp_path, monkeypatch) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        (Path(__file__).parents[1] / "deploy" / "dagster" / "dagster.yaml").read_text()
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    config = dagster.DagsterInstance.get().get_concurrency_config()
    limits = config.run_queue_config.tag_concurrency_limits
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    assert config.pool_config.default_pool_limit >= 1


@pytest.mark.parametrize(
    "setting, value",
    [
        ("ZOOM_DESTINATION", "duckbd"),
        ("ZOOM_WAIT_LOCK", "ten"),
        ("ZOOM_WAIT_LOCK", "-1"),
        ("ZOOM_WAIT_LOCK", "nan"),
    ],
)
def test_a_bad_environment_setting_is_one_error_naming_it(setting: str, value: str, monkeypatch) -> None:
    from pipelines import dagster_defs
    from sources.zoom.config_values import SettingError

    monkeypatch.setenv(setting, value)
    read = dagster_defs._destination if setting == "ZOOM_DESTINATION" else dagster_defs._wait_lock
    with pytest.raises(SettingError, match=f"^{setting}: {value!r} ") as err:
        read()
    assert "--" not in str(err.value)  # not the CLI's flag: a Dagster run has none


@pytest.mark.parametrize("typo", ["ZOOM_DESTINATON", "ZOOM_DUCKDBPATH", "ZOOM_WAITLOCK"])
def test_a_misspelt_environment_setting_is_one_error_naming_it(typo: str, monkeypatch) -> None:
    from pipelines import dagster_defs
    from sources.zoom.config_values import SettingError

    monkeypatch.setenv(typo, "postgres")  # silently ignored, it would load into the wrong warehouse
    monkeypatch.setenv("ZOOM_CLIENT_SECRET", "s3cret")  # another tool's variable is not a typo
    with pytest.raises(SettingError, match=f"^{typo}: ") as err:
        dagster_defs._destination()
    assert "postgres" not in str(err.value) and "s3cret" not in str(err.value)
    monkeypatch.delenv(typo)
    assert dagster_defs._destination() in ("duckdb", "postgres")


def test_the_dagster_extra_brings_the_ui_that_dagster_dev_needs() -> None:
    """`dagster dev` (README) exits with 'dagster-webserver must be installed' without it; same version as dagster."""
    import tomllib

    extra = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]["dagster"]
    pins = dict(req.split("==") for req in extra)
    assert pins.get("dagster-webserver") == pins["dagster"]


@pytest.mark.parametrize("copied_as", [None, "dagster.yml"])
def test_a_dagster_home_without_the_shipped_config_is_one_error(copied_as, tmp_path, monkeypatch) -> None:
    """Dagster ignores a home without dagster.yaml (or with dagster.yml): one account's runs would overlap."""
    from pipelines import dagster_defs
    from sources.zoom.config_values import SettingError

    if copied_as:
        (tmp_path / copied_as).write_text("concurrency: {}\n")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with pytest.raises(SettingError, match=r"^DAGSTER_HOME: .*dagster\.yaml.*deploy/dagster/dagster\.yaml"):
        dagster_defs.check_dagster_home()
    (tmp_path / "dagster.yaml").write_text("concurrency: {}\n")
    dagster_defs.check_dagster_home()
    monkeypatch.delenv("DAGSTER_HOME")  # `dagster dev` alone: a temporary instance, nothing to check
    dagster_defs.check_dagster_home()
