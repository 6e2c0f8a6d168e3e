"""Runs an aiohttp application on 127.0.0.1 in a background thread, for tests, the demo and the CLI."""

from __future__ import annotations

import asyncio
import json
import shlex
import socket
import threading
from typing import Any, Optional

from aiohttp import web


def free_port() -> int:
    """Returns a free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BackgroundServer:
    """Serves `app` on 127.0.0.1:`port` (0 picks a free port) from its own event loop thread."""

    def __init__(self, app: web.Application, port: int = 0, host: str = "127.0.0.1") -> None:
        self.app = app
        self.host = host
        self.port = port or free_port()
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self._started = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> "BackgroundServer":
        self._thread = threading.Thread(target=self._run, name=f"emulator-{self.port}", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout=30):
            raise RuntimeError(f"emulator on {self.base_url} did not start within 30 s")
        if self._error is not None:
            raise RuntimeError(f"emulator on {self.base_url} failed to start: {self._error}")
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
            loop.run_until_complete(self._runner.setup())
            # backlog: a burst of several hundred concurrent clients must not be refused
            site = web.TCPSite(self._runner, self.host, self.port, backlog=2048, reuse_address=True)
            loop.run_until_complete(site.start())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def call(self, coro: Any, timeout: float = 30) -> Any:
        """Runs a coroutine on the server's loop (e.g. to mutate state safely) and returns its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._loop = None

    def __enter__(self) -> "BackgroundServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def serve_forever(app: web.Application, port: int, banner: dict, env: dict | None = None) -> None:
    """Runs `app` in the foreground (the `python -m emulators.X` entry points), printing one JSON line first,
    then `export NAME=value` lines for `env` (ready to paste into a shell)."""
    print(json.dumps(banner), flush=True)
    for name, value in (env or {}).items():
        print(f"export {name}={shlex.quote(str(value))}", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)
