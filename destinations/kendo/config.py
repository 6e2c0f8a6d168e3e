"""The Kendo destination's config spec: what dlt resolves from `destination.kendo.*` (config, secrets, env)
or from explicit arguments to `kendo_destination(...)`, and hands to the destination function."""

from __future__ import annotations

from typing import Any, Optional, Union

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue
from dlt.destinations.impl.destination.configuration import CustomDestinationClientConfiguration
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from .errors import KendoConfigError
from .settings import (
    DEFAULT_BACKOFF_SECONDS,
    DEFAULT_CONCURRENCY,
    DEFAULT_INGEST_URL,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RATE_PER_SECOND,
    REQUEST_TIMEOUT_SECONDS,
    REQUEST_TIMEOUT_SETTING,
)


@configspec
class KendoCredentials(CredentialsConfiguration):
    """The team's Push API key. Its native form is the key itself, so `destination.kendo.api_key = "..."`
    (env `DESTINATION__KENDO__API_KEY`) resolves it; like every dlt credential it never shows in a repr."""

    api_key: Optional[TSecretStrValue] = None

    def parse_native_representation(self, native_value: Any) -> None:
        if not isinstance(native_value, str):
            super().parse_native_representation(native_value)
        self.api_key = native_value  # type: ignore[assignment]
        self.resolve()

    def to_native_representation(self) -> str:
        return str(self.api_key)

    def __str__(self) -> str:
        return "Kendo Push API key ***"


# the warehouse that holds the `kendo_sync` ledger (and `calls`): its own dlt credentials
TLedgerCredentials = Union[PostgresCredentials, DuckDbCredentials]


@configspec
class KendoDestinationConfiguration(CustomDestinationClientConfiguration):
    """`destination.kendo.*`. `push_calls` passes the warehouse's credentials and dataset as the ledger
    location; used on its own, set `ledger_credentials` (a Postgres URL or a DuckDB file) and
    `ledger_dataset_name`."""

    api_key: Optional[KendoCredentials] = None
    ingest_url: str = DEFAULT_INGEST_URL
    request_timeout: float = REQUEST_TIMEOUT_SECONDS
    concurrency: int = DEFAULT_CONCURRENCY
    rate_per_second: Optional[float] = DEFAULT_RATE_PER_SECOND
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    max_seconds: Optional[float] = None  # the push's time budget; past it, what is left stays pending
    resend_changed: bool = False
    resend_uncertain: bool = False
    ledger_credentials: Optional[TLedgerCredentials] = None
    ledger_dataset_name: Optional[str] = None

    def on_resolved(self) -> None:
        if not self.request_timeout or float(self.request_timeout) <= 0:
            raise KendoConfigError(
                f"{REQUEST_TIMEOUT_SETTING} must be a number of seconds above 0, not {self.request_timeout!r}"
            )
