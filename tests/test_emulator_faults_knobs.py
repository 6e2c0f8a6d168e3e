"""The emulator's `file_faults` and `vanish_meetings` knobs, seen through the API only."""

from __future__ import annotations

import pytest
import requests

from emulators.zoom import ZoomEmulator
from emulators.zoom.config import FILE_FAULT_KINDS
from emulators.zoom.fixtures import ZoomApi, encode_uuid, make_zoom_emulator

__all__ = ["make_zoom_emulator"]


def _file(api: ZoomApi, uuid: str, file_type: str) -> dict:
    rec = api.json(f"/meetings/{encode_uuid(uuid)}/recordings")
    return next(f for f in rec["recording_files"] if f["file_type"] == file_type)


def test_file_faults_serve_the_damaged_files_and_are_deterministic(make_zoom_emulator) -> None:
    knobs = dict(seed=31, users=5, meetings_per_user=6, rate_limits=False)
    emu = make_zoom_emulator(**knobs, file_faults={kind: 1 for kind in FILE_FAULT_KINDS})
    again = make_zoom_emulator(**knobs, file_faults={kind: 1 for kind in FILE_FAULT_KINDS})
    faults = emu.truth()["file_faults"]
    assert faults == again.truth()["file_faults"] and sorted(faults.values()) == sorted(FILE_FAULT_KINDS)
    api = ZoomApi(emu)
    token = emu.access_token()

    def body(kind: str, file_type: str = "TRANSCRIPT") -> requests.Response:
        uuid = next(u for u, k in faults.items() if k == kind)
        url = _file(api, uuid, file_type)["download_url"]
        return requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    html = body("html_page")
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert body("empty_file").content == b""
    assert body("bom_crlf").content.startswith(b"\xef\xbb\xbfWEBVTT\r\n")
    cp = body("cp1252").content
    with pytest.raises(UnicodeDecodeError):
        cp.decode("utf-8")
    assert cp.decode("cp1252").startswith("WEBVTT")
    assert "-->" not in body("truncated_vtt").content.decode()
    assert b"could not be exported" in body("chat_garbage", "CHAT").content
    stray = body("stray_byte").content  # UTF-8 but for one byte
    assert stray.count(b"\x92") == 1 and stray.replace(b"\x92", b"'").decode("utf-8").startswith("WEBVTT")
    assert body("nul_byte").content.count(b"\x00") == 1
    # without the knob the account is unchanged
    plain = make_zoom_emulator(**knobs)
    assert plain.truth()["file_faults"] == {}


def test_unknown_file_fault_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown file fault"):
        ZoomEmulator(file_faults={"nonsense": 1})


def test_vanished_meetings_stay_listed_but_answer_3001(make_zoom_emulator) -> None:
    emu = make_zoom_emulator(seed=23, users=4, rate_limits=False)
    assert emu.truth()["vanished_meetings"] == []
    emu.configure(vanish_meetings=2)  # at run time: deleted mid-sync
    vanished = emu.truth()["vanished_meetings"]
    assert len(vanished) == 2
    api = ZoomApi(emu)
    listed = {
        m["id"]
        for u in api.walk("/users", "users")
        for m in api.walk(f"/users/{u['id']}/meetings", "meetings", type="scheduled")
    }
    assert set(vanished) <= listed
    for mid in vanished:
        for path in (f"/meetings/{mid}", f"/meetings/{mid}/registrants", f"/meetings/{mid}/polls"):
            resp = api.get(path)
            assert resp.status_code == 404 and resp.json()["code"] == 3001, path
        assert api.get(f"/past_meetings/{mid}/instances").status_code == 200  # past instances stay
    assert not {m["id"] for m in emu.truth()["tables"]["meetings"]} & set(vanished)
