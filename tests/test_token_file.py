"""The shared token file (sources/zoom/token_file.py): reuse while fresh, refresh before expiry, 0600."""

from __future__ import annotations

import stat

from sources.zoom.auth import _margin
from sources.zoom.token_file import TokenFile


def test_token_is_reused_until_its_refresh_margin_then_fetched_again(tmp_path) -> None:
    cache = TokenFile.for_account("http://127.0.0.1:1/oauth/token", "acct", "client", directory=tmp_path)
    fetched = []

    def fetch() -> dict:
        fetched.append(1)
        return {"access_token": f"token-{len(fetched)}", "expires_in": 3600}

    clock = [1000.0]
    assert cache.get(fetch, _margin, now=lambda: clock[0])["access_token"] == "token-1"
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert "token-1" not in cache.path.name

    clock[0] += 3600 - _margin(3600) - 1  # just before the refresh margin: the saved one
    reused = cache.get(fetch, _margin, now=lambda: clock[0])
    assert reused["access_token"] == "token-1" and len(fetched) == 1
    assert 0 < reused["refresh_in"] <= 1  # refreshed when its fetcher would refresh it

    clock[0] += 2  # inside the margin: a new one, saved for the others
    assert cache.get(fetch, _margin, now=lambda: clock[0])["access_token"] == "token-2"
    assert cache.read()["access_token"] == "token-2"

    # a token Zoom refused is never handed out again, however fresh
    assert cache.get(fetch, _margin, rejected="token-2", now=lambda: clock[0])["access_token"] == "token-3"
