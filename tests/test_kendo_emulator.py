"""The Kendo Push API emulator answers like KENDO_API.md says Kendo does."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
from kendo_helpers import audio_app

import emulators.kendo.fixtures
from emulators._server import BackgroundServer, free_port
from emulators.kendo import KendoEmulator

kendo_emulator = emulators.kendo.fixtures.kendo_emulator  # fixture


GOOD = {
    "callTitle": "Demo - Enterprise",
    "repName": "Alex Kim",
    "repEmail": "alex@yourco.com",
    "callDate": "2026-03-04T14:00:00Z",
    "duration": 42,
    "audioUrl": "https://zoom-recording-url",
    "transcript": "Rep: Thanks everyone for joining...",
    "metadata": {"source": "zoom", "zoomMeetingUuid": "abc123", "zoomMeetingId": "987654321"},
}


def post(emu: KendoEmulator, body: object, key: str | None = "kendo-test-key") -> requests.Response:
    headers = {"X-API-Key": key} if key is not None else {}
    return requests.post(emu.ingest_url, json=body, headers=headers, timeout=10)


def test_accepts_a_call_and_records_it_with_its_call_id(kendo_emulator: KendoEmulator) -> None:
    r = post(kendo_emulator, GOOD)
    assert r.status_code == 201
    call_id = r.json()["callId"]
    assert kendo_emulator.received() == [{**GOOD, "callId": call_id}]
    assert kendo_emulator.stats()["status"] == {"201": 1}


@pytest.mark.parametrize("key", [None, "wrong-key", ""])
def test_missing_or_wrong_key_is_401(kendo_emulator: KendoEmulator, key: str | None) -> None:
    r = post(kendo_emulator, GOOD, key=key)
    assert r.status_code == 401
    assert kendo_emulator.received() == []


@pytest.mark.parametrize(
    "change",
    [
        {"audioUrl": None, "transcript": None},
        {"callTitle": 5},
        {"repName": ["x"]},
        {"repEmail": 1},
        {"callDate": "yesterday"},
        {"callDate": 1700000000},
        {"duration": "42"},
        {"duration": True},
        {"audioUrl": 3},
        {"transcript": {"text": "x"}},
        {"metadata": "zoom"},
    ],
)
def test_invalid_body_is_400_with_a_message(kendo_emulator: KendoEmulator, change: dict) -> None:
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    r = post(kendo_emulator, body)
    assert r.status_code == 400
    assert r.json()["error"]
    assert kendo_emulator.received() == []


def test_transcript_only_or_audio_only_is_accepted(kendo_emulator: KendoEmulator) -> None:
    assert post(kendo_emulator, {k: v for k, v in GOOD.items() if k != "audioUrl"}).status_code == 201
    assert post(kendo_emulator, {k: v for k, v in GOOD.items() if k != "transcript"}).status_code == 201
    assert post(kendo_emulator, [GOOD]).status_code == 400


def test_fail_next_answers_the_listed_statuses_in_order(kendo_emulator: KendoEmulator) -> None:
    kendo_emulator.configure(fail_next=[429, 503, 500], retry_after=2)
    r = post(kendo_emulator, GOOD)
    assert (r.status_code, r.headers.get("Retry-After")) == (429, "2")
    assert [post(kendo_emulator, GOOD).status_code for _ in range(3)] == [503, 500, 201]
    assert kendo_emulator.stats()["status"] == {"429": 1, "503": 1, "500": 1, "201": 1}


def test_rate_knobs_latency_stats_and_reset(kendo_emulator: KendoEmulator) -> None:
    kendo_emulator.configure(rate_429=1.0)
    assert post(kendo_emulator, GOOD).status_code == 429
    kendo_emulator.configure(rate_429=0.0, rate_5xx=1.0)
    assert post(kendo_emulator, GOOD).status_code == 503
    kendo_emulator.configure(rate_5xx=0.0, latency_ms=150)
    started = time.monotonic()
    assert post(kendo_emulator, GOOD).status_code == 201
    assert time.monotonic() - started >= 0.15
    stats = kendo_emulator.stats()
    assert stats["requests"] == 3 and stats["accepted"] == 1 and stats["peak_concurrency"] == 1
    kendo_emulator.reset()
    assert kendo_emulator.received() == [] and kendo_emulator.stats()["requests"] == 0
    started = time.monotonic()
    post(kendo_emulator, GOOD)
    assert time.monotonic() - started < 0.15  # knobs back to the constructor's values
    with pytest.raises(Exception, match="400"):
        kendo_emulator.configure(no_such_knob=1)


def test_strict_mode_downloads_the_audio_url() -> None:
    with BackgroundServer(audio_app()) as files, KendoEmulator(strict=True) as emu:
        assert post(emu, {**GOOD, "audioUrl": files.base_url + "/rec/audio.m4a"}).status_code == 201
        html = post(emu, {**GOOD, "audioUrl": files.base_url + "/rec/login"})
        assert html.status_code == 400 and "HTML" in html.json()["message"]
        missing = post(emu, {**GOOD, "audioUrl": files.base_url + "/rec/nope"})
        assert missing.status_code == 400 and "404" in missing.json()["message"]
        dead = post(emu, {**GOOD, "audioUrl": f"http://127.0.0.1:{free_port()}/x.m4a"})
        assert dead.status_code == 400
        assert len(emu.received()) == 1


def test_command_line_prints_one_json_line_and_serves() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators.kendo", "--port", str(port), "--api-key", "k1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = json.loads(proc.stdout.readline())
        assert banner == {
            "ingest_url": f"http://127.0.0.1:{port}/api/integrations/push-api/ingest",
            "api_key": "k1",
        }
        for _ in range(50):
            try:
                r = requests.post(banner["ingest_url"], json=GOOD, headers={"X-API-Key": "k1"}, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert r.status_code == 201
    finally:
        proc.terminate()
        proc.wait(timeout=10)
