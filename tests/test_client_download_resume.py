"""A download whose connection breaks mid-file continues where it stopped.

The Zoom emulator drops connections only before answering, so this case runs against a tiny aiohttp
stand-in that sends half the file and then aborts the connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiohttp import web

from emulators._server import BackgroundServer
from sources.zoom.auth import ZoomAuth
from sources.zoom.client import ZoomClient
from sources.zoom.credentials import ZoomCredentials
from sources.zoom.errors import ZoomDownloadError

BODY = bytes(range(256)) * 400  # 100 KiB


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, int]]]:
    calls = {"file": 0, "broken": 0}

    async def token(_: web.Request) -> web.Response:
        return web.json_response({"access_token": "standin-token", "expires_in": 3600})

    async def file(request: web.Request) -> web.StreamResponse:
        calls["file"] += 1
        assert request.headers.get("Authorization") == "Bearer standin-token"
        resp = web.StreamResponse(headers={"Content-Type": "audio/mp4", "Content-Length": str(len(BODY))})
        await resp.prepare(request)
        if calls["file"] <= calls["broken"]:
            await resp.write(BODY[: len(BODY) // 2])
            await resp.drain()
            assert request.transport is not None
            request.transport.abort()
            return resp
        await resp.write(BODY)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_post("/oauth/token", token)
    app.router.add_get("/rec/download/f1", file)
    with BackgroundServer(app) as srv:
        yield srv.base_url, calls


def _client(base: str, **kw: object) -> ZoomClient:
    creds = ZoomCredentials(account_id="a", client_id="c", client_secret="s3cret")
    return ZoomClient(ZoomAuth(creds, base + "/oauth/token"), base_url=base + "/v2", backoff_base=0.01, **kw)  # type: ignore[arg-type]


def test_broken_download_resumes_without_duplicate_bytes(server: tuple[str, dict[str, int]]) -> None:
    base, calls = server
    calls["broken"] = 2
    client = _client(base)
    assert client.download_bytes(base + "/rec/download/f1") == BODY
    assert calls["file"] == 3
    assert client.stats()["Download"]["retries"] == 2


def test_download_that_keeps_breaking_fails_cleanly(server: tuple[str, dict[str, int]]) -> None:
    base, calls = server
    calls["broken"] = 100
    with pytest.raises(ZoomDownloadError, match="after 3 attempts"):
        _client(base, max_attempts=3).download_bytes(base + "/rec/download/f1")
