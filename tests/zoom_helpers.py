"""Helpers for tests that load from the Zoom emulator into a real warehouse."""

from __future__ import annotations

import os
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import dlt
import pytest
from dlt.pipeline.pipeline import Pipeline

from pipelines.load import LoadSummary, load_zoom
from sources.zoom import registry
from sources.zoom.auth import ZoomAuth
from sources.zoom.client import ZoomClient
from sources.zoom.credentials import ZoomCredentials
from sources.zoom.ratelimit import RateLimiter

# Tables loaded from Zoom's responses (compared with the emulator's truth by key).
ZOOM_TABLES = [t.name for t in registry.visible() if t.rows == registry.API]
# Tables the recordings resource loads from each recorded instance and its files.
RECORDING_TABLES = ["recordings"] + [
    t.name for t in registry.side_tables("recordings") if t.rows in (registry.API, registry.FILE)
]

# Our pacing is tested on its own; end-to-end tests run the emulator without limits and pace loosely.
FAST_LIMITS = {"Light": 500.0, "Medium": 500.0, "Heavy": 500.0, "Resource-intensive": 500.0}


def emulator_credentials(emu: Any) -> ZoomCredentials:
    creds = ZoomCredentials()
    creds.account_id, creds.client_id, creds.client_secret = emu.account_id, emu.client_id, emu.client_secret
    return creds


def make_client(emu: Any, overrides: Optional[Dict[str, float]] = None, plan: str = "pro") -> ZoomClient:
    auth = ZoomAuth(emulator_credentials(emu), token_url=emu.token_url)
    limits = FAST_LIMITS if overrides is None else overrides
    return ZoomClient(auth, base_url=emu.api_base, limiter=RateLimiter(plan, limits, daily_cap=None))


def make_pipeline(
    destination: str, tmp_path: Any, dataset: str = "zoom", postgres_url: Optional[str] = None
) -> Pipeline:
    if destination == "duckdb":
        dest: Any = dlt.destinations.duckdb(str(tmp_path / "zoom_pipeline.duckdb"))
    else:
        assert postgres_url
        dest = dlt.destinations.postgres(postgres_url)
    return dlt.pipeline(
        pipeline_name="zoom_test",
        destination=dest,
        dataset_name=dataset,
        pipelines_dir=str(tmp_path / "pipelines"),
    )


def load(
    pipeline: Pipeline, emu: Any, start_date: str, client: Optional[ZoomClient] = None, **kw: Any
) -> LoadSummary:
    return load_zoom(
        pipeline, client or make_client(emu), start_date=start_date, lag_days=kw.pop("lag_days", 2), **kw
    )


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T" and value.endswith("Z"):
        return value[:19] + "Z"
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def table_key(table: str) -> Tuple[str, ...]:
    return registry.table(table).key_fields


def warehouse_rows(pipeline: Pipeline, table: str, columns: Sequence[str]) -> List[Tuple[Any, ...]]:
    """Rows of `table` projected on `columns`, normalised for comparison with the emulator's truth."""
    with pipeline.sql_client() as c:
        name = c.make_qualified_table_name(table)
        cols = ", ".join(c.escape_column_name(col) for col in columns)
        try:
            rows = c.execute_sql(f"SELECT {cols} FROM {name}")
        except Exception as exc:  # a table with no rows at all is never created
            if "exist" in str(exc).lower() or "not found" in str(exc).lower():
                return []
            raise
    return [tuple(_norm(v) for v in row) for row in rows]


def truth_rows(truth: Dict[str, Any], table: str, columns: Sequence[str]) -> List[Tuple[Any, ...]]:
    rows = truth["tables"].get(table)
    if rows is None and isinstance(truth.get(table), list):  # `calls` sits beside the tables
        rows = truth[table]
    return [tuple(_norm(r.get(c)) for c in columns) for r in rows or []]


def duplicates(rows: Iterable[Tuple[Any, ...]]) -> Dict[Tuple[Any, ...], int]:
    return {k: n for k, n in Counter(rows).items() if n > 1}


def count(pipeline: Pipeline, table: str) -> int:
    with pipeline.sql_client() as c:
        try:
            return int(c.execute_sql(f"SELECT count(*) FROM {c.make_qualified_table_name(table)}")[0][0])
        except Exception:
            return 0


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse(request: Any, tmp_path: Any) -> Tuple[str, Any]:
    """The test's warehouse pipeline, once on DuckDB and once on Postgres (a unique schema, dropped after)."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        dataset = request.getfixturevalue("postgres_dataset")
        return "postgres", make_pipeline("postgres", tmp_path, dataset=dataset, postgres_url=url)
    return "duckdb", make_pipeline("duckdb", tmp_path)


def cli_env(emu: Any, tmp: Any, **extra: str) -> Dict[str, str]:
    """The environment a user would set to run the console script against the Zoom emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    env.update(
        SOURCES__ZOOM__CREDENTIALS__ACCOUNT_ID=emu.account_id,
        SOURCES__ZOOM__CREDENTIALS__CLIENT_ID=emu.client_id,
        SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET=emu.client_secret,
        SOURCES__ZOOM__BASE_URL=emu.api_base,
        SOURCES__ZOOM__TOKEN_URL=emu.token_url,
        SOURCES__ZOOM__RATE_LIMIT_PLAN="business",
        DLT_DATA_DIR=str(tmp / "dlt"),
        DLT_PROJECT_DIR=str(tmp),
        RUNTIME__DLTHUB_TELEMETRY="false",
    )
    env.update(extra)
    return env
