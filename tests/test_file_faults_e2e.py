"""Bad recording files end to end: an HTML page instead of the transcript, truncated, empty and binary
files are each recorded once in `file_errors` with a reason and the rest loads; BOM + CRLF, cp1252 and a
cut-off last cue parse; a stray byte or a NUL byte costs at most one character (and a `file_errors` row
that says so); a chat file with junk lines keeps its messages (junk as `unparsed`)."""

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
from emulators.zoom.config import FILE_FAULT_KINDS, REPAIRED_FAULTS, UNREADABLE_FAULTS

START = (datetime.now(UTC) - timedelta(days=50)).date().isoformat()
TABLES = [*RECORDING_TABLES, "file_errors"]
# what the reason says, per unreadable kind (the reason is for people: it must name the problem)
REASON_WORDS = {
    "html_page": "html page",
    "truncated_vtt": "truncated",
    "empty_file": "empty",
    "garbage_bytes": "binary",
    "stray_byte": "1 invalid utf-8 byte sequence(s) replaced with u+fffd",
    "nul_byte": "1 nul byte(s) dropped",
}


def test_bad_files_are_recorded_once_each_and_everything_else_loads(tmp_path) -> None:
    knobs = dict(seed=31, users=5, meetings_per_user=6, days_of_history=45, rate_limits=False)
    with ZoomEmulator(**knobs, file_faults={kind: 1 for kind in FILE_FAULT_KINDS}) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        summary = load(pipeline, emu, START, resources=["recordings"])
        truth = emu.truth()
        clean_cues = {  # the transcript each damaged file was made from
            uuid: len(emu.state.data.instances[uuid].recording.cues) for uuid in truth["file_faults"]
        }

    uuid_of = {kind: uuid for uuid, kind in truth["file_faults"].items()}
    assert sorted(uuid_of) == sorted(FILE_FAULT_KINDS), "every fault kind is in the account"
    unreadable = {uuid_of[kind] for kind in UNREADABLE_FAULTS}
    repaired = {uuid_of[kind] for kind in REPAIRED_FAULTS}

    # the run succeeded and loaded everything a correct parser can read
    assert summary.rows["file_errors"] == len(UNREADABLE_FAULTS) + len(REPAIRED_FAULTS)
    for table in TABLES:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        assert not duplicates(got), table
        assert sorted(map(repr, got)) == sorted(map(repr, truth_rows(truth, table, key))), table
    texts = dict(warehouse_rows(pipeline, "transcripts", ["meeting_uuid", "text"]))
    assert texts == truth["transcripts"]
    assert not unreadable & set(texts)

    # one file_errors row per unreadable or repaired file, with a reason a person can act on; none for the rest
    errors = warehouse_rows(pipeline, "file_errors", ["meeting_uuid", "file_type", "reason"])
    assert sorted(u for u, _, _ in errors) == sorted(unreadable | repaired)
    for uuid, file_type, reason in errors:
        kind = truth["file_faults"][uuid]
        assert file_type == "TRANSCRIPT", kind
        assert isinstance(reason, str) and REASON_WORDS[kind] in reason.lower(), (kind, reason)

    # the parseable variants read like clean files
    for kind in ("bom_crlf", "cp1252", "nul_byte"):
        uuid = uuid_of[kind]
        assert (
            texts[uuid] == truth["transcripts"][uuid]
            and "\r" not in texts[uuid]
            and "\ufeff" not in texts[uuid]
        )
    assert any(ord(ch) > 127 for ch in texts[uuid_of["cp1252"]])  # decoded as cp1252, not mangled
    segments = warehouse_rows(pipeline, "transcript_segments", ["meeting_uuid", "sequence"])
    tail = uuid_of["truncated_tail"]
    kept = sorted(seq for u, seq in segments if u == tail)
    assert kept == list(range(1, len(kept) + 1)) and 0 < len(kept) == clean_cues[tail]  # cues before the cut

    # a chat file with junk lines: every message plus the junk lines as `unparsed`
    chat = warehouse_rows(pipeline, "chat_messages", ["meeting_uuid", "kind", "message"])
    junk = [m for u, k, m in chat if k == "unparsed"]
    assert len(junk) == 3 and all(u == uuid_of["chat_garbage"] for u, k, _ in chat if k == "unparsed")
    assert any(u == uuid_of["chat_garbage"] and k != "unparsed" for u, k, _ in chat)

    # calls: an unreadable transcript means no transcript; the call is ready only with audio
    cols = ["meeting_uuid", "ready", "has_transcript", "has_audio", "processing"]
    calls = sorted(warehouse_rows(pipeline, "calls", cols))
    assert calls == sorted(truth_rows(truth, "calls", cols))
    transcripts_in_calls = dict(warehouse_rows(pipeline, "calls", ["meeting_uuid", "transcript"]))
    for uuid, ready, has_transcript, has_audio, processing in calls:
        if uuid in unreadable:
            assert not has_transcript and transcripts_in_calls[uuid] is None
            assert ready == (has_audio and not processing)
        assert transcripts_in_calls[uuid] == truth["transcripts"].get(uuid)


def test_one_stray_byte_changes_at_most_that_character_of_the_transcript(tmp_path) -> None:
    knobs = dict(seed=5, users=3, meetings_per_user=3, days_of_history=45, rate_limits=False)
    with ZoomEmulator(**knobs, file_faults={"stray_byte": 1}) as emu:
        (uuid,) = emu.truth()["file_faults"]
        sent = emu.state.data.instances[uuid].recording.file("TRANSCRIPT").content
        pipeline = make_pipeline("duckdb", tmp_path)
        load(pipeline, emu, START, resources=["recordings"])
        truth = emu.truth()

    assert sent.count(b"\x92") == 1 and sent.replace(b"\x92", b"'").decode(
        "utf-8"
    )  # one bad byte, else UTF-8
    clean = sent.replace(b"\x92", "\ufffd".encode()).decode("utf-8")  # the file, the bad byte marked
    texts = dict(warehouse_rows(pipeline, "transcripts", ["meeting_uuid", "text"]))
    assert texts == truth["transcripts"]  # every other transcript untouched
    got = texts[uuid]
    assert got.count("\ufffd") == 1 and got.count("\ufffd") == clean.count("\ufffd")
    assert any(ord(ch) > 127 and ch != "\ufffd" for ch in got)  # the file's own UTF-8 survived ...
    assert not any(mark in got for mark in ("Ã", "â€", "ðŸ"))  # ... not read as cp1252
    for line in got.split("\n"):  # each transcript line is a line of the file, as Zoom wrote it
        assert line in clean
    calls = dict(warehouse_rows(pipeline, "calls", ["meeting_uuid", "transcript"]))
    assert calls[uuid] == got  # and what goes to Kendo is the same
    errors = warehouse_rows(pipeline, "file_errors", ["meeting_uuid", "file_type", "reason"])
    assert [(u, t) for u, t, _ in errors] == [(uuid, "TRANSCRIPT")]
    assert errors[0][2].startswith("file loaded;") and "replaced with U+FFFD" in errors[0][2]
