"""Rows that can't be typed are set aside in `rejected_rows`, so one bad value never stops a load.

A row is set aside when a key field is missing, or a pinned field (column_types.py: keys, cursors, ids,
times, counts) holds a value that can't be read as its type, or a value can't be stored at all (text
with NUL or unpaired surrogates, an int beyond 64 bits, NaN). Values that convert without loss are
converted ("12" → 12 for a bigint, 12 → "12" for text). The row lands in `rejected_rows` with the
table, the reason, its key, and the payload as JSON text (without credentials); every other row loads.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

import dlt
from dlt.common.schema.typing import TDataType, TTableSchemaColumns
from dlt.common.typing import TDataItems

from .column_types import COLUMN_TYPES
from .dates import parse_time
from .registry import key_of
from .sensitive import drop_sensitive
from .settings import REJECTED_ROWS_KEY, REJECTED_ROWS_TABLE, Key

_INT64 = (-(2**63), 2**63 - 1)
_INT_TEXT = re.compile(r"^[+-]?\d+$")

REJECTED_ROWS_COLUMNS: TTableSchemaColumns = {
    "table_name": {"data_type": "text"},
    "reason": {"data_type": "text"},
    "row_key": {"data_type": "text", "nullable": True},
    "payload": {"data_type": "text"},
    "payload_hash": {"data_type": "text"},
    "rejected_at": {"data_type": "timestamp"},
}
# The hints of the `rejected_rows` table variant every resource that screens its rows carries.
REJECTED_ROWS_HINTS: Dict[str, Any] = dict(
    table_name=REJECTED_ROWS_TABLE,
    primary_key=list(REJECTED_ROWS_KEY),
    write_disposition="merge",
    columns=REJECTED_ROWS_COLUMNS,
)


class BadValue(ValueError):
    """A value that doesn't fit its column; the message is the reason stored with the row."""


def screen_rows(
    table: str, rows: Sequence[Any], key: Optional[Key] = None
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """Splits `rows` of `table` into rows that load (pinned fields converted to their types) and
    `rejected_rows` rows.

    Args:
        table: the table the rows belong to (its pinned types come from column_types.COLUMN_TYPES).
        rows: the rows as built for the table (times already parsed where they could be).
        key: the table's primary key; default: the endpoint registry's.

    Returns:
        (rows to load, rows for `rejected_rows`).
    """
    types = COLUMN_TYPES.get(table, {})
    fields = _key_fields(table if key is None else key, key is None)
    good: List[Dict[str, Any]] = []
    rejected: List[Dict[str, Any]] = []
    for row in rows:
        if not isinstance(row, dict):
            rejected.append(rejected_row(table, "not an object", {"value": row}, fields))
            continue
        try:
            good.append(typed_row(row, types, fields))
        except BadValue as exc:
            rejected.append(rejected_row(table, str(exc), row, fields))
    return good, rejected


def screened(run: Any, table: str, rows: Sequence[Any], key: Optional[Key] = None) -> List[TDataItems]:
    """The items a resource yields for `rows`: the rows that load, then (if any) the rejected ones,
    marked for the `rejected_rows` table and counted in the run's stats."""
    good, rejected = screen_rows(table, rows, key)
    items: List[TDataItems] = [good] if good else []
    if rejected:
        run.reject(table, len(rejected), rejected[0]["reason"])
        items.append(dlt.mark.with_table_name(rejected, REJECTED_ROWS_TABLE))
    return items


def typed_row(row: Dict[str, Any], types: Dict[str, TDataType], key_fields: Sequence[str]) -> Dict[str, Any]:
    """The row with its pinned fields converted; raises BadValue naming the first field that won't fit."""
    out = dict(row)
    for name in key_fields:
        if out.get(name) is None:
            raise BadValue(f"{name}: missing (part of the key)")
    for name, value in out.items():
        t = types.get(name)
        if t is not None:
            out[name] = _convert(name, value, t)
            if out[name] is None and name in key_fields:
                raise BadValue(f"{name}: missing (part of the key)")
        else:
            _check_storable(name, value)
    return out


def rejected_row(table: str, reason: str, row: Dict[str, Any], key_fields: Sequence[str]) -> Dict[str, Any]:
    # credentials never reach storage, even in a row set aside (sensitive.py)
    payload = json.dumps(drop_sensitive(row), default=_json_default, sort_keys=True, ensure_ascii=True)
    present = {k: row[k] for k in key_fields if row.get(k) is not None}
    return {
        "table_name": table,
        "reason": reason,
        "row_key": json.dumps(present, default=_json_default, sort_keys=True, ensure_ascii=True)
        if present
        else None,
        "payload": payload,
        # the same bad row seen again (a re-run, an overlapping window) merges into one
        "payload_hash": hashlib.sha256(f"{table}\n{payload}".encode()).hexdigest(),
        "rejected_at": datetime.now(UTC),
    }


def _key_fields(key: Any, from_registry: bool) -> Tuple[str, ...]:
    if from_registry:
        return key_of(key)
    if key is None:
        return ()
    return (key,) if isinstance(key, str) else tuple(key)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)


def _convert(name: str, value: Any, t: TDataType) -> Any:
    if value is None:
        return None
    if t == "timestamp":
        if value == "":
            return None
        if isinstance(value, (str, datetime)):
            parsed = parse_time(value)
            if parsed is not None:
                return parsed
        raise BadValue(f"{name}: not a timestamp: {_show(value)}")
    if t == "bigint":
        if isinstance(value, bool):
            raise BadValue(f"{name}: not an integer: {_show(value)}")
        number: Any = value
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INT_TEXT.match(value.strip()):
            number = int(value.strip())
        if isinstance(number, int) and _INT64[0] <= number <= _INT64[1]:
            return number
        raise BadValue(f"{name}: not a 64-bit integer: {_show(value)}")
    if t == "bool":
        if isinstance(value, bool):
            return value
        raise BadValue(f"{name}: not a boolean: {_show(value)}")
    if t == "text":
        if isinstance(value, str):
            _check_storable(name, value)
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        raise BadValue(f"{name}: not text: {_show(value)}")
    return value


def _check_storable(name: str, value: Any) -> None:
    """Raises BadValue for what no warehouse stores: NUL or unpaired surrogates in text, ints beyond
    64 bits, NaN and infinities (checked inside nested objects too)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise BadValue(f"{name}: text holds a NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadValue(f"{name}: text is not valid Unicode (unpaired surrogate)") from None
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise BadValue(f"{name}: integer beyond 64 bits: {_show(value)}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise BadValue(f"{name}: not a finite number: {_show(value)}")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_storable(f"{name}.{k}", v)
    elif isinstance(value, list):
        for v in value:
            _check_storable(f"{name}[]", v)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
