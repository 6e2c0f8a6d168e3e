"""Kendo Push API destination: the `@dlt.destination`, the call → payload mapping and the push ledger.

```python
from destinations.kendo import push_calls
summary = push_calls(warehouse_pipeline, api_key=..., ingest_url=..., concurrency=4)
```
"""

from .config import KendoCredentials, KendoDestinationConfiguration
from .destination import kendo_destination
from .errors import KendoAuthError, KendoConfigError, KendoError
from .ledger import LEDGER_COLUMNS, Ledger, LedgerEntry
from .payload import build_payload, payload_hash, redact_url, redacted_payload
from .push import push_calls, read_ready_calls
from .sender import KendoPush
from .settings import DEFAULT_INGEST_URL, LEDGER_TABLE
from .summary import PushSummary

__all__ = [
    "DEFAULT_INGEST_URL",
    "LEDGER_COLUMNS",
    "LEDGER_TABLE",
    "KendoAuthError",
    "KendoConfigError",
    "KendoCredentials",
    "KendoDestinationConfiguration",
    "KendoError",
    "KendoPush",
    "Ledger",
    "LedgerEntry",
    "PushSummary",
    "build_payload",
    "kendo_destination",
    "payload_hash",
    "push_calls",
    "read_ready_calls",
    "redact_url",
    "redacted_payload",
]
