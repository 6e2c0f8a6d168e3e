"""Zoom TRANSCRIPT and CC files (WebVTT, or plain text for CC): cues, cleaned text and warehouse rows.

Rules (ZOOM_API.md §3.6 has the format facts):

* A cue's text lines are stripped and joined with ``"\\n"``, so `cues_to_vtt` gives the file back;
  `clean_transcript` flattens each cue to one line.
* Speaker: a ``<v Name>`` voice tag, else the text before the first ``": "`` of the cue's first line when
  it looks like a name: at most 100 characters and 10 words, no ``":"`` in it (so no ``http://…`` and no
  ``10:30``), not just a number. Otherwise the speaker is None and the line is text. A speakerless cue
  whose text starts like ``"Agenda: …"`` is read as speaker ``Agenda``: Zoom's format cannot tell them apart.
* Cue text is plain: WebVTT tags (``<i>``, ``<c.x>``, ``<v Name>``, ``<00:01.000>``) are removed and
  entities (``&amp;``, ``&nbsp;``) decoded; `cues_to_vtt` escapes ``& < >`` so text round-trips.
* ``sequence`` is the cue's numeric id when every cue has one and they are distinct; else all cues are
  numbered 1..n in file order, so ``(meeting_uuid, sequence)`` stays a key.
* Salvage: a last cue without a complete timing line or without text is a truncated download and is
  dropped (if nothing is left, `FileParseError` "truncated cue"). Any other cue whose timing line is
  missing or malformed raises `FileParseError` ("cue 12: bad timing line '…'"): a hole in the middle
  of a transcript is corruption, not truncation.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .dates import to_utc
from .file_errors import FileParseError
from .file_text import decode_file_text, looks_binary

__all__ = [
    "Cue",
    "FileParseError",
    "parse_vtt",
    "parse_captions",
    "clean_transcript",
    "cues_to_vtt",
    "transcript_stats",
    "transcript_rows",
    "transcript_summary_row",
    "caption_rows",
]


@dataclass(frozen=True)
class Cue:
    """One transcript or caption cue.

    Attributes:
        sequence: cue number (the file's cue id, or the position when ids are missing or repeated).
        start_ms: start, in milliseconds from the recording start.
        end_ms: end, in milliseconds from the recording start.
        speaker: the speaker's display name, or None when the cue names nobody.
        text: the spoken text, plain (no tags, entities decoded); lines joined with ``"\\n"``.
    """

    sequence: int
    start_ms: int
    end_ms: int
    speaker: str | None
    text: str


_TS = r"(?:(\d+):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
# cue settings ("align:start") may follow the end time
_TIMING = re.compile(rf"\s*{_TS}\s*-->\s*{_TS}(?:\s.*)?", re.ASCII)
_VOICE = re.compile(r"\s*<v(?:\.[^\s>]*)?\s+([^>]*)>")
_TAG = re.compile(r"</?(?:c|i|b|u|v|lang|ruby|rt)(?:[.\s][^>]*)?>|<\d+(?::\d{2}){1,2}\.\d{3}>", re.ASCII)
_NUMBER = re.compile(r"[\d\s.,]+")
_SKIPPED_BLOCKS = ("NOTE", "STYLE", "REGION")
_MAX_SPEAKER_CHARS = 100
_MAX_SPEAKER_WORDS = 10


def parse_vtt(data: bytes | str) -> list[Cue]:
    """Parses a Zoom TRANSCRIPT file.

    Args:
        data: the file, as downloaded (any of UTF-8/16/32 with or without BOM, cp1252, CRLF) or as text.

    Returns:
        The cues in file order.

    Raises:
        FileParseError: empty or binary file, no ``WEBVTT`` header, a malformed cue before the last one,
            or a file whose only cue is truncated.
    """
    lines = _text_lines(data)
    if not lines[0].lstrip().startswith("WEBVTT"):
        raise FileParseError(f"no WEBVTT header (first line {_short(lines[0])})")
    return _parse_cue_lines(_after_header(lines[1:]))


def parse_captions(data: bytes | str) -> list[Cue]:
    """Parses a Zoom CC (closed caption) file.

    A WebVTT file (with or without the ``WEBVTT`` header, when it has timing lines) is parsed like a
    transcript. Otherwise the file is captioner plain text: one cue per non-empty line, numbered 1..n,
    with ``start_ms = end_ms = 0`` (plain text carries no times); the speaker rule still applies.

    Args:
        data: the file, as downloaded or as text.

    Returns:
        The cues in file order.

    Raises:
        FileParseError: empty or binary file, or malformed WebVTT (as `parse_vtt`).
    """
    lines = _text_lines(data)
    if lines[0].lstrip().startswith("WEBVTT"):
        return _parse_cue_lines(_after_header(lines[1:]))
    if any(_TIMING.fullmatch(line) for line in lines):
        return _parse_cue_lines(lines)
    cues: list[Cue] = []
    for line in lines:
        speaker, text = _speaker_and_text([line])
        if text or speaker:
            cues.append(Cue(len(cues) + 1, 0, 0, speaker, text))
    if not cues:
        raise FileParseError("no caption text")
    return cues


def clean_transcript(cues: Iterable[Cue]) -> str:
    """Renders cues as the plain transcript text of the ``transcripts`` and ``calls`` tables.

    One line per cue, ``"Speaker: text"`` (or just ``"text"`` without a speaker), whitespace inside a
    cue collapsed to single spaces. Consecutive cues of one speaker stay separate lines; cues with no
    text are left out. No cue numbers, no times.

    Args:
        cues: parsed cues.

    Returns:
        The lines joined with ``"\\n"`` (no trailing newline; ``""`` for no cues).
    """
    lines = []
    for cue in cues:
        text = " ".join(cue.text.split())
        if not text:
            continue
        lines.append(f"{cue.speaker}: {text}" if cue.speaker else text)
    return "\n".join(lines)


def cues_to_vtt(cues: Iterable[Cue]) -> str:
    """Renders cues as a Zoom-style WebVTT transcript, which `parse_vtt` reads back to the same cues.

    Args:
        cues: the cues; ``text`` should be non-empty (a last cue without text reads back as truncated).

    Returns:
        ``WEBVTT``, a blank line, then ``id / HH:MM:SS.mmm --> HH:MM:SS.mmm / Speaker: text`` blocks.
    """
    blocks = ["WEBVTT"]
    for cue in cues:
        lines = cue.text.split("\n") if cue.text else []
        if cue.speaker:
            lines = [f"{cue.speaker}: {lines[0] if lines else ''}", *lines[1:]]
        body = "\n".join(_escape(line) for line in lines)
        timing = f"{_format_ms(cue.start_ms)} --> {_format_ms(cue.end_ms)}"
        blocks.append(f"{cue.sequence}\n{timing}" + (f"\n{body}" if body else ""))
    return "\n\n".join(blocks) + "\n"


def transcript_stats(cues: Sequence[Cue], language: str | None = None) -> dict[str, Any]:
    """Counts what the ``transcripts`` row reports about a transcript.

    Args:
        cues: parsed cues.
        language: a language code if known from elsewhere; Zoom's VTT carries none.

    Returns:
        ``speaker_count`` (distinct non-null speakers), ``word_count`` (whitespace-separated words of the
        cue texts, speaker names excluded), ``segment_count`` and ``language``.
    """
    return {
        "speaker_count": len({cue.speaker for cue in cues if cue.speaker}),
        "word_count": sum(len(cue.text.split()) for cue in cues),
        "segment_count": len(cues),
        "language": language,
    }


def transcript_rows(
    cues: Sequence[Cue], meeting_uuid: str, recording_start: datetime
) -> list[dict[str, Any]]:
    """Builds ``transcript_segments`` rows, one per cue.

    Args:
        cues: output of `parse_vtt`.
        meeting_uuid: the instance UUID the file belongs to.
        recording_start: the file's ``recording_start`` (naive means UTC); cue times are offsets from it.

    Returns:
        Rows ``{meeting_uuid, sequence, start_ms, end_ms, start_time, speaker, text}``; ``start_time``
        is a UTC datetime.
    """
    start = to_utc(recording_start)
    return [
        {
            "meeting_uuid": meeting_uuid,
            "sequence": cue.sequence,
            "start_ms": cue.start_ms,
            "end_ms": cue.end_ms,
            "start_time": start + timedelta(milliseconds=cue.start_ms),
            "speaker": cue.speaker,
            "text": cue.text,
        }
        for cue in cues
    ]


def caption_rows(cues: Sequence[Cue], meeting_uuid: str, recording_start: datetime) -> list[dict[str, Any]]:
    """Builds ``caption_segments`` rows, one per cue, shaped like `transcript_rows`.

    Args:
        cues: output of `parse_captions`.
        meeting_uuid: the instance UUID the file belongs to.
        recording_start: the file's ``recording_start`` (naive means UTC).

    Returns:
        Rows ``{meeting_uuid, sequence, start_ms, end_ms, start_time, speaker, text}``.
    """
    return transcript_rows(cues, meeting_uuid, recording_start)


def transcript_summary_row(
    cues: Sequence[Cue], meeting_uuid: str, language: str | None = None
) -> dict[str, Any]:
    """Builds the ``transcripts`` row of one TRANSCRIPT file.

    Args:
        cues: output of `parse_vtt`.
        meeting_uuid: the instance UUID the file belongs to.
        language: a language code if known from elsewhere; Zoom's VTT carries none.

    Returns:
        ``{meeting_uuid, text, speaker_count, word_count, language, segment_count}``, ``text`` being
        `clean_transcript` of the cues.
    """
    row: dict[str, Any] = {"meeting_uuid": meeting_uuid, "text": clean_transcript(cues)}
    row.update(transcript_stats(cues, language))
    return row


def _text_lines(data: bytes | str) -> list[str]:
    """Decodes the file into lines, dropping leading blank lines; refuses empty and binary files."""
    text = decode_file_text(data)
    if not text.strip():
        raise FileParseError("empty file")
    if looks_binary(text):
        raise FileParseError("not a text file (binary data)")
    lines = text.split("\n")
    while not lines[0].strip():
        lines.pop(0)
    return lines


def _blocks(lines: list[str]) -> list[list[str]]:
    """Splits lines into blocks separated by blank (whitespace-only) lines."""
    blocks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _cue_chunks(block: list[str]) -> list[list[str]]:
    """Splits a block where a timing line starts another cue (a missing blank line between cues)."""
    chunks = [block[:2]]
    for line in block[2:]:
        current = chunks[-1]
        if _TIMING.fullmatch(line) and len(current) >= 2:
            start = [current.pop()] if current[-1].strip().isdigit() and len(current) > 2 else []
            chunks.append([*start, line])
        else:
            current.append(line)
    return chunks


def _after_header(lines: list[str]) -> list[str]:
    """Skips the metadata lines ("Kind: captions") that follow ``WEBVTT`` up to the first blank line."""
    for i, line in enumerate(lines):
        if not line.strip():
            return lines[i:]
        if _TIMING.fullmatch(line):
            return lines[max(i - 1, 0) :]  # no blank line: a cue (with its id) starts right away
    return []


# A hand parser, not webvtt-py: webvtt-py silently drops cues with a bad timing line (no position to
# report) and does not let us tell a truncated last cue from corruption.
def _parse_cue_lines(lines: list[str]) -> list[Cue]:
    blocks = _blocks(lines)
    chunks = [
        chunk
        for block in blocks
        if not block[0].strip().startswith(_SKIPPED_BLOCKS)
        for chunk in _cue_chunks(block)
    ]
    raw: list[tuple[str | None, int, int, list[str]]] = []
    for position, chunk in enumerate(chunks, start=1):
        is_last = position == len(chunks)
        if _TIMING.fullmatch(chunk[0]):
            ident, timing, text_lines = None, chunk[0], chunk[1:]
        elif len(chunk) > 1 and _TIMING.fullmatch(chunk[1]):
            ident, timing, text_lines = chunk[0].strip(), chunk[1], chunk[2:]
        else:
            if is_last:
                continue  # a truncated download: the fragment of the last cue is dropped
            label = chunk[0].strip() if chunk[0].strip().isdigit() else str(position)
            bad = chunk[1] if chunk[0].strip().isdigit() and len(chunk) > 1 else chunk[0]
            raise FileParseError(f"cue {label}: bad timing line {_short(bad)}")
        if not text_lines and is_last:
            continue  # truncated after the timing line
        start_ms, end_ms = _timing_ms(timing)
        raw.append((ident, start_ms, end_ms, text_lines))
    if not raw and chunks:
        raise FileParseError(f"truncated cue: {_short(chunks[-1][0])} has no complete timing line or text")
    ids = [ident for ident, *_ in raw]
    use_ids = all(ident is not None and ident.isdigit() for ident in ids) and len(set(ids)) == len(ids)
    cues = []
    for position, (ident, start_ms, end_ms, text_lines) in enumerate(raw, start=1):
        speaker, text = _speaker_and_text(text_lines)
        sequence = int(ident) if use_ids and ident is not None else position
        cues.append(Cue(sequence, start_ms, end_ms, speaker, text))
    return cues


def _timing_ms(line: str) -> tuple[int, int]:
    match = _TIMING.fullmatch(line)
    assert match is not None  # callers matched it already
    groups = match.groups()
    return _to_ms(groups[0:4]), _to_ms(groups[4:8])


def _to_ms(parts: Sequence[str | None]) -> int:
    hours, minutes, seconds, millis = (int(part or 0) for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis


def _format_ms(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _plain(line: str) -> str:
    """Cue text without WebVTT tags, with entities decoded and no-break spaces made plain."""
    return html.unescape(_TAG.sub("", line)).replace("\xa0", " ").strip()


def _escape(line: str) -> str:
    return line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _speaker_and_text(text_lines: list[str]) -> tuple[str | None, str]:
    """Splits a cue's lines into speaker (voice tag or ``Name: `` prefix of the first line) and text."""
    if not text_lines:
        return None, ""
    first = text_lines[0]
    speaker = None
    voice = _VOICE.match(first)
    if voice and _plain(voice.group(1)):
        speaker, first = _plain(voice.group(1)), first[voice.end() :]
    lines = [_plain(line) for line in [first, *text_lines[1:]]]
    if speaker is None and ": " in lines[0]:
        candidate, rest = lines[0].split(": ", 1)
        if _looks_like_name(candidate):
            speaker, lines[0] = candidate.strip(), rest.strip()
    return speaker, "\n".join(line for line in lines if line)


def _looks_like_name(candidate: str) -> bool:
    name = candidate.strip()
    return (
        bool(name)
        and ":" not in name
        and len(name) <= _MAX_SPEAKER_CHARS
        and len(name.split()) <= _MAX_SPEAKER_WORDS
        and not _NUMBER.fullmatch(name)
    )


def _short(line: str, limit: int = 60) -> str:
    return repr(line if len(line) <= limit else line[:limit] + "…")
