"""Admin routes for the webhook subscription (/_emulator/webhooks/...), Zoom's event payloads built from
the emulated account, and the account changes that send them (a recording completed, trashed, deleted).

Payload shapes follow Zoom's meetings.webhooks.json (../shared/zoom-openapi): `meeting.*` events carry
`object.id` as a string, `recording.completed` as an int64 with a top-level `download_token`.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from aiohttp import web

from .api_recordings import recording_json
from .model import iso
from .paths import lenient_decode
from .state_key import STATE
from .webhook_sender import WebhookSender

DOWNLOAD_TOKEN_TTL = 86400  # Zoom: the event's download_token is valid for 24 hours
# what some events' objects hold (their schemas allow nothing else); recording.completed holds everything
_COMMON = ("account_id", "duration", "host_id", "id", "recording_count", "recording_files", "share_url")
_COMMON += ("start_time", "timezone", "topic", "total_size", "type", "uuid")
OBJECT_FIELDS = {
    "recording.transcript_completed": frozenset(_COMMON + ("host_email", "password")),
    "recording.trashed": frozenset(_COMMON + ("participant_audio_files",)),
    "recording.deleted": frozenset(_COMMON + ("participant_audio_files",)),
    "recording.recovered": frozenset(_COMMON + ("participant_audio_files",)),
}


def sender(app_or_request: Any) -> WebhookSender:
    app = app_or_request.app if isinstance(app_or_request, web.Request) else app_or_request
    return app[STATE].webhooks


def _bad(message: str) -> web.Response:
    return web.json_response({"code": 300, "message": message}, status=400)


def meeting_object(inst: Any) -> dict:
    m = inst.parent
    return {
        "id": str(m.id),
        "uuid": inst.uuid,
        "host_id": m.host.id,
        "topic": m.topic,
        "type": m.type,
        "start_time": iso(inst.start),
        "end_time": iso(inst.end),
        "timezone": m.timezone,
        "duration": inst.duration,
    }


def recording_object(state: Any, inst: Any, event: str = "recording.completed", only: str = "") -> dict:
    obj = recording_json(inst, state.base_url, state.knobs.account_id, True)
    obj["type"] = int(obj.get("type", 2))  # an integer in the event, a string in REST lists
    obj["host_email"] = inst.parent.host.email
    obj["password"] = inst.parent.password  # the event carries the meeting passcode; REST lists don't
    obj.pop("download_access_token", None)
    rec = inst.recording
    models = rec.files + rec.audio_files
    # the event's files carry what REST leaves out for CC / TIMELINE files: size, status, extension, name
    for f, model in zip(
        obj.get("recording_files", []) + obj.get("participant_audio_files", []), models, strict=True
    ):
        f.setdefault("file_name", f.get("recording_type") or f.get("file_type"))
        f.setdefault("file_extension", model.extension)
        f.setdefault("file_size", len(model.content) if model.content is not None else model.media_size)
        f.setdefault("status", model.status)
    if only:
        obj["recording_files"] = [f for f in obj["recording_files"] if f.get("file_type") == only]
    return shaped(event, obj)


def shaped(event: str, obj: dict) -> dict:
    fields = OBJECT_FIELDS.get(event)
    return obj if fields is None else {k: v for k, v in obj.items() if k in fields}


def recording_events(state: Any, inst: Any) -> list:
    """meeting.ended, then recording.completed and recording.transcript_completed when they apply."""
    account = state.knobs.account_id
    bodies = [WebhookSender.body("meeting.ended", meeting_object(inst), account)]
    rec = inst.recording
    if rec is None or any(f.status != "completed" for f in rec.files):
        return bodies
    token = {"download_token": state.tokens.make_download_token(DOWNLOAD_TOKEN_TTL)}
    bodies.append(WebhookSender.body("recording.completed", recording_object(state, inst), account, token))
    if rec.file("TRANSCRIPT") is not None:
        obj = recording_object(state, inst, "recording.transcript_completed", only="TRANSCRIPT")
        bodies.append(WebhookSender.body("recording.transcript_completed", obj, account, dict(token)))
    return bodies


def participant_joined(state: Any, inst: Any, n: int) -> dict:
    """A distinct `meeting.participant_joined` (participant number `n`) for a burst."""
    obj = meeting_object(inst)
    obj.pop("end_time")
    pid = hashlib.sha256(f"{inst.uuid}:{n}".encode()).hexdigest()[:22]
    obj["participant"] = {
        "user_id": str(16778240 + n),
        "user_name": f"Guest {n}",
        "id": "",
        "participant_uuid": pid,
        "email": "",
        "join_time": iso(inst.start),
    }
    return WebhookSender.body("meeting.participant_joined", obj, state.knobs.account_id)


async def subscription(request: web.Request) -> web.Response:
    """Body: url, secret, time_scale (retry delays × this; default 1), duplicates (extra copies), events."""
    body = await request.json()
    try:
        sender(request).subscribe(
            body.get("url", ""),
            body.get("secret", ""),
            body.get("time_scale", 1.0),
            body.get("duplicates", 0),
            body.get("events"),
        )
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return web.json_response({"ok": True})


async def validate(request: web.Request) -> web.Response:
    body = await request.json() if request.can_read_body else {}
    try:
        return web.json_response(await sender(request).validate(body.get("plain_token")))
    except ValueError as exc:
        return _bad(str(exc))


async def send(request: web.Request) -> web.Response:
    """Body: event, object, extra (top-level fields), event_ts (ms; default now). Answers after the first
    attempt(s): {"deliveries": [log entries]}."""
    body = await request.json()
    state = request.app[STATE]
    try:
        event = WebhookSender.body(
            body["event"],
            body.get("object", {}),
            state.knobs.account_id,
            body.get("extra"),
            body.get("event_ts"),
        )
        entries = await sender(request).emit(event)
    except (KeyError, ValueError) as exc:
        return _bad(f"bad send: {exc}")
    return web.json_response({"deliveries": entries, "body": event})


async def forged(request: web.Request) -> web.Response:
    """Body: forge (bad_signature | missing_signature | stale_timestamp), event, object."""
    body = await request.json()
    state = request.app[STATE]
    event = WebhookSender.body(
        body.get("event", "meeting.ended"), body.get("object", {}), state.knobs.account_id
    )
    try:
        return web.json_response(await sender(request).forged(body.get("forge", ""), event))
    except ValueError as exc:
        return _bad(str(exc))


async def burst(request: web.Request) -> web.Response:
    """Body: count. Sends `count` distinct meeting.participant_joined events at once; answers with their
    statuses and each first attempt's seconds (for bench/bench_webhooks.py)."""
    body = await request.json()
    state = request.app[STATE]
    count = int(body.get("count", 100))
    insts = [i for i in state.data.instances.values() if not i.parent.kind == "webinar"]
    if not insts or count < 1:
        return _bad("burst needs count >= 1 and a meeting instance")
    bodies = [participant_joined(state, insts[n % len(insts)], n) for n in range(count)]
    started = time.monotonic()
    try:
        entries = await sender(request).burst(bodies)
    except ValueError as exc:
        return _bad(str(exc))
    statuses: dict = {}
    for e in entries:
        statuses[str(e["status"])] = statuses.get(str(e["status"]), 0) + 1
    return web.json_response(
        {"statuses": statuses, "seconds": [e["seconds"] for e in entries], "wall": time.monotonic() - started}
    )


