"""`account_id` on every row of every table, so analysts can union the datasets of many Zoom accounts.

One map on each table resource (zoom_source), not a field in each row builder: dict rows and the Arrow
participant pages (arrow_pages.py) get it alike, and a table added later gets it for free. Zoom's own
`account_id` (recordings carry one) is the same value and is kept. Nested tables (`meetings__occurrences`)
get it from their root row through dlt's normalizer propagation (`propagate_to_nested`; its test in
tests/test_accounts.py fails if a dlt upgrade changes that config).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import pyarrow as pa

COLUMN = "account_id"


def account_id_of(client: Any) -> Optional[str]:
    """Zoom's account id from the client's Server-to-Server credentials (user OAuth carries none)."""
    credentials = getattr(getattr(client, "auth", None), "credentials", None)
    value = getattr(credentials, "account_id", None)
    return str(value) if value else None


def propagate_to_nested(schema: Any) -> None:
    """Copies each root row's `account_id` into the rows of its nested tables (dlt's relational normalizer
    `propagation.root`, the documented way to hand a root column down)."""
    from dlt.common.normalizers.json.relational import DataItemNormalizer

    config: Any = {"propagation": {"root": {COLUMN: COLUMN}}}
    DataItemNormalizer.update_normalizer_config(schema, config)


def stamper(account_id: str) -> Callable[[Any], Any]:
    """A dlt map adding `account_id` to dict rows and Arrow tables or batches."""

    def stamp(item: Any) -> Any:
        if isinstance(item, dict):
            item.setdefault(COLUMN, account_id)
        elif isinstance(item, list):
            for row in item:
                if isinstance(row, dict):
                    row.setdefault(COLUMN, account_id)
        elif isinstance(item, (pa.Table, pa.RecordBatch)) and COLUMN not in item.schema.names:
            column = pa.array([account_id] * item.num_rows, pa.string())
            if isinstance(item, pa.Table):
                return item.append_column(COLUMN, column)
            return pa.RecordBatch.from_arrays([*item.columns, column], names=[*item.schema.names, COLUMN])
        return item

    return stamp
