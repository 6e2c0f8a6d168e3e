"""`zoom-pipeline sql` as a user runs it (the console script, a subprocess): SELECTs work; writing files,
reading files, extensions, other databases and an injected dataset name are refused with one line, a
non-zero exit and no file created."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "zoom_pipeline.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE SCHEMA zoom; CREATE TABLE zoom.calls AS SELECT 'Renewal call' AS title, 42 AS n")
    (tmp_path / "secrets.toml").write_text('client_secret = "do-not-read-me"\n')
    return path


def _sql(warehouse: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "sql", "--duckdb-path", str(warehouse), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=warehouse.parent,
    )


def test_select_runs_on_the_dataset(warehouse: Path) -> None:
    proc = _sql(warehouse, "SELECT title, n * 2 AS doubled FROM calls")
    assert proc.returncode == 0, proc.stderr
    assert "Renewal call" in proc.stdout and "84" in proc.stdout


@pytest.mark.parametrize(
    "query",
    [
        "COPY (SELECT * FROM calls) TO '{out}'",
        "COPY calls TO '{out}' (FORMAT csv)",
        "EXPORT DATABASE '{dir}'",
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('{secrets}')",
        "SELECT * FROM '{secrets}'",
        "SELECT * FROM glob('{dir}/*')",
        "INSTALL httpfs",
        "LOAD httpfs",
        "ATTACH '{dir}/other.duckdb' AS other",
        "SET enable_external_access = true",
        "CREATE TABLE calls_copy AS SELECT * FROM calls",
    ],
)
def test_sql_refuses_files_extensions_attach_and_writes(warehouse: Path, query: str) -> None:
    out = warehouse.parent / "x.csv"
    secrets = warehouse.parent / "secrets.toml"
    proc = _sql(warehouse, query.format(out=out, dir=warehouse.parent, secrets=secrets))
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zoom-pipeline: "), proc.stderr
    assert not out.exists() and not (warehouse.parent / "other.duckdb").exists()
    assert "do-not-read-me" not in proc.stdout + proc.stderr and "root:" not in proc.stdout
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["secrets.toml", "zoom_pipeline.duckdb"]


def test_injected_dataset_name_is_refused_before_anything_runs(warehouse: Path) -> None:
    out = warehouse.parent / "x.csv"
    proc = _sql(warehouse, "--dataset", f"zoom'; COPY (SELECT 1) TO '{out}'; --", "SELECT 1")
    assert proc.returncode != 0 and not out.exists()
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--dataset" in lines[0], proc.stderr


def test_unknown_dataset_and_missing_file_name_the_flag(warehouse: Path, tmp_path: Path) -> None:
    proc = _sql(warehouse, "--dataset", "zoom_other", "SELECT 1")
    assert proc.returncode != 0 and "--dataset" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    missing = tmp_path / "nowhere.duckdb"
    proc = _sql(missing, "SELECT 1")
    assert proc.returncode != 0 and "--duckdb-path" in proc.stderr and not missing.exists()
