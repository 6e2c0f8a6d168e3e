"""Admin routes under /_emulator/: truth, stats, config, reset, adding and editing meetings, completing
recordings. Never subject to faults or rate limits."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from .admin_webhooks import recording_events, recording_uuid, sender
from .api_recordings import recording_json
from .model import iso
from .phone_data import READY
from .state_key import STATE
from .truth import build_truth
from .webhook_sender import WebhookSender
from .windows import parse_day


def _bad(message: str) -> web.Response:
    return web.json_response({"code": 300, "message": message}, status=400)


async def truth(request: web.Request) -> web.Response:
    state = request.app[STATE]
    frm = parse_day(request.query.get("from"), "from")
    to = parse_day(request.query.get("to"), "to")
    return web.json_response(build_truth(state.data, frm, to))


async def stats(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].stats.as_json())


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[STATE].knobs.as_json())


async def post_config(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        state.configure(**(await request.json()))
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    return web.json_response(state.knobs.as_json())


async def reset(request: web.Request) -> web.Response:
    request.app[STATE].reset()
    return web.json_response({"ok": True})


def _instance_json(state, inst) -> dict:
    m = inst.parent
    return {
        "id": m.id,
        "uuid": inst.uuid,
        "topic": m.topic,
        "host_id": m.host.id,
        "start_time": iso(inst.start),
        "end_time": iso(inst.end),
        "participants": inst.persons,
        "recording": recording_json(inst, state.base_url, state.knobs.account_id, True)
        if inst.recording
        else None,
    }


async def add_meeting(request: web.Request) -> web.Response:
    """Body (all optional): user, topic, start_time (ISO), duration, participants, transcript, audio,
    processing, recorded, meeting_id (add an instance to an existing meeting), late_joiners."""
    state = request.app[STATE]
    body = await request.json() if request.can_read_body else {}
    if body.get("start_time"):
        body["start_time"] = datetime.fromisoformat(str(body["start_time"]).replace("Z", "+00:00"))
    try:
        inst = state.data.add_meeting(**body)
    except (ValueError, TypeError) as exc:
        return _bad(str(exc))
    _send_events(request, inst)
    return web.json_response(_instance_json(state, inst))


async def update_meeting(request: web.Request) -> web.Response:
    """Edits a meeting as its host would in Zoom. Body (all optional): topic, agenda, duration."""
    state = request.app[STATE]
    ref = request.match_info["meeting_id"]
    m = state.data.meeting(int(ref)) if ref.isdigit() else None
    if m is None:
        return web.json_response({"code": 3001, "message": f"Meeting does not exist: {ref}."}, status=404)
    body = await request.json() if request.can_read_body else {}
    unknown = sorted(set(body) - {"topic", "agenda", "duration"})
    if unknown:
        return _bad(f"cannot change {', '.join(unknown)}; use topic, agenda or duration")
    for name, value in body.items():
        setattr(m, name, value)
    return web.json_response({"id": m.id, "topic": m.topic, "agenda": m.agenda, "duration": m.duration})


async def complete_recording(request: web.Request) -> web.Response:
    """Marks a processing recording completed (and adds its transcript unless {"transcript": false})."""
    state = request.app[STATE]
    uuid = recording_uuid(request, "complete")
    inst = state.data.instances.get(uuid)
    if inst is None or inst.recording is None:
        return web.json_response({"code": 3301, "message": f"No recording {uuid}"}, status=404)
    body = await request.json() if request.can_read_body else {}
    state.data.complete_recording(inst, transcript=bool(body.get("transcript", True)))
    _send_events(request, inst, ended=False)
    return web.json_response(_instance_json(state, inst))


def _send_events(request: web.Request, inst, ended: bool = True) -> None:
    """What Zoom sends a subscribed app when a meeting ends and its recording completes."""
    for body in recording_events(request.app[STATE], inst):
        if ended or body["event"] != "meeting.ended":
            sender(request).emit_soon(body)


async def finish_phone_transcript(request: web.Request) -> web.Response:
    """A phone recording's transcript, still being made (12002), is done: its JSON is served from now on."""
    state = request.app[STATE]
    rec = state.data.phone.recording(request.match_info["recordingId"])
    if rec is None:
        return web.json_response({"code": 404, "message": "File does not exist."}, status=404)
    rec.transcript = READY
    # what Zoom sends a subscribed app (the phone webhooks of the 2026 API)
    obj = {"recordings": [rec.json(state.base_url)]}
    sender(request).emit_soon(
        WebhookSender.body("phone.recording_transcript_completed", obj, state.knobs.account_id)
    )
    return web.json_response({"id": rec.id, "transcript": rec.transcript})


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/_emulator/truth", truth)
    app.router.add_get("/_emulator/stats", stats)
    app.router.add_get("/_emulator/config", get_config)
    app.router.add_post("/_emulator/config", post_config)
    app.router.add_post("/_emulator/reset", reset)
    app.router.add_post("/_emulator/meetings", add_meeting)
    app.router.add_post("/_emulator/meetings/{meeting_id}", update_meeting)
    app.router.add_post("/_emulator/recordings/{tail:.*}/complete", complete_recording)
    app.router.add_post("/_emulator/phone/recordings/{recordingId}/transcribe", finish_phone_transcript)
