"""Cloud recordings: the per-user list (month windows, clamped), one meeting's recordings (with an
optional `download_access_token`) and the transcript endpoint."""

from __future__ import annotations

from aiohttp import web

from .api_common import base_url, dataset, need_instance, need_user
from .config import LIGHT, MEDIUM
from .errors import ZoomHTTPError
from .model import Instance, iso
from .paging import paginate
from .paths import Route
from .state_key import STATE
from .windows import day_bounds, recording_window


def recording_json(
    inst: Instance,
    base: str,
    account_id: str,
    with_audio_files: bool = False,
    download_token: str | None = None,
) -> dict:
    """Args: download_token: put into every download_url as `?access_token=` (knob `download_url_tokens`)."""
    rec = inst.recording
    assert rec is not None
    m = inst.parent
    files = [f.to_json(base, inst.uuid, download_token) for f in rec.files]
    d: dict = {
        "uuid": inst.uuid,
        "id": m.id,
        "account_id": account_id,
        "host_id": m.host.id,
        "topic": m.topic,
        "type": str(m.type),  # a string here, unlike most endpoints
        "start_time": iso(inst.start),
        "timezone": m.timezone,
        "duration": inst.duration,
        "total_size": sum(f.size for f in rec.files + rec.audio_files),
        "recording_count": len(rec.files),
        "share_url": f"{base}/rec/share/{rec.share_token}",
        "recording_files": files,
    }
    if rec.auto_delete is not None:  # optional field, missing on some recordings
        d["auto_delete"] = rec.auto_delete
        d["auto_delete_date"] = (inst.start.date().replace(day=1)).isoformat()
    d["recording_play_passcode"] = rec.password
    if with_audio_files and rec.audio_files:
        d["participant_audio_files"] = [f.to_json(base, inst.uuid, download_token) for f in rec.audio_files]
    return {**d, **inst.recording_bad_values}


def _url_token(state) -> str | None:
    return state.tokens.make_download_token(86400) if state.knobs.download_url_tokens else None


async def list_user_recordings(request: web.Request, p: dict) -> dict:
    state = request.app[STATE]
    ds = dataset(request)
    user = need_user(request, p["userId"])
    frm, to = recording_window(request.query, ds.now.date())
    items: list = []
    if request.query.get("trash", "false").lower() != "true":
        lo, hi = day_bounds(frm, to)
        only = request.query.get("meeting_id")
        insts = [
            i
            for i in ds.instances.values()
            if i.recording
            and i.parent.host is user
            and lo <= i.start < hi
            and (not only or str(i.parent.id) == only)
        ]
        insts.sort(key=lambda i: i.start, reverse=True)
        token = _url_token(state)
        items = [
            recording_json(i, state.base_url, state.knobs.account_id, download_token=token) for i in insts
        ]
    page = paginate(request, items, "meetings", 300)
    return {"from": frm.isoformat(), "to": to.isoformat(), **page}


async def get_meeting_recordings(request: web.Request, p: dict) -> dict:
    state = request.app[STATE]
    inst = need_instance(request, p["meetingId"], year_limit=False)
    if inst.recording is None:
        raise ZoomHTTPError(404, 3301, "There is no recording for this meeting.")
    d = recording_json(inst, state.base_url, state.knobs.account_id, True, _url_token(state))
    d["password"] = inst.recording.password
    if "download_access_token" in request.query.get("include_fields", ""):
        try:
            ttl = int(request.query.get("ttl", "86400"))
        except ValueError:
            ttl = -1
        if not 0 <= ttl <= 604800:
            raise ZoomHTTPError(400, 300, "Invalid field: ttl.")
        d["download_access_token"] = state.tokens.make_download_token(ttl)
    return d


async def get_transcript(request: web.Request, p: dict) -> dict:
    state = request.app[STATE]
    inst = need_instance(request, p["meetingId"], year_limit=False)
    rec = inst.recording
    if rec is None or (not rec.has_transcript and not rec.processing):
        raise ZoomHTTPError(404, 3322, "This meeting transcript does not exist.")
    f = rec.file("TRANSCRIPT")
    d = {
        "meeting_id": inst.uuid,
        "account_id": state.knobs.account_id,
        "meeting_topic": inst.parent.topic,
        "host_id": inst.parent.host.id,
        "transcript_created_time": iso(inst.end),
        "auto_delete": bool(rec.auto_delete),
    }
    if f is not None and f.status == "completed":
        d.update({"can_download": True, "download_url": f"{base_url(request)}/rec/download/{f.token}"})
    else:
        d.update({"can_download": False, "download_url": None, "download_restriction_reason": "NOT_READY"})
    return d


ROUTES = [
    Route("/users/{userId}/recordings", MEDIUM, list_user_recordings),
    Route("/meetings/{meetingId}/recordings", LIGHT, get_meeting_recordings),
    Route("/meetings/{meetingId}/transcript", MEDIUM, get_transcript),
]
