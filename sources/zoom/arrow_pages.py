"""Participant pages as Arrow tables: dlt loads them without its per-row Python normalizer (DLT_NOTES §6).

The four participant tables (meeting_participants, report_meeting_participants, webinar_participants,
report_webinar_participants) are most of the rows of a large account. A page of dicts costs dlt a
Python pass per value; an Arrow table goes to parquet as is (bench/bench_source.py --part heavy).

The table of a page must look exactly like what dlt makes of the same page as dicts, so the warehouse
columns don't depend on the path a page took:

* types come from `PARTICIPANT_TYPES` (every field Zoom documents for the four endpoints), never
  inferred, so an all-null page can't type a column wrongly;
* a column is included only if some row of the page has a non-null value for it (dlt creates no
  column for null dict values), in the order dicts would give: row keys as first seen, then the parent
  keys. Columns missing from a page are filled with nulls by dlt;
* a page dlt would shape differently falls back to dicts, for that page only: a field Zoom added that
  we have no type for (as dicts it may be a bigint, a flattened object or a child table; as a string
  column it would not match, and dropping it loses data), or a value that doesn't fit its type (e.g.
  an unparseable time, which dlt stores in a variant column). Unknown fields are logged once each, so
  they can be added here;
* dict rows get `_dlt_id` and `_dlt_load_id` from dlt's JSON normalizer; Arrow tables get them only with
  `normalize.parquet_normalizer.add_dlt_id` / `add_dlt_load_id` (`pipelines/load.py:make_pipeline`
  and `.dlt/config.toml` set both). pipelines/safe_load.py and Postgres's NOT NULL/UNIQUE `_dlt_id`
  need them, so without both settings every page stays dicts.
"""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Set

import pyarrow as pa
from dlt.common.configuration import resolve_configuration
from dlt.common.configuration.specs import known_sections
from dlt.common.typing import TDataItems
from dlt.normalize.configuration import ItemsNormalizerConfiguration

from .column_types import PARTICIPANT
from .registry import key_of
from .rejects import screened
from .rows import row_of

logger = logging.getLogger(__name__)

_TIMESTAMP = pa.timestamp("us", tz="UTC")

# dlt's types of the participant fields (column_types.PARTICIPANT) as Arrow types.
_ARROW_TYPES: Dict[str, pa.DataType] = {
    "text": pa.string(),
    "bigint": pa.int64(),
    "bool": pa.bool_(),
    "timestamp": _TIMESTAMP,
}
PARTICIPANT_TYPES: Dict[str, pa.DataType] = {name: _ARROW_TYPES[t] for name, t in PARTICIPANT.items()}
PARTICIPANT_SCHEMA = pa.schema([pa.field(name, t) for name, t in PARTICIPANT_TYPES.items()])

# The Python type each Arrow type takes, checked exactly: pyarrow would turn 1.0 into an int64 where
# dlt makes a double column of dicts, and bool is a subclass of int.
_PY_TYPES: Dict[pa.DataType, type] = {
    pa.string(): str,
    pa.int64(): int,
    pa.bool_(): bool,
    _TIMESTAMP: datetime,
}

_warned: Set[str] = set()
_lock = threading.Lock()
_ready: "weakref.WeakKeyDictionary[Any, bool]" = weakref.WeakKeyDictionary()


def participant_page(
    run: Any, resource: str, page: List[Dict[str, Any]], **parent_keys: Any
) -> List[TDataItems]:
    """The items of one page of `resource`, times parsed and parent keys added: the rows that fit their
    types as an Arrow table when dlt will give it `_dlt_id` and `_dlt_load_id` and its shape is known
    (else as dicts), then any rows set aside for `rejected_rows` (see rejects)."""
    rows = [row_of(p, **parent_keys) for p in page]
    items = screened(run, resource, rows)
    if not items or not isinstance(items[0], list) or not _dlt_columns_enabled(run):
        return items
    table = participant_table(items[0], list(parent_keys), key_of(resource))
    return items if table is None else [table, *items[1:]]


def participant_table(
    rows: List[Dict[str, Any]], parent_keys: Sequence[str] = (), primary_key: Sequence[str] = ()
) -> Optional[pa.Table]:
    """The rows (times already parsed, parent keys included) as an Arrow table typed by
    `PARTICIPANT_TYPES`, or None when dlt would shape them differently as dicts (see module doc).
    Primary key fields are not nullable, as in the table hints (else dlt warns about every page)."""
    # columns in the order dlt makes them of dicts: keys as first seen with a non-null value
    names: Dict[str, None] = {}
    for row in rows:
        for key, value in row.items():
            if value is not None:
                names[key] = None
    if any(key not in names for key in primary_key):
        return None  # a null key: dicts let dlt report it as it always has
    fields = []
    columns = []
    for name in names:
        values = [row.get(name) for row in rows]
        arrow_type = _parent_type(values) if name in parent_keys else PARTICIPANT_TYPES.get(name)
        if arrow_type is None:
            if name not in parent_keys:
                _warn_unknown(name)
            return None
        py_type = _PY_TYPES[arrow_type]
        if any(v is not None and type(v) is not py_type for v in values):
            return None
        if arrow_type == _TIMESTAMP and any(v is not None and v.tzinfo is None for v in values):
            return None
        nullable = name not in primary_key
        if not nullable and any(v is None for v in values):
            return None
        fields.append(pa.field(name, arrow_type, nullable=nullable))
        columns.append(pa.array(values, type=arrow_type))
    return pa.Table.from_arrays(columns, schema=pa.schema(fields))


def _parent_type(values: List[Any]) -> Optional[pa.DataType]:
    """Parent keys (meeting/webinar UUID and numeric id) are typed by their Python values."""
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) != 1:
        return None
    return {str: pa.string(), int: pa.int64(), bool: pa.bool_()}.get(kinds.pop())


def _dlt_columns_enabled(run: Any) -> bool:
    """Whether dlt adds `_dlt_id` and `_dlt_load_id` to Arrow items in this run: the same lookup as
    dlt's ArrowExtractor (`normalize.parquet_normalizer`, pipeline-scoped keys first), once per run."""
    with _lock:
        known = _ready.get(run)
    if known is None:
        config = resolve_configuration(
            ItemsNormalizerConfiguration(), sections=(known_sections.NORMALIZE, "parquet_normalizer")
        )
        known = bool(config.add_dlt_id and config.add_dlt_load_id)
        if not known:
            logger.info(
                "participant tables load as dicts: set normalize.parquet_normalizer.add_dlt_id and "
                "add_dlt_load_id to true to load them as Arrow tables"
            )
        with _lock:
            _ready[run] = known
    return known


def _warn_unknown(name: str) -> None:
    with _lock:
        if name in _warned:
            return
        _warned.add(name)
    logger.warning(
        "Zoom sent participant field %r that sources/zoom/arrow_pages.py has no type for; pages with it "
        "load as dicts (slower) until it is added to PARTICIPANT_TYPES",
        name,
    )