async def deliveries(request: web.Request) -> web.Response:
    s = sender(request)
    return web.json_response({"log": s.log, "pending": s.pending()})


def recording_uuid(request: web.Request, action: str) -> str:
    """The instance UUID of `/_emulator/recordings/{uuid}/{action}`, read from the raw path: a UUID may hold
    `/` and arrive encoded once or twice."""
    raw = request.raw_path.split("?", 1)[0]
    return lenient_decode(raw[len("/_emulator/recordings/") : -len(f"/{action}")])


async def delete_recording(request: web.Request) -> web.Response:
    """Body: {"trash": true} (recording.trashed, the default) or false (recording.deleted, for good).
    The recording leaves the account (REST no longer lists it); the event is sent."""
    state = request.app[STATE]
    uuid = recording_uuid(request, "delete")
    inst = state.data.instances.get(uuid)
    if inst is None or inst.recording is None:
        return web.json_response({"code": 3301, "message": f"No recording {uuid}"}, status=404)
    body = await request.json() if request.can_read_body else {}
    event = "recording.trashed" if body.get("trash", True) else "recording.deleted"
    obj = recording_object(state, inst, event)
    for f in inst.recording.files + inst.recording.audio_files:
        state.data.files.pop(f.token, None)
    inst.trashed = inst.recording if event == "recording.trashed" else None
    inst.recording = None
    body = WebhookSender.body(event, obj, state.knobs.account_id)
    owner = state.data.owner  # who deleted it: Zoom names the operator
    body["payload"].update(operator=owner.email, operator_id=owner.id)
    sender(request).emit_soon(body)
    return web.json_response({"event": event, "uuid": uuid})


