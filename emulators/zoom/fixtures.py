"""Pytest fixtures for the Zoom emulator (re-exported by tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests

from .emulator import ZoomEmulator


@pytest.fixture
def zoom_emulator() -> Iterator[ZoomEmulator]:
    """A fresh emulator on a free port: default data, rate limits off, no latency."""
    with ZoomEmulator(rate_limits=False, latency_ms=0) as emu:
        yield emu


@pytest.fixture
def make_zoom_emulator() -> Iterator[Callable[..., ZoomEmulator]]:
    """A factory for emulators with other knobs, e.g. `make_zoom_emulator(plan="free", rate_limits=True)`;
    every one started is stopped at the end of the test."""
    started: list[ZoomEmulator] = []

    def make(**knobs: Any) -> ZoomEmulator:
        emu = ZoomEmulator(**knobs).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


def encode_uuid(value: str) -> str:
    """Zoom's path rule: double-encode a UUID that begins with "/" or contains "//", else encode once."""
    once = quote(str(value), safe="")
    return quote(once, safe="") if str(value).startswith("/") or "//" in str(value) else once


class ZoomApi:
    """A tiny requests client for tests: Bearer auth and a pager that follows `next_page_token`."""

    def __init__(self, emu: ZoomEmulator) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {emu.access_token()}"

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.session.get(self.emu.api_base + path, params=params, timeout=30)

    def json(self, path: str, **params: Any) -> dict:
        resp = self.get(path, **params)
        assert resp.status_code == 200, (path, resp.status_code, resp.text)
        return resp.json()

    def walk(self, path: str, list_key: str, **params: Any) -> list[dict]:
        """Every record of a paginated list, page by page."""
        items: list[dict] = []
        token = ""
        while True:
            page = self.json(path, **params, **({"next_page_token": token} if token else {}))
            items += page[list_key]
            token = page.get("next_page_token", "")
            if not token:
                return items


@pytest.fixture
def zoom_api(zoom_emulator: ZoomEmulator) -> Iterator[ZoomApi]:
    """A `ZoomApi` client authenticated against the `zoom_emulator` fixture."""
    api = ZoomApi(zoom_emulator)
    yield api
    api.session.close()
