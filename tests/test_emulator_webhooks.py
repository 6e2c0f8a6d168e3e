"""The webhook helper signs events like Zoom (v0=HMAC_SHA256(secret, "v0:{ts}:{body}")) and runs the
endpoint.url_validation challenge; checked against a local aiohttp receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from aiohttp import web

from emulators._server import BackgroundServer
from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi, encode_uuid, zoom_api, zoom_emulator
from emulators.zoom.webhooks import recording_completed_object, send_event, signature, validate_url

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["zoom_api", "zoom_emulator"]

SECRET = "whsec-test"


def receiver(secret: str, received: list, honest: bool = True) -> web.Application:
    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        ts = request.headers["x-zm-request-timestamp"]
        expected = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
        body = json.loads(raw)
        received.append(
            {
                "body": body,
                "headers": dict(request.headers),
                "valid": expected == request.headers["x-zm-signature"],
            }
        )
        if body["event"] == "endpoint.url_validation":
            plain = body["payload"]["plainToken"]
            key = secret if honest else "wrong"
            enc = hmac.new(key.encode(), plain.encode(), hashlib.sha256).hexdigest()
            return web.json_response({"plainToken": plain, "encryptedToken": enc})
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", hook)
    return app


def test_signature_matches_zoom_formula() -> None:
    assert (
        signature("s", 1739923528, b'{"a":1}')
        == "v0=" + hmac.new(b"s", b'v0:1739923528:{"a":1}', hashlib.sha256).hexdigest()
    )


def test_signed_recording_completed_event(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    inst = next(
        i for i in zoom_emulator.state.data.instances.values() if i.recording and not i.recording.processing
    )
    rec = zoom_api.json(f"/meetings/{encode_uuid(inst.uuid)}/recordings")
    got: list = []
    with BackgroundServer(receiver(SECRET, got)) as srv:
        resp = send_event(
            f"{srv.base_url}/hook",
            "recording.completed",
            recording_completed_object(rec),
            SECRET,
            extra={"download_token": "dl-token"},
        )
    assert resp.status_code == 204 and len(got) == 1 and got[0]["valid"]
    body, headers = got[0]["body"], got[0]["headers"]
    assert body["event"] == "recording.completed" and body["payload"]["object"]["uuid"] == inst.uuid
    assert isinstance(body["payload"]["object"]["type"], int) and body["download_token"] == "dl-token"
    ts = int(headers["x-zm-request-timestamp"])
    assert abs(ts - time.time()) < 5 and abs(body["event_ts"] - ts * 1000) < 2000  # seconds vs milliseconds


def test_url_validation_challenge() -> None:
    got: list = []
    with BackgroundServer(receiver(SECRET, got)) as srv:
        assert validate_url(f"{srv.base_url}/hook", SECRET, plain_token="qgg8vlvZRS6UYooatFL8Aw")
    assert got[0]["body"]["payload"] == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"} and got[0]["valid"]
    with BackgroundServer(receiver(SECRET, [], honest=False)) as srv:
        assert not validate_url(f"{srv.base_url}/hook", SECRET)
