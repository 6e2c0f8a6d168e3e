"""`zoom-pipeline sql`: run SQL on the DuckDB file with only what the install provides (the duckdb package)."""

from __future__ import annotations

import sys
from typing import Optional

import duckdb


def run_sql(path: str, dataset: str, query: Optional[str]) -> int:
    """Runs `query` (or reads queries from stdin, one per line) with the dataset on the search path."""
    con = duckdb.connect(path, read_only=True)
    catalog = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
    con.execute(f"SET search_path = '{catalog}.{dataset}'")
    queries = [query] if query else [line for line in sys.stdin if line.strip()]
    for q in queries:
        con.sql(q).show(max_rows=50)
    return 0
