"""Zoom Phone, the 2026 call-history API (ZOOM_API §3.10, §10.2): phone users, account and per-user call
history, call-history details with `call_elements[]`, recordings, recording downloads (Bearer) and the
transcript JSON behind a 302. The deprecated `/phone/call_logs*` routes are not served.

Dates: `from`/`to` (yyyy-mm-dd, or yyyy-MM-ddTHH:mm:ssZ) one month at most, starting within the last six
months (400/300 otherwise); `to` is required with `from`; no dates = the last 24 hours (call history) or
the last 30 days (recordings). Phone routes are paced in Phone's own buckets (app.py, ratelimit.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from .api_common import base_url, dataset
from .config import HEAVY, LIGHT, MEDIUM
from .downloads import signed_ok, signed_query
from .errors import ZoomHTTPError
from .files import media_bytes
from .paging import paginate
from .paths import Route
from .phone_data import DISABLED, PENDING, UNTRANSCRIBABLE, Phone, PhoneRecording
from .state_key import STATE
from .windows import add_months

TRANSCRIPT_ERRORS = {
    PENDING: (
        12002,
        "This recording is still in the process of being transcribed. Reopen this recording in "
        "a few minutes.",
    ),
    UNTRANSCRIBABLE: (12000, "Unable to transcribe this recording."),
    DISABLED: (12001, "Admin has disabled this transcription."),
}


def _phone(request: web.Request) -> Phone:
    return dataset(request).phone


def _when(value: str, name: str) -> tuple[datetime, bool]:
    """A `from`/`to` value and whether it was a bare date."""
    try:
        if len(value) == 10:
            d = date.fromisoformat(value)
            return datetime(d.year, d.month, d.day, tzinfo=UTC), True
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC), False
    except ValueError:
        raise ZoomHTTPError(400, 300, f"Invalid field: {name}.") from None


def phone_window(query, now: datetime, default: timedelta) -> tuple[datetime, datetime]:
    """[start, end) of a request's dates, with Phone's rules (see the module docstring)."""
    frm, to = query.get("from", ""), query.get("to", "")
    if not frm and not to:
        return now - default, now
    if not frm or not to:
        raise ZoomHTTPError(400, 300, "The to parameter is required when from is provided.")
    start, _ = _when(frm, "from")
    end, bare = _when(to, "to")
    if bare:  # a bare `to` date is inclusive
        end += timedelta(days=1)
    if start >= end:
        raise ZoomHTTPError(400, 300, "The from date can not be later than the to date.")
    last_day = (end - timedelta(microseconds=1)).date()
    if start.date() < add_months(last_day, -1):
        raise ZoomHTTPError(400, 300, "The date range can not exceed one month.")
    if start.date() < add_months(now.date(), -6):
        raise ZoomHTTPError(400, 300, "Only data within the last 6 months can be queried.")
    return start, end


def _envelope_dates(body: dict, start: datetime, end: datetime) -> dict:
    return {
        "from": start.date().isoformat(),
        "to": (end - timedelta(microseconds=1)).date().isoformat(),
        **body,
    }


def _phone_user(request: web.Request, ref: str):
    pu = _phone(request).user(ref)
    if pu is None or pu.user.status != "active":
        raise ZoomHTTPError(404, 1001, f"User does not exist: {ref}.")
    return pu


async def list_phone_users(request: web.Request, p: dict) -> dict:
    users = [u.list_json() for u in _phone(request).users if u.user.status == "active"]
    return paginate(request, users, "users", 100, counts=False)


def _calls(request: web.Request, owner=None) -> dict:
    start, end = phone_window(request.query, dataset(request).now, timedelta(hours=24))
    calls = sorted(
        (c for c in _phone(request).calls if start <= c.start < end and (owner is None or c.owner is owner)),
        key=lambda c: c.start,
        reverse=True,
    )
    body = paginate(request, [c.list_json() for c in calls], "call_history", 300)
    return _envelope_dates(body, start, end)


async def list_call_history(request: web.Request, p: dict) -> dict:
    return _calls(request)


async def user_call_history(request: web.Request, p: dict) -> dict:
    return _calls(request, _phone_user(request, p["userId"]))


async def get_call_history(request: web.Request, p: dict) -> dict:
    call = _phone(request).call(p["callHistoryUuid"])
    if call is None:
        raise ZoomHTTPError(404, 404, f"Call log does not exist: {p['callHistoryUuid']}.")
    return call.detail_json()


def _recordings(request: web.Request, owner=None) -> dict:
    start, end = phone_window(request.query, dataset(request).now, timedelta(days=30))
    recs = sorted(
        (
            r
            for r in _phone(request).recordings
            if start <= (r.call.answer or r.call.start) < end and (owner is None or r.call.owner is owner)
        ),
        key=lambda r: r.call.start,
        reverse=True,
    )
    body = paginate(request, [r.json(base_url(request)) for r in recs], "recordings", 300)
    return _envelope_dates(body, start, end)


async def list_recordings(request: web.Request, p: dict) -> dict:
    return _recordings(request)


async def user_recordings(request: web.Request, p: dict) -> dict:
    return _recordings(request, _phone_user(request, p["userId"]))


def _recording(request: web.Request, ref: str) -> PhoneRecording:
    rec = _phone(request).recording(ref)
    if rec is None:
        raise ZoomHTTPError(400, 404, "File does not exist.")
    return rec


async def download_recording(request: web.Request, p: dict) -> web.StreamResponse:
    """The audio file (MP3), with the API token in `Authorization: Bearer` (checked before routing)."""
    rec = _recording(request, p["fileId"])
    return web.Response(
        body=media_bytes(rec.file_id, rec.media_size, audio=True),
        headers={
            "Content-Type": "audio/mpeg",
            "Content-Disposition": f'attachment; filename="{rec.id}.mp3"',
        },
    )


async def download_transcript(request: web.Request, p: dict) -> dict:
    """302 to the transcript JSON on a short-lived signed URL; 400/12000-12002 when there is none."""
    rec = _recording(request, p["recordingId"])
    if rec.transcript in TRANSCRIPT_ERRORS:
        code, message = TRANSCRIPT_ERRORS[rec.transcript]
        raise ZoomHTTPError(400, code, message)
    state = request.app[STATE]
    query = signed_query(state, f"phone-transcript:{rec.id}")
    raise web.HTTPFound(f"{state.base_url}/rec/phone-transcript/{rec.id}?{query}")


async def transcript_file(request: web.Request) -> web.Response:
    """The second hop of a transcript download: signed, no Authorization needed."""
    state = request.app[STATE]
    state.stats.requests["GET /rec/phone-transcript/{recordingId}"] += 1
    rec_id = request.match_info["token"]
    rec = state.data.phone.recording(rec_id)
    if rec is None or not signed_ok(state, f"phone-transcript:{rec_id}", request):
        return web.json_response({"code": 124, "message": "Invalid or expired link."}, status=401)
    return web.json_response(rec.transcript_json(state.knobs.account_id))


ROUTES = [
    Route("/phone/users", MEDIUM, list_phone_users),
    Route("/phone/call_history", HEAVY, list_call_history),
    Route("/phone/call_history/{callHistoryUuid}", LIGHT, get_call_history),
    Route("/phone/users/{userId}/call_history", MEDIUM, user_call_history),
    Route("/phone/recordings", MEDIUM, list_recordings),
    Route("/phone/users/{userId}/recordings", MEDIUM, user_recordings),
    Route("/phone/recording/download/{fileId}", MEDIUM, download_recording),
    Route("/phone/recording_transcript/download/{recordingId}", LIGHT, download_transcript),
]
