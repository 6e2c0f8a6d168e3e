"""A SIGKILL during dlt's load step must not duplicate rows after the pending package is replayed.

The pipeline runs in a subprocess (tests/kill_helpers/run_pipeline.py) that is really SIGKILLed:
either at an exact point set through ``KILL_AT`` (a copy job has committed in the database but dlt
has not recorded it yet: the window that duplicated rows, see pipelines/safe_load.py), or after a
random delay once the load step has started. Then the pipeline is run again, which replays the
pending package, and we check root and nested tables for duplicate ``_dlt_id`` and primary keys and
compare the row counts with an uninterrupted run.
"""

from __future__ import annotations

import glob
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

pytestmark = pytest.mark.timeout(240)

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "tests" / "kill_helpers" / "run_pipeline.py"
ROWS = 500

# table -> columns that must be unique in it
UNIQUE_COLUMNS: Dict[str, List[str]] = {
    "items": ["id", "_dlt_id"],
    "items__tags": ["_dlt_id"],
    "others": ["uid", "_dlt_id"],
    "others__sub": ["_dlt_id"],
    "_dlt_pipeline_state": ["_dlt_id"],
    "_dlt_loads": ["load_id"],
}


@dataclass
class Target:
    kind: str
    workdir: Path
    dataset: str
    postgres_url: Optional[str] = None

    def env(self, kill_at: Optional[str]) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("KILL_AT", "DLT_DATA_DIR", "DLT_PROJECT_DIR")}
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        if self.postgres_url:
            env["KILL_TEST_POSTGRES_URL"] = self.postgres_url
        if kill_at:
            env["KILL_AT"] = kill_at
        return env

    def args(self, mode: str, version: int, fmt: str) -> List[str]:
        return [
            sys.executable,
            str(SCRIPT),
            str(self.workdir),
            self.kind,
            self.dataset,
            str(ROWS),
            mode,
            str(version),
            fmt,
        ]

    def run(self, mode: str = "safe", version: int = 1, fmt: str = "default") -> None:
        """An uninterrupted run (also the replay after a kill); must succeed."""
        proc = subprocess.run(
            self.args(mode, version, fmt), env=self.env(None), capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, f"pipeline run failed:\n{proc.stdout}\n{proc.stderr[-4000:]}"

    def run_killed_at(self, kill_at: str, mode: str = "safe", version: int = 1, fmt: str = "default") -> None:
        """A run that SIGKILLs itself at `kill_at`; fails the test if the kill point was never reached."""
        proc = subprocess.run(
            self.args(mode, version, fmt), env=self.env(kill_at), capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == -signal.SIGKILL, (
            f"not killed at {kill_at}:\n{proc.stdout}\n{proc.stderr[-4000:]}"
        )
        assert "KILL_AT hit" in proc.stderr

    def run_killed_after(self, delay_s: float, mode: str = "safe", version: int = 1) -> bool:
        """Start a run, wait until its load step has started a job, sleep `delay_s`, SIGKILL it.
        Returns whether the process was still alive to be killed."""
        proc = subprocess.Popen(
            self.args(mode, version, "default"),
            env=self.env(None),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started = str(self.workdir / "dlt_data/pipelines/kill_pipeline/load/normalized/*/started_jobs/*")
        deadline = time.monotonic() + 60
        while proc.poll() is None and not glob.glob(started) and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(delay_s)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        return killed

    def query(self, sql: str) -> List[tuple]:
        if self.kind == "duckdb":
            import duckdb

            con = duckdb.connect(str(self.workdir / "kill_pipeline.duckdb"), read_only=True)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        import psycopg2

        con = psycopg2.connect(self.postgres_url)
        try:
            with con.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            con.close()

    def counts(self) -> Dict[str, int]:
        return {t: self.query(f"SELECT count(*) FROM {self.dataset}.{t}")[0][0] for t in UNIQUE_COLUMNS}

    def assert_no_duplicates(self) -> None:
        for table, columns in UNIQUE_COLUMNS.items():
            for col in columns:
                dups = self.query(
                    f"SELECT {col}, count(*) FROM {self.dataset}.{table} GROUP BY {col} HAVING count(*) > 1 LIMIT 3"
                )
                assert not dups, f"duplicate {table}.{col} after replay: {dups}"

    def assert_version(self, version: int) -> None:
        stale = self.query(f"SELECT count(*) FROM {self.dataset}.items WHERE name NOT LIKE '% v{version}'")[
            0
        ][0]
        assert stale == 0, f"{stale} items rows are not at version {version}"


def _expected(loads: int) -> Dict[str, int]:
    """Known shape of the stand-in data (the state row count depends on whether state changed)."""
    return {
        "items": ROWS,
        "items__tags": 2 * ROWS,
        "others": ROWS // 2,
        "others__sub": ROWS // 2,
        "_dlt_loads": loads,
    }


def _shape(counts: Dict[str, int]) -> Dict[str, int]:
    return {t: n for t, n in counts.items() if t != "_dlt_pipeline_state"}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> Dict[int, Dict[str, int]]:
    """Row counts of an uninterrupted first load and second load (DuckDB); the data is the same everywhere."""
    target = Target("duckdb", tmp_path_factory.mktemp("baseline"), "kill_ds")
    target.run(mode="plain", version=1)
    first = target.counts()
    target.run(mode="plain", version=2)
    second = target.counts()
    # the stand-in data has a known shape, so a wrong baseline can't hide a bug
    assert _shape(first) == _expected(1) and _shape(second) == _expected(2), (first, second)
    assert first["_dlt_pipeline_state"] == 1
    return {1: first, 2: second}


@pytest.fixture
def duckdb_target(tmp_path: Path) -> Target:
    return Target("duckdb", tmp_path / "work", "kill_ds")


@pytest.fixture
def postgres_target(tmp_path: Path, postgres_url: str, postgres_dataset: str) -> Target:
    return Target("postgres", tmp_path / "work", postgres_dataset, postgres_url=postgres_url)


def _check(target: Target, baseline: Dict[str, int], version: int) -> None:
    target.assert_no_duplicates()
    assert target.counts() == baseline
    target.assert_version(version)


# ------------------------------------------------------------------------------------------------
# The window exists: without the repair, the replay duplicates (this is the bug's reproduction)
# ------------------------------------------------------------------------------------------------


def test_without_repair_the_replay_duplicates_the_merge_root(duckdb_target: Target) -> None:
    """A kill right after `items` was copied into staging (first load, empty DuckDB), then a plain
    dlt replay: the root table holds every row twice with the same `_dlt_id`. If this ever stops
    failing, dlt has fixed the window upstream and safe_load may no longer be needed."""
    duckdb_target.run_killed_at("copy:items", mode="plain")
    duckdb_target.run(mode="plain")
    counts = duckdb_target.counts()
    assert counts["items"] == 2 * ROWS
    assert duckdb_target.query("SELECT count(DISTINCT _dlt_id) FROM kill_ds.items")[0][0] == ROWS
    # nested rows are deduplicated by dlt's merge SQL (row key), the root rows are not
    assert counts["items__tags"] == 2 * ROWS


# ------------------------------------------------------------------------------------------------
# With pipelines.safe_load: every kill point replays to exactly the uninterrupted result
# ------------------------------------------------------------------------------------------------

KILL_POINTS = [
    "copy:items",  # merge root with a nested table, into staging: the duplicating window
    "copy:items__tags",  # nested table into staging
    "copy:_dlt_pipeline_state",  # append table, loaded straight into the destination
    "sql:items",  # the merge itself committed, not recorded
    "complete_load",  # the _dlt_loads row inserted, package not archived
]


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_duckdb_first_load_killed_replays_exactly_once(
    duckdb_target: Target, uninterrupted: Dict[int, Dict[str, int]], kill_at: str
) -> None:
    duckdb_target.run_killed_at(kill_at)
    duckdb_target.run()
    _check(duckdb_target, uninterrupted[1], version=1)


def test_duckdb_parquet_first_load_killed_replays_exactly_once(
    duckdb_target: Target, uninterrupted: Dict[int, Dict[str, int]]
) -> None:
    duckdb_target.run_killed_at("copy:items", fmt="parquet")
    duckdb_target.run(fmt="parquet")
    _check(duckdb_target, uninterrupted[1], version=1)


def test_duckdb_second_load_killed_twice_replays_exactly_once(
    duckdb_target: Target, uninterrupted: Dict[int, Dict[str, int]]
) -> None:
    """Into a non-empty table, with updated rows; the replay itself is killed too."""
    duckdb_target.run(version=1)
    duckdb_target.run_killed_at("copy:items", version=2)
    duckdb_target.run_killed_at("copy:items", version=2)  # the repair requeued the items chain
    duckdb_target.run(version=2)
    _check(duckdb_target, uninterrupted[2], version=2)


def test_duckdb_random_kills_during_load(
    duckdb_target: Target, uninterrupted: Dict[int, Dict[str, int]]
) -> None:
    """Kills at random offsets into the load step, each replay killed again, then a clean replay."""
    rng = random.Random(os.environ.get("KILL_TEST_SEED", uuid.uuid4().hex))
    for _ in range(3):
        duckdb_target.run_killed_after(rng.uniform(0.0, 0.8))
    duckdb_target.run()
    duckdb_target.assert_no_duplicates()
    counts = duckdb_target.counts()
    # a run the kill missed completed its package, and the next run loaded the same rows again
    # as a new package: merge keeps one row per key, and every completed package has one _dlt_loads row
    loaded = glob.glob(str(duckdb_target.workdir / "dlt_data/pipelines/kill_pipeline/load/loaded/*"))
    assert counts["_dlt_loads"] == len(loaded)
    assert _shape(counts) == {**_shape(uninterrupted[1]), "_dlt_loads": len(loaded)}
    duckdb_target.assert_version(1)


@pytest.mark.postgres
@pytest.mark.parametrize("kill_at", ["copy:items", "copy:_dlt_pipeline_state", "complete_load"])
def test_postgres_first_load_killed_replays_exactly_once(
    postgres_target: Target, uninterrupted: Dict[int, Dict[str, int]], kill_at: str
) -> None:
    postgres_target.run_killed_at(kill_at)
    postgres_target.run()
    _check(postgres_target, uninterrupted[1], version=1)


@pytest.mark.postgres
def test_postgres_second_load_killed_replays_exactly_once(
    postgres_target: Target, uninterrupted: Dict[int, Dict[str, int]]
) -> None:
    postgres_target.run(version=1)
    postgres_target.run_killed_at("copy:others", version=2)
    postgres_target.run(version=2)
    _check(postgres_target, uninterrupted[2], version=2)


@pytest.mark.postgres
def test_postgres_without_repair_the_replay_fails_on_dlt_id(postgres_target: Target) -> None:
    """Without the repair, Postgres rejects the replayed copy on dlt's UNIQUE `_dlt_id` index
    and the package stays stuck (the same bug, with a different symptom)."""
    postgres_target.run_killed_at("copy:items", mode="plain")
    proc = subprocess.run(
        postgres_target.args("plain", 1, "default"),
        env=postgres_target.env(None),
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "_dlt_id" in proc.stderr and "unique" in proc.stderr.lower()
    # and the repair un-sticks it
    postgres_target.run()
    postgres_target.assert_no_duplicates()
    assert _shape(postgres_target.counts()) == _expected(1)
