"""OAuth at /oauth/token (account_credentials and refresh_token grants) and access-token checks on /v2."""

from __future__ import annotations

import time

import requests

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import make_zoom_emulator, zoom_emulator

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["make_zoom_emulator", "zoom_emulator"]


def token(emu: ZoomEmulator, **kwargs) -> requests.Response:
    kwargs.setdefault("auth", (emu.client_id, emu.client_secret))
    return requests.post(emu.token_url, timeout=10, **kwargs)


def s2s(emu: ZoomEmulator) -> dict:
    return {"grant_type": "account_credentials", "account_id": emu.account_id}


def test_account_credentials_in_query_or_form_body(zoom_emulator: ZoomEmulator) -> None:
    for resp in (
        token(zoom_emulator, params=s2s(zoom_emulator)),
        token(zoom_emulator, data=s2s(zoom_emulator)),
    ):
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600 and body["scope"]
        assert body["api_url"] == zoom_emulator.base_url
        # a client that honours api_url still reaches the API
        r = requests.get(
            f"{body['api_url']}/v2/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert r.status_code == 200 and r.json()["id"]


def test_wrong_credentials_and_account_fail_like_zoom(zoom_emulator: ZoomEmulator) -> None:
    bad = token(zoom_emulator, params=s2s(zoom_emulator), auth=(zoom_emulator.client_id, "nope"))
    assert bad.status_code == 401
    assert bad.json() == {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}
    assert token(zoom_emulator, params=s2s(zoom_emulator), auth=None).status_code == 400
    wrong_account = token(zoom_emulator, params={"grant_type": "account_credentials", "account_id": "other"})
    assert wrong_account.status_code == 400 and wrong_account.json()["error"] == "invalid_request"
    unsupported = token(zoom_emulator, params={"grant_type": "password"})
    assert unsupported.json()["error"] == "unsupported_grant_type"


def test_missing_unknown_or_query_string_token_is_401_124(zoom_emulator: ZoomEmulator) -> None:
    good = zoom_emulator.access_token()
    url = zoom_emulator.api_base + "/users"
    for kwargs in (
        {},
        {"headers": {"Authorization": "Bearer not-a-token"}},
        {"params": {"access_token": good}},
        # a token in the query string is refused even next to a valid header (Zoom, since 2023)
        {"params": {"access_token": good}, "headers": {"Authorization": f"Bearer {good}"}},
    ):
        resp = requests.get(url, timeout=10, **kwargs)
        assert resp.status_code == 401
        assert resp.json() == {"code": 124, "message": "Invalid access token."}
    assert requests.get(url, headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_token_expires_after_token_ttl(zoom_emulator: ZoomEmulator) -> None:
    zoom_emulator.configure(token_ttl=0.3)
    resp = token(zoom_emulator, params=s2s(zoom_emulator))
    assert resp.json()["expires_in"] == 1
    headers = {"Authorization": f"Bearer {resp.json()['access_token']}"}
    assert requests.get(zoom_emulator.api_base + "/users", headers=headers).status_code == 200
    time.sleep(0.4)
    expired = requests.get(zoom_emulator.api_base + "/users", headers=headers)
    assert expired.status_code == 401 and expired.json()["code"] == 124


def test_refresh_token_rotates_and_old_one_fails(zoom_emulator: ZoomEmulator) -> None:
    first = zoom_emulator.refresh_token
    resp = token(zoom_emulator, data={"grant_type": "refresh_token", "refresh_token": first})
    assert resp.status_code == 200
    body = resp.json()
    assert body["refresh_token"] != first and body["access_token"]
    assert zoom_emulator.refresh_token == body["refresh_token"]
    old = token(zoom_emulator, data={"grant_type": "refresh_token", "refresh_token": first})
    assert old.status_code == 400 and old.json() == {"reason": "Invalid Token!", "error": "invalid_request"}
    again = token(
        zoom_emulator, params={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert again.status_code == 200 and again.json()["refresh_token"] not in (first, body["refresh_token"])
    assert zoom_emulator.stats()["token_requests"] == 3
