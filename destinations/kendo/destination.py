"""The `@dlt.destination` that posts `calls` rows to the Kendo Push API, one POST per call, exactly once.

dlt resolves its config from the spec (`config.KendoDestinationConfiguration`, section `destination.kendo`):
- `api_key` (secret): `.dlt/secrets.toml` `[destination.kendo] api_key = "..."`, or `DESTINATION__KENDO__API_KEY`;
- `ingest_url`, `request_timeout`, `concurrency`, `rate_per_second`, `max_attempts`, `backoff_seconds`,
  `max_seconds`, `resend_changed`, `resend_uncertain`;
- `ledger_credentials` / `ledger_dataset_name`: the warehouse holding the `kendo_sync` ledger. `push_calls`
  passes the warehouse pipeline's own credentials object and dataset.

Each batch is decided, claimed, posted and recorded call by call (`sender.KendoPush`, the claim protocol).
A package of a push that was killed is loaded again by the next push of the same pipeline: its rows go
through the same claims, so the calls it already sent (or may have sent) are skipped, never posted twice.
"""

from __future__ import annotations

from typing import Any

import dlt
from dlt.common.destination import Destination
from dlt.common.schema import TTableSchema
from dlt.common.typing import TDataItems

from .config import KendoCredentials, KendoDestinationConfiguration
from .sender import KendoPush
from .settings import DESTINATION_BATCH_SIZE, DESTINATION_NAME


@dlt.destination(
    name=DESTINATION_NAME,
    spec=KendoDestinationConfiguration,
    batch_size=DESTINATION_BATCH_SIZE,
    loader_file_format="typed-jsonl",
    naming_convention="direct",
    max_table_nesting=0,
    skip_dlt_columns_and_tables=True,
    max_parallel_load_jobs=1,
    loader_parallelism_strategy="sequential",
)
def kendo(
    items: TDataItems, table: TTableSchema, config: KendoDestinationConfiguration = dlt.config.value
) -> None:
    """Posts one batch of `calls` rows (docs/CONTRACTS.md §5) with the resolved `destination.kendo.*` config.

    Used directly (`destination=kendo()`), each batch is a push of its own; `kendo_destination(push)` binds
    the batches of one push together (one gate, one summary, a stop event).
    """
    push = KendoPush()
    try:
        push.send_batch(_rows(items), config)
    finally:
        push.close()
    if push.fatal_error is not None:  # a terminal dlt error: the package waits until the setting is fixed
        raise push.fatal_error


def kendo_destination(push: KendoPush | None = None, **config: Any) -> Destination[Any, Any]:
    """The Kendo destination for `dlt.pipeline(..., destination=kendo_destination(...))`.

    Args:
        push: what the batches of one push share, and give back to the caller: the pacing and back-off
            gate, the outcome summary, the stop event (Ctrl-C), the audio URL function. None: the batches
            are independent pushes.
        **config: explicit `destination.kendo.*` values (see `KendoDestinationConfiguration`); the ones left
            out are read from config, secrets and env. A str `api_key` is wrapped as `KendoCredentials`.
    """
    if isinstance(config.get("api_key"), str):
        config["api_key"] = KendoCredentials(config["api_key"])
    if push is None:
        return kendo(**config)
    bound = push

    def kendo_push(
        items: TDataItems, table: TTableSchema, config: KendoDestinationConfiguration = dlt.config.value
    ) -> None:
        bound.send_batch(_rows(items), config)

    # the same registered destination type (a pipeline restores it by name), with this push's callable
    return kendo(destination_callable=kendo_push, **config)  # type: ignore[call-arg]


def _rows(items: TDataItems) -> list[Any]:
    """Rows as dicts (a pyarrow RecordBatch when the load file is parquet)."""
    return items.to_pylist() if hasattr(items, "to_pylist") else list(items)