async def recover_recording(request: web.Request) -> web.Response:
    """A trashed recording is recovered: listed and downloadable again; recording.recovered is sent, with
    a `download_token` like recording.completed."""
    state = request.app[STATE]
    uuid = recording_uuid(request, "recover")
    inst = state.data.instances.get(uuid)
    if inst is None or inst.trashed is None:
        return web.json_response({"code": 3301, "message": f"No trashed recording {uuid}"}, status=404)
    inst.recording, inst.trashed = inst.trashed, None
    for f in inst.recording.files + inst.recording.audio_files:
        state.data.files[f.token] = (inst, f)
    obj = recording_object(state, inst, "recording.recovered")
    token = {"download_token": state.tokens.make_download_token(DOWNLOAD_TOKEN_TTL)}
    body = WebhookSender.body("recording.recovered", obj, state.knobs.account_id, token)
    owner = state.data.owner
    body["payload"].update(operator=owner.email, operator_id=owner.id)
    sender(request).emit_soon(body)
    return web.json_response({"event": "recording.recovered", "uuid": uuid})


async def delete_meeting(request: web.Request) -> web.Response:
    """The meeting (all occurrences) is deleted: no longer listed, its detail, registrants and polls answer
    404/3001, its past instances stay readable by UUID; meeting.deleted is sent (object.id an int64,
    `operation: "all"`). Body {"occurrence": true}: only the meeting's next occurrence is deleted, as Zoom
    does for one occurrence of a recurring meeting: the meeting stays, the event says `operation: "single"`
    and names the occurrence in `object.occurrences`."""
    state = request.app[STATE]
    ref = request.match_info["id"]
    m = state.data.meeting(int(ref), False) if ref.isdigit() else None
    if m is None or m.deleted:
        return web.json_response(
            {"code": 3001, "message": f"Meeting {ref} is not found or has expired."}, status=404
        )
    single = bool((await request.json() if request.can_read_body else {}).get("occurrence"))
    m.deleted = not single
    obj = {
        "uuid": m.uuid,
        "id": m.id,
        "host_id": m.host.id,
        "topic": m.topic,
        "type": m.type,
        "start_time": iso(m.start),
        "duration": m.duration,
        "timezone": m.timezone,
    }
    if single:
        nxt = max(state.data.now, m.start)
        obj["occurrences"] = [{"occurrence_id": str(int(nxt.timestamp() * 1000)), "start_time": iso(nxt)}]
    body = WebhookSender.body("meeting.deleted", obj, state.knobs.account_id)
    owner = state.data.owner
    body["payload"].update(
        operator=owner.email, operator_id=owner.id, operation="single" if single else "all"
    )
    sender(request).emit_soon(body)
    return web.json_response({"event": "meeting.deleted", "id": m.id})


async def _close(app: web.Application) -> None:
    await sender(app).close()


def add_webhook_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/webhooks/subscription", subscription)
    app.router.add_post("/_emulator/webhooks/validate", validate)
    app.router.add_post("/_emulator/webhooks/send", send)
    app.router.add_post("/_emulator/webhooks/forged", forged)
    app.router.add_post("/_emulator/webhooks/burst", burst)
    app.router.add_get("/_emulator/webhooks/deliveries", deliveries)
    app.router.add_post("/_emulator/recordings/{tail:.*}/delete", delete_recording)
    app.router.add_post("/_emulator/recordings/{tail:.*}/recover", recover_recording)
    app.router.add_post("/_emulator/meetings/{id}/delete", delete_meeting)
    app.on_cleanup.append(_close)
