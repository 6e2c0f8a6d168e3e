"""Credentials Zoom sends as data are not stored, and tokenized URLs never reach the logs.

The emulator serves them as Zoom does: a `zak` token in every `start_url`, passwords and passcodes on
meetings, webinars and recordings, `?pwd=` in join links, `?tk=` in registrant links, `?access_token=`
on download URLs (knob `download_url_tokens`) and signed file-host redirects for every download.
"""

from __future__ import annotations

import gzip
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from zoom_helpers import cli_env, load, make_pipeline

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi

START = (datetime.now(UTC) - timedelta(days=40)).date().isoformat()
SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
# what must never be stored (unless keep_sensitive_fields): token-carrying query parameters ...
STORED_MARKERS = ("zak=", "access_token=", "tk=", "pwd=", "sig=")
# ... and these columns
SENSITIVE_COLUMNS = {
    "start_url",
    "password",
    "h323_password",
    "pstn_password",
    "encrypted_password",
    "encrypted_passcode",
    "h323_passcode",
    "recording_play_passcode",
    "download_access_token",
}
# a token-carrying query parameter with its value shown (a redacted one reads `name=***`)
UNREDACTED = re.compile(r"[?&](access_token|zak|tk|pwd|sig|exp|signature)=(?!\*\*\*)", re.IGNORECASE)


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    knobs = dict(seed=17, users=3, meetings_per_user=3, days_of_history=35, rate_limits=False)
    with ZoomEmulator(**knobs, download_url_tokens=True) as e:
        yield e


def _emulator_serves_credentials(emu: ZoomEmulator) -> None:
    """The account really holds every kind of credential the test looks for (else it proves nothing)."""
    api = ZoomApi(emu)
    host = emu.state.data.active_users[0]
    meeting = api.json(f"/meetings/{api.json(f'/users/{host.id}/meetings')['meetings'][0]['id']}")
    assert "zak=" in meeting["start_url"] and meeting["password"] and "pwd=" in meeting["join_url"]
    recordings = api.json(f"/users/{host.id}/recordings", **{"from": START})["meetings"]
    assert recordings and recordings[0]["recording_play_passcode"]
    assert all("access_token=" in f["download_url"] for r in recordings for f in r["recording_files"])


def _text_values(pipeline: Any) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """Every table's columns, and every (table, column, value) of text columns in the dataset and its
    staging dataset (merge loads pass through it)."""
    schemas = (pipeline.dataset_name, f"{pipeline.dataset_name}_staging")
    with pipeline.sql_client() as c:
        rows = c.execute_sql(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema IN (%s, %s)",
            *schemas,
        )
        columns: dict[str, set[str]] = {}
        for schema, table, column, _ in rows:
            if schema == schemas[0]:
                columns.setdefault(table, set()).add(column)
        values = []
        for schema, table, column, data_type in rows:
            if data_type.lower() not in ("varchar", "text", "character varying", "json", "jsonb"):
                continue
            qualified = f"{c.capabilities.escape_identifier(schema)}.{c.escape_column_name(table)}"
            col = c.escape_column_name(column)
            for (value,) in c.execute_sql(f"SELECT {col} FROM {qualified} WHERE {col} IS NOT NULL"):
                values.append((table, column, str(value)))
    return columns, values


def _pipeline_files_text(root: Path) -> Iterator[tuple[Path, str]]:
    """The text of every file dlt left under the pipeline dir (load packages, schemas, state)."""
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        if data[:4] == b"PAR1":
            yield path, str(pq.read_table(path).to_pylist())
        else:
            yield path, data.decode("utf-8", errors="replace")


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_no_stored_value_or_load_package_holds_a_token_or_password(
    emu: ZoomEmulator, destination: str, request, tmp_path: Path
) -> None:
    _emulator_serves_credentials(emu)
    if destination == "postgres":
        url, dataset = request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_dataset")
        pipeline = make_pipeline("postgres", tmp_path, dataset=dataset, postgres_url=url)
    else:
        pipeline = make_pipeline("duckdb", tmp_path)
    summary = load(pipeline, emu, START)
    assert (
        summary.rows["meetings"] and summary.rows["recording_files"] and summary.rows["webinar_registrants"]
    )

    columns, values = _text_values(pipeline)
    assert {"meetings", "webinars", "recordings", "recording_files", "users"} <= set(columns)
    for table, cols in columns.items():
        assert not cols & SENSITIVE_COLUMNS, (table, sorted(cols & SENSITIVE_COLUMNS))
    leaks = [(t, c, v) for t, c, v in values if any(m in v for m in STORED_MARKERS)]
    assert not leaks, leaks[:5]
    # the links themselves stay, without their tokens
    stored = {(t, c) for t, c, v in values if v.startswith("http")}
    assert {("meetings", "join_url"), ("recording_files", "download_url"), ("calls", "audio_url")} <= stored
    assert ("webinar_registrants", "join_url") in stored

    files = list(_pipeline_files_text(Path(pipeline.pipelines_dir)))
    assert any("load" in p.parts for p, _ in files)  # the load packages are there to scan
    for path, text in files:
        assert not any(m in text for m in ("zak=", "access_token=")), path
        assert "recording_play_passcode" not in text and '"start_url"' not in text, path


def test_keep_sensitive_fields_keeps_them_as_zoom_sent_them(emu: ZoomEmulator, tmp_path: Path) -> None:
    pipeline = make_pipeline("duckdb", tmp_path)
    load(pipeline, emu, START, resources=["meetings", "recordings"], keep_sensitive_fields=True)
    columns, values = _text_values(pipeline)
    assert {"start_url", "password", "encrypted_password"} <= columns["meetings"]
    assert "recording_play_passcode" in columns["recordings"]
    assert any("zak=" in v for t, c, v in values if (t, c) == ("meetings", "start_url"))
    assert any("access_token=" in v for t, c, v in values if (t, c) == ("recording_files", "download_url"))


def test_debug_logs_show_no_tokenized_or_signed_url(emu: ZoomEmulator, tmp_path: Path) -> None:
    env = cli_env(emu, tmp_path)
    downloads_before = emu.stats()["requests"].get("GET /rec/file-host/{fileId}", 0)
    proc = subprocess.run(
        [SCRIPT, "--debug", "run", "--resources", "meetings,recordings", "--start-date", START]
        + ["--duckdb-path", str(tmp_path / "zoom_pipeline.duckdb")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert emu.stats()["requests"].get("GET /rec/file-host/{fileId}", 0) > downloads_before  # signed hops ran
    assert "/rec/file-host/" in out and "DEBUG" in out  # urllib3 logged them, at DEBUG
    assert not UNREDACTED.search(out), UNREDACTED.search(out)
    assert "zak=" not in out.replace("zak=***", "")


def test_http_log_lines_are_redacted_at_every_level(emu: ZoomEmulator, caplog, tmp_path: Path) -> None:
    from zoom_helpers import make_client

    client = make_client(emu)
    api = ZoomApi(emu)
    host = emu.state.data.active_users[0]
    url = api.json(f"/users/{host.id}/recordings", **{"from": START})["meetings"][0]["recording_files"][0][
        "download_url"
    ]
    with caplog.at_level(logging.DEBUG):
        assert client.download_bytes(url)
        logging.getLogger("urllib3.connectionpool").warning("Retrying after failure: %s", url)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "access_token=***" in text and not UNREDACTED.search(text), text
