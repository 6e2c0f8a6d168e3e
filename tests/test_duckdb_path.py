"""`--duckdb-path ./x.duckdb` means this directory's file, even after the pipeline first ran elsewhere
(dlt resolves a relative path against the directory of the pipeline's first run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.load import make_pipeline


def test_a_relative_duckdb_path_is_the_current_directory_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for where in (first, second):
        monkeypatch.chdir(where)
        pipeline = make_pipeline("duckdb", "zoom", "./zoom_pipeline.duckdb")
        pipeline.run([{"id": 1, "where": where.name}], table_name="probe")
    assert (first / "zoom_pipeline.duckdb").is_file()
    assert (second / "zoom_pipeline.duckdb").is_file()
