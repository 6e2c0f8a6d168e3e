"""Property tests: the file parsers never fail with anything but FileParseError, and rendering round-trips."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sources.zoom.chat import ChatMessage, chat_rows, parse_chat
from sources.zoom.file_errors import FileParseError
from sources.zoom.transcripts import (
    Cue,
    caption_rows,
    clean_transcript,
    cues_to_vtt,
    parse_captions,
    parse_vtt,
    transcript_rows,
    transcript_summary_row,
)

SAMPLES = Path(__file__).parent / "samples"
VALID_SAMPLES = [
    (SAMPLES / name).read_bytes()
    for name in (
        "transcript.vtt",
        "transcript_utf16le_bom.vtt",
        "transcript_cp1252.vtt",
        "captions.vtt",
        "captions_plain.txt",
        "chat_new.txt",
        "chat_old.txt",
        "chat_new_utf16be_bom_crlf.txt",
    )
]
START = datetime(2024, 1, 1, tzinfo=UTC)

# the autouse dlt-isolation fixture of conftest.py is function scoped; these tests do not touch dlt
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def parse_everything(data: bytes | str) -> None:
    """Runs every parser (and what consumes its output); only FileParseError may escape."""
    for parse_cues in (parse_vtt, parse_captions):
        try:
            cues = parse_cues(data)
        except FileParseError as error:
            assert error.reason
            continue
        assert len({cue.sequence for cue in cues}) == len(cues)
        clean_transcript(cues)
        cues_to_vtt(cues)
        transcript_rows(cues, "m", START)
        caption_rows(cues, "m", START)
        transcript_summary_row(cues, "m")
    try:
        messages = parse_chat(data)
    except FileParseError as error:
        assert error.reason
    else:
        assert [m.sequence for m in messages] == list(range(1, len(messages) + 1))
        chat_rows(messages, "m", START)


@st.composite
def mutated_sample(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID_SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["truncate", "delete_line", "duplicate_line", "flip", "insert"]))
        position = draw(st.integers(0, max(len(data) - 1, 0)))
        if operation == "truncate":
            del data[position:]
        elif operation in ("delete_line", "duplicate_line"):
            lines = bytes(data).split(b"\n")
            index = draw(st.integers(0, len(lines) - 1))
            if operation == "delete_line":
                del lines[index]
            else:
                lines.insert(index, lines[index])
            data = bytearray(b"\n".join(lines))
        elif operation == "flip" and data:
            data[position] ^= draw(st.integers(1, 255))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
    return bytes(data)


@PROPERTY
@given(st.binary(max_size=2000))
def test_random_bytes_raise_nothing_but_file_parse_error(data):
    parse_everything(data)


@PROPERTY
@given(st.text(max_size=2000))
def test_random_text_raises_nothing_but_file_parse_error(text):
    parse_everything(text)


@PROPERTY
@given(mutated_sample())
def test_mutated_samples_raise_nothing_but_file_parse_error(data):
    parse_everything(data)


@PROPERTY
@given(st.lists(st.sampled_from(["WEBVTT", "", "1", "00:00:01.000 --> 00:00:02.000", "Ana: hi", "NOTE x",
                                 "00:01 --> 00:02", "\t12:00:00 From A to B:", "00:00:01\tA:\tb", " "]),
                max_size=30).map("\n".join))  # fmt: skip
def test_shuffled_format_lines_raise_nothing_but_file_parse_error(text):
    parse_everything(text)


# -- round trips ------------------------------------------------------------------------------------------

_NAME_CHARS = st.characters(categories=("L", "N", "S", "P"), exclude_characters=":()")
_TEXT_CHARS = st.characters(categories=("L", "N", "S", "P"))
_NUMBER = re.compile(r"[\d\s.,]+")


def _words(chars: st.SearchStrategy[str], max_words: int) -> st.SearchStrategy[str]:
    return st.lists(st.text(chars, min_size=1, max_size=8), min_size=1, max_size=max_words).map(" ".join)


speaker_names = _words(_NAME_CHARS, 4).filter(
    lambda name: not _NUMBER.fullmatch(name) and "to" not in name.lower().split()
)
text_lines = _words(_TEXT_CHARS, 6)


@st.composite
def cue_lists(draw: st.DrawFn) -> list[Cue]:
    count = draw(st.integers(0, 8))
    sequences = draw(st.lists(st.integers(0, 10**6), min_size=count, max_size=count, unique=True))
    cues = []
    for sequence in sequences:
        speaker = draw(st.none() | speaker_names)
        lines = draw(st.lists(text_lines, min_size=1, max_size=3))
        if speaker is None:
            lines[0] = lines[0].replace(":", ";")  # "Agenda: …" would read as a speaker (documented)
        start = draw(st.integers(0, 10**9))
        end = draw(st.integers(0, 10**9))
        cues.append(Cue(sequence, start, end, speaker, "\n".join(lines)))
    return cues


@PROPERTY
@given(cue_lists())
def test_cues_round_trip_through_zoom_vtt(cues):
    assert parse_vtt(cues_to_vtt(cues)) == cues


def _clock(offset_ms: int) -> str:
    seconds = offset_ms // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def render_chat(messages: list[ChatMessage]) -> str:
    """Writes messages the way Zoom does: new layout when there is a recipient, else the tab layout."""
    out = []
    for m in messages:
        assert m.offset_ms is not None
        if m.recipient is None:
            out.append(f"{_clock(m.offset_ms)}\t{m.sender}:\t{m.message}")
            continue
        to = f"{m.recipient}(privately)" if m.is_private else m.recipient
        out.append(f"{_clock(m.offset_ms)} From {m.sender} to {to}:")
        body = m.message.split("\n") if m.message else []
        if m.kind == "reply":
            body = [f'Replying to "{m.reply_to}"', "", *body]
        elif m.kind == "reaction":
            body = [f'Reacted to "{m.reply_to}" with {m.reaction}']
        elif m.kind == "reaction_removed":
            body = [f'Removed a {m.reaction} reaction from "{m.reply_to}"']
        out.extend(f"\t{line}" for line in body)
    return "\n".join(out) + "\n"


chat_text_lines = text_lines.filter(
    lambda line: not line[0].isdigit() and not line.startswith(("Replying to", "Reacted to", "Removed a"))
)


@st.composite
def chat_message_lists(draw: st.DrawFn) -> list[ChatMessage]:
    messages = []
    for sequence in range(1, draw(st.integers(1, 6)) + 1):
        offset_ms = draw(st.integers(0, 999 * 3600 + 3599)) * 1000
        sender = draw(speaker_names)
        if draw(st.booleans()):  # older tab layout: one line, no recipient
            message = draw(chat_text_lines)
            messages.append(ChatMessage(sequence, offset_ms, sender, None, False, message, "message", None,
                                        None, ""))  # fmt: skip
            continue
        recipient = draw(st.just("Everyone") | speaker_names)
        is_private = recipient != "Everyone" and draw(st.booleans())
        kind = draw(st.sampled_from(["message", "reply", "reaction", "reaction_removed"]))
        quote = draw(text_lines) if kind != "message" else None
        emoji = draw(st.sampled_from(["👍", "❤️", "😂", "🎉"])) if kind.startswith("reaction") else None
        lines = (
            draw(st.lists(chat_text_lines, min_size=1, max_size=3)) if kind in ("message", "reply") else []
        )
        messages.append(ChatMessage(sequence, offset_ms, sender, recipient, is_private, "\n".join(lines), kind,
                                    quote, emoji, ""))  # fmt: skip
    return messages


def _without_raw(messages: list[ChatMessage]) -> list[tuple]:
    return [(m.sequence, m.offset_ms, m.sender, m.recipient, m.is_private, m.message, m.kind, m.reply_to,
             m.reaction) for m in messages]  # fmt: skip


@PROPERTY
@given(chat_message_lists())
def test_chat_messages_round_trip_through_both_layouts(messages):
    assert _without_raw(parse_chat(render_chat(messages))) == _without_raw(messages)
