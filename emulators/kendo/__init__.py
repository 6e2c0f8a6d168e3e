"""Kendo Push API emulator (loopback HTTP server) for the demo and the tests.

```python
from emulators.kendo import KendoEmulator
with KendoEmulator(api_key="kendo-test-key", latency_ms=0, strict=False) as k:
    k.ingest_url, k.api_key, k.base_url
    k.received()                 # every accepted body, in order, each with its "callId" added
    k.configure(fail_next=[429, 503], latency_ms=100)
    k.stats()                    # {"requests": n, "status": {"201": n, ...}, "accepted": n, "peak_concurrency": n}
    k.reset()
```
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from .._server import BackgroundServer
from .app import INGEST_PATH, create_app

__all__ = ["KendoEmulator", "create_app", "INGEST_PATH"]


class KendoEmulator:
    """Runs the Kendo emulator on 127.0.0.1 in a background thread (a context manager)."""

    def __init__(
        self,
        api_key: str = "kendo-test-key",
        latency_ms: int = 0,
        strict: bool = False,
        port: int = 0,
        seed: int = 0,
        **knobs: Any,
    ) -> None:
        self.api_key = api_key
        self._server = BackgroundServer(
            create_app(api_key, seed=seed, latency_ms=latency_ms, strict=strict, **knobs), port=port
        )

    @property
    def base_url(self) -> str:
        return self._server.base_url

    @property
    def ingest_url(self) -> str:
        return self.base_url + INGEST_PATH

    def start(self) -> KendoEmulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> KendoEmulator:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    def received(self) -> list[dict[str, Any]]:
        """Every accepted call body, in order of acceptance, with the `callId` Kendo answered."""
        return list(self._admin("GET", "/_emulator/calls"))

    def stats(self) -> dict[str, Any]:
        return dict(self._admin("GET", "/_emulator/stats"))

    def configure(self, **knobs: Any) -> dict[str, Any]:
        """Changes knobs at run time: rate_429, rate_5xx, latency_ms, retry_after, fail_next, strict."""
        return dict(self._admin("POST", "/_emulator/config", knobs))

    def reset(self) -> None:
        """Forgets received calls and stats, and puts the knobs back to the constructor's values."""
        self._admin("POST", "/_emulator/reset", {})
