"""`zoom-pipeline demo --dir X` never deletes a directory it did not make."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.demo import DEMO_MARKER, prepare_demo_dir

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")


def test_demo_refuses_a_non_empty_directory_it_did_not_create(tmp_path: Path) -> None:
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.md").write_text("months of work")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(DLT_PROJECT_DIR=str(tmp_path), RUNTIME__DLTHUB_TELEMETRY="false")
    proc = subprocess.run(
        [SCRIPT, "demo", "--dir", str(mine)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--dir" in lines[0] and "not empty" in lines[0], proc.stderr
    assert "Starting" not in proc.stdout  # refused before anything started
    assert sorted(p.name for p in mine.iterdir()) == ["chapter1.md"]
    assert (mine / "chapter1.md").read_text() == "months of work"


def test_demo_dir_is_new_empty_or_its_own(tmp_path: Path) -> None:
    new = prepare_demo_dir(str(tmp_path / "new"))  # created, with the marker
    assert sorted(p.name for p in new.iterdir()) == [DEMO_MARKER]
    (new / "zoom_pipeline.duckdb").write_bytes(b"old demo")
    again = prepare_demo_dir(str(new))  # an earlier demo's directory: emptied
    assert again == new and sorted(p.name for p in new.iterdir()) == [DEMO_MARKER]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert sorted(p.name for p in prepare_demo_dir(str(empty)).iterdir()) == [DEMO_MARKER]
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    with pytest.raises(ValueError, match="--dir"):
        prepare_demo_dir(str(a_file))
    assert a_file.read_text() == "keep"
