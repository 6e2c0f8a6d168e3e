"""Zoom Phone events drive targeted loads (`zoom-pipeline webhooks serve` as a real process, fed by the
Zoom emulator's webhook subscription): `phone.recording_completed` loads that recording, its `calls` row
waiting while Zoom still makes the transcript (12002); `phone.recording_transcript_completed`, which the
emulator sends when the transcript is done, lands the transcript and readies the call."""

from __future__ import annotations

from pathlib import Path

import duckdb
from webhook_helpers import SECRET, Receiver, wait_for

from emulators.zoom import ZoomEmulator

ACCOUNT = dict(
    seed=5,
    users=4,
    meetings_per_user=1,
    webinars=0,
    days_of_history=60,
    phone_licences=0.5,
    phone_calls_per_user=4,
    phone_transcript_faults={"pending": 1},
    rate_limits=False,
)


def _query(tmp: Path, sql: str) -> list:
    try:
        with duckdb.connect(str(tmp / "hooks.duckdb"), read_only=True) as db:
            return db.execute(sql).fetchall()
    except duckdb.Error:  # not created yet, or the receiver is writing
        return []


def test_phone_events_load_the_recording_then_its_transcript(tmp_path: Path) -> None:
    with ZoomEmulator(**ACCOUNT) as emu:
        pending = emu.truth()["phone"]["transcript_faults"]["pending"][0]
        with Receiver(emu, tmp_path) as r:
            emu.subscribe_webhooks(f"{r.url}/zoom/webhooks", SECRET, time_scale=0.001)
            emu.send_webhook("phone.recording_completed", emu.phone_recording_object(pending))
            wait_for(lambda: r.metrics().get("processed_total") == 1, 60, r.output)
            calls = f"SELECT ready, transcript FROM zoom.calls WHERE meeting_uuid = 'zoom_phone:{pending}'"
            wait_for(lambda: _query(tmp_path, calls) == [(False, None)], 30, r.output)
            assert _query(tmp_path, f"SELECT id FROM zoom.phone_recordings WHERE id = '{pending}'")

            emu.finish_phone_transcript(pending)  # Zoom sends phone.recording_transcript_completed
            wait_for(lambda: r.metrics().get("processed_total") == 2, 60, r.output)
            wait_for(lambda: (_query(tmp_path, calls) or [(None,)])[0][0] is True, 30, r.output)
            truth = emu.truth()
    [(ready, transcript)] = _query(tmp_path, calls)
    assert ready and transcript == truth["phone"]["transcripts"][pending]
    events = _query(tmp_path, "SELECT event, status FROM zoom.webhook_events ORDER BY event")
    assert events == [
        ("phone.recording_completed", "processed"),
        ("phone.recording_transcript_completed", "processed"),
    ]
