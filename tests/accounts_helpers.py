"""Two Zoom emulators as two configured accounts (`acme`, `beta`), with different data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Dict, List

import dlt
from zoom_helpers import ZOOM_TABLES, duplicates, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator

HISTORY_DAYS = 20
START = (datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 5)).date().isoformat()


def small_emulator(seed: int, account_id: str, **knobs: Any) -> ZoomEmulator:
    settings: Dict[str, Any] = dict(
        users=2, meetings_per_user=2, days_of_history=HISTORY_DAYS, rate_limits=False
    )
    return ZoomEmulator(seed=seed, account_id=account_id, **{**settings, **knobs})


def account_env(name: str, emu: ZoomEmulator) -> Dict[str, str]:
    """The environment that configures `emu` as account `name` ([sources.zoom.accounts.<name>])."""
    p = f"SOURCES__ZOOM__ACCOUNTS__{name.upper()}__"
    return {
        p + "CREDENTIALS__ACCOUNT_ID": emu.account_id,
        p + "CREDENTIALS__CLIENT_ID": emu.client_id,
        p + "CREDENTIALS__CLIENT_SECRET": emu.client_secret,
        p + "BASE_URL": emu.api_base,
        p + "TOKEN_URL": emu.token_url,
        p + "RATE_LIMIT_PLAN": "business",
        p + "START_DATE": START,
    }


def duckdb_pipeline(name: str, path: str) -> Any:
    """Attach-only view of account `name`'s DuckDB dataset (as the CLI names it)."""
    return dlt.pipeline(
        f"check_{name}", destination=dlt.destinations.duckdb(path), dataset_name=f"zoom_{name}"
    )


def mismatches(pipeline: Any, truth: dict, account_id: str, tables: List[str] = ZOOM_TABLES) -> List[str]:
    """Tables whose keys differ from the emulator's truth, or hold a row of another account."""
    bad = []
    for table in tables:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        if duplicates(got) or sorted(map(repr, got)) != sorted(map(repr, truth_rows(truth, table, key))):
            bad.append(f"{table}: {len(got)} rows vs truth {len(truth_rows(truth, table, key))}")
            continue
        if got:
            ids = {r[0] for r in warehouse_rows(pipeline, table, ["account_id"])}
            if ids != {account_id}:
                bad.append(f"{table}: account_id {ids}")
    return bad
