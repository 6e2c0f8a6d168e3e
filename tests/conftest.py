"""Shared test fixtures: dlt isolation per test, and the Postgres gate (required under CI=true)."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Iterator

import pytest
from hypothesis import settings as hypothesis_settings

# the same examples every run: a property test that finds a bug finds it every time, never by luck
hypothesis_settings.register_profile("exact", derandomize=True, deadline=None)
hypothesis_settings.load_profile("exact")

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _isolate_dlt(tmp_path, monkeypatch) -> None:
    """Each test gets its own dlt data dir and no project .dlt, so tests never share pipeline state."""
    monkeypatch.setenv("DLT_DATA_DIR", str(tmp_path / "dlt_data"))
    monkeypatch.setenv("DLT_PROJECT_DIR", str(tmp_path))
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "false")
    # as .dlt/config.toml and make_pipeline() set it: participant tables load as Arrow with dlt's id columns
    monkeypatch.setenv("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_ID", "true")
    monkeypatch.setenv("NORMALIZE__PARQUET_NORMALIZER__ADD_DLT_LOAD_ID", "true")


@pytest.fixture
def postgres_url() -> str:
    """The Postgres test database URL; skips without a server, except under CI where it must run."""
    if not _postgres_reachable():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("CI=true but no PostgreSQL at 127.0.0.1:5432; Postgres tests must run in CI")
        pytest.skip("no PostgreSQL at 127.0.0.1:5432")
    return POSTGRES_URL


@pytest.fixture
def postgres_dataset(postgres_url: str) -> Iterator[str]:
    """A unique dataset (schema) name in the test database, dropped afterwards."""
    import psycopg2

    name = f"t_{uuid.uuid4().hex[:12]}"
    yield name
    conn = psycopg2.connect(postgres_url)
    conn.autocommit = True
    with conn.cursor() as cur:
        for suffix in ("", "_staging"):
            cur.execute(f'DROP SCHEMA IF EXISTS "{name}{suffix}" CASCADE')
    conn.close()
