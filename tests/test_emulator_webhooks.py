"""The webhook helper signs events like Zoom (v0=HMAC_SHA256(secret, "v0:{ts}:{body}")) and runs the
endpoint.url_validation challenge; checked against a local aiohttp receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator

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
                "valid": expected == request.headers.get("x-zm-signature"),
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


def _wait(predicate, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_subscription_sends_signed_events_and_retries_5xx_at_zooms_schedule(
    zoom_emulator: ZoomEmulator,
) -> None:
    got: list = []
    answers = iter([500, 503, 200])

    async def hook(request: web.Request) -> web.Response:
        raw = await request.read()
        ts = request.headers["x-zm-request-timestamp"]
        got.append(
            (
                json.loads(raw),
                request.headers["x-zm-signature"] == signature(SECRET, ts, raw),
                time.monotonic(),
            )
        )
        return web.Response(status=next(answers, 200))

    app = web.Application()
    app.router.add_post("/hook", hook)
    with BackgroundServer(app) as srv:
        # time_scale 0.001: Zoom's 5 / 20 / 60 minutes become 0.3 / 1.2 / 3.6 s
        zoom_emulator.subscribe_webhooks(f"{srv.base_url}/hook", SECRET, time_scale=0.001)
        first = zoom_emulator.send_webhook("meeting.ended", {"uuid": "u1", "id": "1"})
        assert [d["status"] for d in first["deliveries"]] == [500]
        _wait(lambda: len(got) == 3 and zoom_emulator.webhook_deliveries()["pending"] == 0)
    assert all(valid for _, valid, _ in got)
    assert got[0][0] == got[1][0] == got[2][0]  # a retry repeats the body (same event_ts)
    assert got[1][2] - got[0][2] >= 0.3 and got[2][2] - got[1][2] >= 1.2
    log = zoom_emulator.webhook_deliveries()["log"]
    assert [(e["kind"], e["status"]) for e in log] == [("original", 500), ("retry", 503), ("retry", 200)]


def test_duplicates_forgeries_validation_and_account_changes_send_events(zoom_emulator: ZoomEmulator) -> None:
    got: list = []
    with BackgroundServer(receiver(SECRET, got)) as srv:
        zoom_emulator.subscribe_webhooks(f"{srv.base_url}/hook", SECRET, time_scale=0.001, duplicates=1)
        assert zoom_emulator.validate_webhook_url()["ok"]
        sent = zoom_emulator.send_webhook("meeting.deleted", {"id": "5"})
        assert [d["kind"] for d in sent["deliveries"]] == ["original", "duplicate"]
        for forge in ("bad_signature", "missing_signature", "stale_timestamp"):
            zoom_emulator.forged_webhook(forge)
        zoom_emulator.subscribe_webhooks(f"{srv.base_url}/hook", SECRET, time_scale=0.001)
        inst = zoom_emulator.add_meeting(participants=2)
        _wait(lambda: len([g for g in got if g["body"]["event"].startswith("recording.")]) == 2)
        zoom_emulator.delete_recording(inst["uuid"])
        _wait(lambda: any(g["body"]["event"] == "recording.trashed" for g in got))
        burst = zoom_emulator.webhook_burst(20)
    assert burst["statuses"] == {"204": 20}
    forged = [g for g in got if not g["valid"] or "x-zm-signature" not in g["headers"]]
    assert len(forged) == 2  # the stale one is signed correctly, only its timestamp is old
    events = [
        g["body"]["event"]
        for g in got
        if g["body"].get("payload", {}).get("object", {}).get("uuid") == inst["uuid"]
    ]
    assert events[:3] == ["meeting.ended", "recording.completed", "recording.transcript_completed"]
    completed = next(g["body"] for g in got if g["body"]["event"] == "recording.completed")
    assert completed["download_token"] and isinstance(completed["payload"]["object"]["id"], int)
    assert completed["payload"]["object"]["recording_files"]
    listed = {r["uuid"] for r in zoom_emulator.truth()["tables"]["recordings"]}
    assert inst["uuid"] not in listed  # trashed: REST lists it no more


def _event_schema(event: str) -> dict:
    spec = json.loads((Path(__file__).parent / "openapi" / "meetings.webhooks.json").read_text())
    return spec["webhooks"][event]["post"]["requestBody"]["content"]["application/json"]["schema"]


def _spec_lag(error: Any) -> bool:
    """Where the spec lags Zoom: transcript files are `audio_transcript` (as in REST and Zoom's samples), and
    CC / TIMELINE files come without `id` and `recording_type`, as in REST."""
    if error.validator == "enum" and error.instance == "audio_transcript":
        return True
    if error.validator == "required" and isinstance(error.instance, dict):
        lagging = [f"'{name}'" for name in ("id", "recording_type") if name not in error.instance]
        return error.instance.get("file_type") in ("CC", "TIMELINE") and any(
            n in error.message for n in lagging
        )
    return False


def test_event_bodies_validate_against_zooms_webhook_schemas(zoom_emulator: ZoomEmulator) -> None:
    """meeting.ended, recording.completed / transcript_completed / trashed / recovered, participant_joined
    and meeting.deleted as the emulator sends them match Zoom's published request schemas (tests/openapi/meetings.webhooks.json)."""
    got: list = []
    with BackgroundServer(receiver(SECRET, got)) as srv:
        zoom_emulator.subscribe_webhooks(f"{srv.base_url}/hook", SECRET)
        inst = zoom_emulator.add_meeting(participants=2)
        _wait(lambda: len(got) == 3)
        zoom_emulator.delete_recording(inst["uuid"])
        _wait(lambda: len(got) == 4)
        zoom_emulator.recover_recording(inst["uuid"])
        zoom_emulator.webhook_burst(1)
        _wait(lambda: len(got) == 6)
        meetings = zoom_emulator.truth()["tables"]["meetings"]
        meeting_id, other = meetings[0]["id"], meetings[1]["id"]
        zoom_emulator.delete_meeting(meeting_id)
        zoom_emulator.delete_meeting(other, occurrence=True)
        _wait(lambda: len(got) == 8)
    listed = {m["id"] for m in zoom_emulator.truth()["tables"]["meetings"]}
    assert meeting_id not in listed and other in listed  # one occurrence deleted: the meeting stays
    deleted = [g["body"]["payload"] for g in got if g["body"]["event"] == "meeting.deleted"]
    assert sorted(p["operation"] for p in deleted) == ["all", "single"]
    assert [p["object"]["occurrences"] for p in deleted if p["operation"] == "single"][0]
    for g in got:
        event = g["body"]["event"]
        errors = [
            e for e in Draft202012Validator(_event_schema(event)).iter_errors(g["body"]) if not _spec_lag(e)
        ]
        assert not errors, f"{event}: {sorted({(e.message, tuple(e.absolute_path)) for e in errors})}"
    assert {g["body"]["event"] for g in got} == {
        "meeting.ended",
        "recording.completed",
        "recording.transcript_completed",
        "recording.trashed",
        "meeting.participant_joined",
        "meeting.deleted",
        "recording.recovered",
    }
    recovered = next(g["body"] for g in got if g["body"]["event"] == "recording.recovered")
    assert recovered["download_token"] and recovered["payload"]["object"]["recording_files"]
    assert inst["uuid"] in {r["uuid"] for r in zoom_emulator.truth()["tables"]["recordings"]}  # listed again
