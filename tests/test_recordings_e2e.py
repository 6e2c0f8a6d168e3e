"""Recordings end to end: parsed transcripts, chat and call rows match the emulator's truth, and late
transcripts arrive in the next incremental run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from zoom_helpers import (
    RECORDING_TABLES,
    duplicates,
    load,
    make_pipeline,
    table_key,
    truth_rows,
    warehouse_rows,
)

from emulators.zoom import ZoomEmulator

START = (datetime.now(UTC) - timedelta(days=50)).date().isoformat()


def test_transcripts_chat_and_calls_match_truth_for_every_recorded_instance(tmp_path) -> None:
    with ZoomEmulator(seed=21, users=4, days_of_history=45, rate_limits=False) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        load(pipeline, emu, START, resources=["recordings"])
        truth = emu.truth()

    for table in RECORDING_TABLES:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        assert not duplicates(got), table
        assert sorted(map(repr, got)) == sorted(map(repr, truth_rows(truth, table, key))), table

    texts = dict(warehouse_rows(pipeline, "transcripts", ["meeting_uuid", "text"]))
    assert texts == truth["transcripts"] and texts

    cols = ["meeting_uuid", "ready", "has_transcript", "has_audio", "processing"]
    calls = sorted(warehouse_rows(pipeline, "calls", cols))
    assert calls == sorted(truth_rows(truth, "calls", cols))
    # a call carries the cleaned transcript and an M4A (else MP4) audio URL
    full = warehouse_rows(pipeline, "calls", ["meeting_uuid", "transcript", "audio_url", "audio_file_type"])
    for uuid, transcript, audio_url, audio_type in full:
        assert transcript == truth["transcripts"].get(uuid)
        assert (audio_url is None) == (audio_type is None)
        assert audio_type in (None, "M4A", "MP4")
    assert any(r[3] == "M4A" for r in full)


def test_late_transcript_lands_next_run_and_makes_the_call_ready(tmp_path) -> None:
    with ZoomEmulator(seed=22, users=2, days_of_history=20, rate_limits=False) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        added = emu.add_meeting(transcript=False, audio=False, processing=True)
        load(pipeline, emu, START, resources=["recordings"])
        row = [
            r
            for r in warehouse_rows(pipeline, "calls", ["meeting_uuid", "ready", "processing"])
            if r[0] == added["uuid"]
        ]
        assert row == [(added["uuid"], False, True)]
        assert added["uuid"] not in dict(warehouse_rows(pipeline, "transcripts", ["meeting_uuid", "text"]))

        emu.complete_recording(added["uuid"], transcript=True)
        load(pipeline, emu, START, resources=["recordings"])
        truth = emu.truth()

    calls = {
        r[0]: r[1:]
        for r in warehouse_rows(pipeline, "calls", ["meeting_uuid", "ready", "processing", "has_transcript"])
    }
    assert calls[added["uuid"]] == (True, False, True)
    texts = dict(warehouse_rows(pipeline, "transcripts", ["meeting_uuid", "text"]))
    assert texts[added["uuid"]] == truth["transcripts"][added["uuid"]]
    segments = warehouse_rows(pipeline, "transcript_segments", ["meeting_uuid", "sequence"])
    assert not duplicates(segments)
