"""The `@dlt.destination` that posts call rows to the Kendo Push API, one POST per call.

Config (dlt conventions, section `destination.kendo`):
- `api_key` (secret): `.dlt/secrets.toml` `[destination.kendo] api_key = "..."`, or `DESTINATION__KENDO__API_KEY`.
- `ingest_url`: default `https://app.kendo.ai/api/integrations/push-api/ingest`
  (`DESTINATION__KENDO__INGEST_URL`).

Failure semantics: per-call problems never fail the load job. A 400 is written to the ledger as `failed`,
exhausted retries as `pending`; only a refused key (401/403) raises (`KendoAuthError`, a dlt terminal
error), and `push_calls` then discards the push pipeline's pending package, because the ledger — not
the dlt package — is the checkpoint.

Run through `push_calls(...)`, the destination uses that push's session (warehouse ledger, pacing,
concurrency). Used on its own (`dlt.pipeline(..., destination=kendo_destination())`), it keeps an
in-memory ledger for the life of the process only, so a later process can re-send the same calls.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import dlt
from dlt.common.destination import Destination
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.common.schema import TTableSchema
from dlt.common.typing import TDataItems

from .ledger import MemoryLedger
from .session import PushSession, find_session
from .settings import DEFAULT_CONCURRENCY, DEFAULT_INGEST_URL, DESTINATION_BATCH_SIZE, DESTINATION_NAME

logger = logging.getLogger("destinations.kendo")

_STANDALONE: dict[str, PushSession] = {}
_STANDALONE_LOCK = threading.Lock()


def _standalone_session() -> PushSession:
    with _STANDALONE_LOCK:
        if "default" not in _STANDALONE:
            logger.warning(
                "kendo_destination runs without push_calls(): the ledger is kept in memory only, so calls"
                " are not de-duplicated across processes"
            )
            _STANDALONE["default"] = PushSession(MemoryLedger(), concurrency=DEFAULT_CONCURRENCY)
        return _STANDALONE["default"]


class _MaskedSecret(str):
    """The key as a str whose repr is masked: dlt's destination repr shows its keyword arguments."""

    def __repr__(self) -> str:
        return "'***'"


@dlt.destination(
    name=DESTINATION_NAME,
    batch_size=DESTINATION_BATCH_SIZE,
    loader_file_format="typed-jsonl",
    naming_convention="direct",
    max_table_nesting=0,
    skip_dlt_columns_and_tables=True,
    max_parallel_load_jobs=1,
    loader_parallelism_strategy="sequential",
)
def push_to_kendo(
    items: TDataItems,
    table: TTableSchema,
    api_key: str = dlt.secrets.value,
    ingest_url: str = DEFAULT_INGEST_URL,
    push_session: str = "",
) -> None:
    """Posts a batch of `calls` rows (docs/CONTRACTS.md §5) to Kendo, `concurrency` at a time.

    Args:
        items: the rows of one batch (dicts, or a pyarrow RecordBatch when the load file is parquet).
        table: the dlt table schema of the rows.
        api_key: Kendo push key (secret; `destination.kendo.api_key`).
        ingest_url: Kendo Push API endpoint (`destination.kendo.ingest_url`).
        push_session: set by `push_calls`; links the batch to that push's ledger and settings.
    """
    rows: list[Any] = items.to_pylist() if hasattr(items, "to_pylist") else list(items)
    session = find_session(push_session) if push_session else None
    if session is None and push_session:
        # a package left by an earlier, interrupted push: its calls are in the ledger as pending and
        # the next push_calls() posts them; loading this package would bypass the ledger
        raise DestinationTerminalException(
            "stale Kendo push package from an interrupted push; run push_calls() again (it discards it)"
        )
    standalone = session is None
    if session is None:
        session = _standalone_session()
    session.push_rows(session.client(api_key, ingest_url), rows)
    # push_calls raises a refused key itself, after the run (no dlt job traceback); alone, dlt reports it
    if standalone and session.fatal_error is not None:
        raise session.fatal_error


def kendo_destination(
    api_key: str | None = None, ingest_url: str | None = None, push_session: str | None = None, **kwargs: Any
) -> Destination[Any, Any]:
    """The Kendo destination for `dlt.pipeline(..., destination=kendo_destination(...))`.

    Arguments left out are read from config (`destination.kendo.api_key`, `destination.kendo.ingest_url`).
    The key is wrapped so that the destination's repr (which dlt builds from these arguments) masks it.

    Args:
        api_key: Kendo push key (secret).
        ingest_url: Kendo Push API endpoint.
        push_session: used by `push_calls` to attach its ledger; leave unset.
        **kwargs: other dlt destination arguments (e.g. `destination_name`).
    """
    if api_key is not None:
        kwargs["api_key"] = _MaskedSecret(api_key)
    if ingest_url is not None:
        kwargs["ingest_url"] = ingest_url
    if push_session is not None:
        kwargs["push_session"] = push_session
    return push_to_kendo(**kwargs)
