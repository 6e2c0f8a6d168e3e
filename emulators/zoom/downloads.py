"""Recording file downloads: `Authorization: Bearer` (API token or download_access_token) required, or a
download_access_token as `?access_token=` (the form Zoom documents for download tokens; API tokens in the
query string are refused); media answers 302 to a "file host" route first; bad auth gets Zoom's HTTP 200
HTML page."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from .files import html_denied_page
from .state_key import STATE

CONTENT_TYPES = {
    "MP4": "video/mp4",
    "M4A": "audio/mp4",
    "VTT": "text/vtt; charset=utf-8",
    "TXT": "text/plain; charset=utf-8",
    "JSON": "application/json; charset=utf-8",
    "CSV": "text/csv; charset=utf-8",
}


def _denied() -> web.Response:
    return web.Response(status=200, text=html_denied_page(), content_type="text/html", charset="utf-8")


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _serve(f) -> web.Response:
    if f.fault == "html_page":  # `file_faults`: Zoom's sign-in page (HTTP 200) instead of the file
        return _denied()
    name = f"{f.file_type.lower()}_{f.token[:8]}.{f.extension.lower()}"
    return web.Response(
        body=f.body(),
        headers={
            "Content-Type": CONTENT_TYPES.get(f.extension, "application/octet-stream"),
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


async def _faults(request: web.Request):
    state = request.app[STATE]
    if not state.knobs.faults_on_downloads:
        return None
    await state.faults.delay()
    state.faults.maybe_drop(request)
    return state.faults.maybe_5xx()


async def download(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    state.stats.requests["GET /rec/download/{fileId}"] += 1
    fault = await _faults(request)
    if fault is not None:
        return fault
    entry = state.data.files.get(request.match_info["token"])
    token = _bearer(request)
    query_token = request.query.get("access_token", "")
    # `downloads_need_download_token`: the app's own token lacks the recording-file scope
    api_token_ok = state.tokens.valid(token) and not state.knobs.downloads_need_download_token
    if not (
        api_token_ok
        or state.tokens.valid_download_token(token)
        or (query_token and state.tokens.valid_download_token(query_token))
    ):
        return _denied()
    if entry is None:
        return web.json_response(
            {"code": 3301, "message": "There is no recording for this meeting."}, status=404
        )
    _, f = entry
    if f.status != "completed":
        return web.json_response({"code": 3301, "message": "This recording is still processing."}, status=404)
    if state.knobs.redirect_downloads:  # Zoom hands every file out through a short-lived signed URL
        raise web.HTTPFound(f"{state.base_url}/rec/file-host/{f.token}?{signed_query(state, f.token)}")
    return _serve(f)


def signed_query(state: Any, key: str, seconds: int = 300) -> str:
    """`exp=…&sig=…`: a link to `key` that works for `seconds` without Authorization, as Zoom's CDN links do."""
    exp = int(time.time()) + seconds
    return f"exp={exp}&sig={state.tokens.sign(f'{key}:{exp}')}"


def signed_ok(state: Any, key: str, request: web.Request) -> bool:
    """The request's `exp`/`sig` were made by `signed_query` for `key`, and have not expired."""
    try:
        exp = int(request.query.get("exp", "0"))
    except ValueError:
        return False
    return exp >= time.time() and request.query.get("sig") == state.tokens.sign(f"{key}:{exp}")


async def file_host(request: web.Request) -> web.StreamResponse:
    """The second hop of a redirected download: a short-lived signed URL, no Authorization needed."""
    state = request.app[STATE]
    state.stats.requests["GET /rec/file-host/{fileId}"] += 1
    token = request.match_info["token"]
    entry = state.data.files.get(token)
    if entry is None or not signed_ok(state, token, request):
        return _denied()
    return _serve(entry[1])


async def play_page(request: web.Request) -> web.Response:
    """play_url / share_url: a web page, not a file."""
    return web.Response(
        text="<html><body>Zoom recording player (emulated)</body></html>", content_type="text/html"
    )
