"""`zoom-pipeline sql`: read-only SQL on the DuckDB file, sandboxed (DuckDB only).

The file is opened read-only with external access disabled and the configuration locked, so a query can
read the warehouse and nothing else: no COPY TO, no file readers (`read_text`, `read_csv`, `'x.parquet'`),
no INSTALL, LOAD or ATTACH, and no SET that would undo it. For Postgres, use `psql` with a read-only role.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Optional

import duckdb

# DuckDB settings that keep a query inside the opened file
SANDBOX = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}
DATASET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")  # what --dataset takes, for every command


class SqlError(Exception):
    """A query or argument `zoom-pipeline sql` refuses or cannot run (one line, for the CLI)."""


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def run_sql(path: str, dataset: str, query: Optional[str]) -> int:
    """Runs `query` (or reads queries from stdin, one per line) with the dataset on the search path.

    Args:
        path: the DuckDB file (`--duckdb-path`).
        dataset: the dataset (schema) to query (`--dataset`): letters, digits and `_`.
        query: one SQL statement; None reads one per line from stdin.

    Returns:
        0 when every query ran.

    Raises:
        SqlError: a bad dataset name, a missing file or dataset, or a query DuckDB refused.
    """
    if not DATASET_NAME.fullmatch(dataset):
        raise SqlError(f"--dataset {dataset!r} is not a dataset name: use letters, digits and _ (e.g. zoom)")
    if not Path(path).is_file():
        raise SqlError(f"no DuckDB file at {path} (set --duckdb-path; zoom-pipeline sql is DuckDB only)")
    try:
        con = duckdb.connect(path, read_only=True, config=SANDBOX)
    except duckdb.Error as exc:
        raise SqlError(f"cannot open {path}: {_first_line(exc)}") from None
    with con:
        catalog = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        found = con.execute(
            "SELECT 1 FROM information_schema.schemata WHERE catalog_name = ? AND schema_name = ?",
            [catalog, dataset],
        ).fetchone()
        if not found:
            raise SqlError(f"no dataset {dataset!r} in {path} (set --dataset)")
        search_path = f"{_quoted(catalog)}.{_quoted(dataset)}".replace("'", "''")
        con.execute(f"SET search_path = '{search_path}'")
        queries = [query] if query else [line for line in sys.stdin if line.strip()]
        for q in queries:
            try:
                relation = con.sql(q)
                if relation is not None:
                    relation.show(max_rows=50)
            except duckdb.PermissionException as exc:
                raise SqlError(f"refused: {_first_line(exc)} (sql reads the warehouse only)") from None
            except duckdb.Error as exc:
                raise SqlError(_first_line(exc)) from None
    return 0


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
