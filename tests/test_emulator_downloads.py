"""Recording file downloads and formats: Bearer auth (API token or download_access_token), Zoom's HTML
page without it, redirects to the file host, VTT/chat/CC/timeline/media content."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import requests

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi, encode_uuid, zoom_api, zoom_emulator

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["zoom_api", "zoom_emulator"]


def files_by_type(api: ZoomApi, emu: ZoomEmulator, variant_check) -> tuple[str, dict]:
    for inst in emu.state.data.instances.values():
        if inst.recording and variant_check(inst.recording):
            rec = api.json(f"/meetings/{encode_uuid(inst.uuid)}/recordings")
            return inst.uuid, {f["file_type"]: f for f in rec["recording_files"]} | {"_rec": rec}
    raise AssertionError("no such recording")


def full(rec) -> bool:
    return rec.file("TIMELINE") is not None and rec.audio_files != []


def test_download_without_or_with_bad_auth_is_a_200_html_page(
    zoom_emulator: ZoomEmulator, zoom_api: ZoomApi
) -> None:
    _, files = files_by_type(zoom_api, zoom_emulator, full)
    url = files["TRANSCRIPT"]["download_url"]
    good = zoom_emulator.access_token()
    for kwargs in ({}, {"headers": {"Authorization": "Bearer wrong"}}, {"params": {"access_token": good}}):
        resp = requests.get(url, timeout=10, **kwargs)
        assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/html"), kwargs
        assert "<html" in resp.text


def test_transcript_vtt_layout(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    uuid, files = files_by_type(zoom_api, zoom_emulator, full)
    resp = zoom_api.session.get(files["TRANSCRIPT"]["download_url"])
    assert [r.status_code for r in resp.history] == [302]  # text files come from the signed file host too
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/vtt")
    assert len(resp.content) == files["TRANSCRIPT"]["file_size"]
    text = resp.content.decode("utf-8")
    assert text.startswith("WEBVTT\n\n1\n")
    blocks = text.strip().split("\n\n")[1:]
    for n, block in enumerate(blocks, 1):
        lines = block.split("\n")
        assert lines[0] == str(n)
        assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}", lines[1])
    assert zoom_emulator.truth()["transcripts"][uuid].split("\n")[0] in blocks[0]


def test_media_redirects_to_file_host_and_size_matches(
    zoom_emulator: ZoomEmulator, zoom_api: ZoomApi
) -> None:
    _, files = files_by_type(zoom_api, zoom_emulator, full)
    for ftype in ("MP4", "M4A"):
        f = files[ftype]
        first = zoom_api.session.get(f["download_url"], allow_redirects=False)
        assert first.status_code == 302 and "/rec/file-host/" in first.headers["Location"]
        body = requests.get(first.headers["Location"], timeout=10)  # signed URL: no Authorization needed
        assert (
            body.status_code == 200 and len(body.content) == f["file_size"] and body.content[4:8] == b"ftyp"
        )
        assert zoom_api.session.get(f["download_url"]).content == body.content  # deterministic
        tampered = requests.get(first.headers["Location"].replace("sig=", "sig=x"), timeout=10)
        assert tampered.headers["Content-Type"].startswith("text/html")
    audio = files["_rec"]["participant_audio_files"]
    assert audio and len(zoom_api.session.get(audio[0]["download_url"]).content) == audio[0]["file_size"]


def test_download_access_token_and_its_ttl(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    uuid, files = files_by_type(zoom_api, zoom_emulator, full)
    path = f"/meetings/{encode_uuid(uuid)}/recordings"
    dat = zoom_api.json(path, include_fields="download_access_token", ttl=60)["download_access_token"]
    assert dat.count(".") == 2  # JWT-like
    url = files["CHAT"]["download_url"]
    ok = requests.get(url, headers={"Authorization": f"Bearer {dat}"}, timeout=10)
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/plain")
    expired = zoom_api.json(path, include_fields="download_access_token", ttl=0)["download_access_token"]
    assert (
        requests.get(url, headers={"Authorization": f"Bearer {expired}"})
        .headers["Content-Type"]
        .startswith("text/html")
    )
    assert zoom_api.get(path, include_fields="download_access_token", ttl=700000).status_code == 400
    assert "download_access_token" not in zoom_api.json(path)


def test_cc_and_timeline_files_lack_id_status_size(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    _, files = files_by_type(zoom_api, zoom_emulator, full)
    for ftype in ("CC", "TIMELINE"):
        assert not {"id", "status", "file_size", "recording_type", "play_url"} & set(files[ftype])
    cc = zoom_api.session.get(files["CC"]["download_url"]).text
    assert cc.startswith("WEBVTT") and not re.search(r"^[^\n]+: ", cc.split("\n\n", 2)[2], re.M)
    timeline = json.loads(zoom_api.session.get(files["TIMELINE"]["download_url"]).content)
    assert timeline["timeline"][0]["users"][0]["username"]
    assert files["MP4"]["id"] and files["MP4"]["status"] == "completed"


def test_chat_files_come_in_both_layouts(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    _, old = files_by_type(
        zoom_api, zoom_emulator, lambda r: r.file("CHAT") is not None and not r.chat_new_layout
    )
    _, new = files_by_type(
        zoom_api,
        zoom_emulator,
        lambda r: r.file("CHAT") is not None and r.chat_new_layout and len(r.chat) >= 6,
    )
    old_text = zoom_api.session.get(old["CHAT"]["download_url"]).content.decode()
    assert all(re.fullmatch(r"\d\d:\d\d:\d\d\t[^\t]+:\t.+", line) for line in old_text.strip().split("\n"))
    texts = []
    for inst in zoom_emulator.state.data.instances.values():
        f = inst.recording and inst.recording.file("CHAT")
        if f and inst.recording.chat_new_layout:
            texts.append(f.body().decode())
    joined = "\n".join(texts)
    assert re.search(r"^\d\d:\d\d:\d\d From .+ To Everyone:$", joined, re.M)
    assert '\tReplying to "' in joined and '\tReacted to "' in joined and "(privately):" in joined


def test_recording_variants_and_string_type(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    today = zoom_emulator.state.data.now.date()
    windows = [(today - timedelta(days=30 * (n + 1)), today - timedelta(days=30 * n - 1)) for n in range(4)]
    recs = [
        r
        for u in zoom_emulator.state.data.active_users
        for frm, to in windows
        for r in zoom_api.walk(f"/users/{u.id}/recordings", "meetings", **{"from": str(frm), "to": str(to)})
    ]
    assert recs and all(isinstance(r["type"], str) for r in recs)
    kinds = [{f["file_type"] for f in r["recording_files"]} for r in recs]
    assert any("TRANSCRIPT" not in k for k in kinds) and any(not k & {"MP4", "M4A"} for k in kinds)
    _, files = files_by_type(zoom_api, zoom_emulator, lambda r: r.processing)
    assert files["MP4"]["status"] == "processing" and files["MP4"]["recording_end"] == ""
    assert zoom_api.session.get(files["MP4"]["download_url"]).status_code == 404
