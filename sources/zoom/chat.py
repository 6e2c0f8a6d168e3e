"""Zoom in-meeting CHAT files (TXT) parsed into messages, in both layouts of ZOOM_API.md §3.6.

* Older export, one line per message: ``HH:MM:SS<TAB>Sender:<TAB>message``.
* "New meeting chat experience": a header ``HH:MM:SS From Sender To Everyone:`` (or
  ``to Name(privately)`` / ``to Name(Direct Message)``) and the message on the following lines, whose
  first line may be ``Replying to "…"``, ``Reacted to "…" with 👍`` or ``Removed a 👍 reaction from "…"``.
  The older local-save shape with the message on the header line (``From A to B : text``) is read too.

Rules:

* Body lines belong to the last header until the next header. When the body is indented (Zoom indents
  it with a tab), a non-indented line ends it; otherwise every line up to the next header is body.
* Lines that are neither a header nor body are kept, one message each, with kind ``"unparsed"``, the
  line as ``message`` and no time or sender. A file with no message at all raises `FileParseError`.
* Sender and recipient are split at the `` to `` before ``Everyone``, else at the last `` to ``
  (a name containing the word "to" may be split wrongly: the format cannot tell).
* Times are offsets from the meeting start. A header at the end of the file with no body keeps
  ``message = ""`` (the sender and time are still real).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from .dates import to_utc
from .file_errors import FileParseError
from .file_text import decode_file_text, looks_binary

__all__ = ["ChatMessage", "ChatKind", "FileParseError", "parse_chat", "chat_rows"]

ChatKind = Literal["message", "reply", "reaction", "reaction_removed", "unparsed"]


@dataclass(frozen=True)
class ChatMessage:
    """One line (or header and body) of a Zoom chat file.

    Attributes:
        sequence: position in the file, 1..n (unparsed lines included).
        offset_ms: time since the meeting start, or None for unparsed lines.
        sender: display name of the sender, or None for unparsed lines.
        recipient: ``"Everyone"`` or a name (suffix ``(privately)`` removed), None when the layout has none.
        is_private: True for ``(privately)`` and ``(Direct Message)`` messages.
        message: the text (lines joined with ``"\\n"``); ``""`` for reactions.
        kind: ``message``, ``reply``, ``reaction``, ``reaction_removed`` or ``unparsed``.
        reply_to: the quoted text a reply or reaction refers to (as Zoom abbreviates it).
        reaction: the emoji of a reaction or removed reaction.
        raw: the original line(s) of the file.
    """

    sequence: int
    offset_ms: int | None
    sender: str | None
    recipient: str | None
    is_private: bool
    message: str
    kind: ChatKind
    reply_to: str | None
    reaction: str | None
    raw: str


_TIME = r"(\d{1,3}):([0-5]\d):([0-5]\d)"
_TAB_LINE = re.compile(rf"\s*{_TIME}\t\s*(.*?)\s*:\t(.*)", re.ASCII)
_HEADER = re.compile(rf"\s*{_TIME}\s+From\s+(.+?)\s*", re.ASCII)
_TO = re.compile(r"\s+to\s+", re.IGNORECASE)
_PRIVATE = re.compile(r"(.*?)\s*\((privately|direct message)\)", re.IGNORECASE)
_REPLY = re.compile(r'Replying to "(.*)"')
_REACTED = re.compile(r'Reacted to "(.*)" with (.+)')
_REMOVED = re.compile(r'Removed an? (.+?) reaction from "(.*)"')


@dataclass
class _Header:
    offset_ms: int
    sender: str
    recipient: str | None
    is_private: bool
    raw: list[str]
    body: list[str]
    indented: bool | None = None  # decided by the first non-blank body line


def parse_chat(data: bytes | str) -> list[ChatMessage]:
    """Parses a Zoom CHAT file.

    Args:
        data: the file, as downloaded (any of UTF-8/16/32 with or without BOM, cp1252, CRLF) or as text.

    Returns:
        The messages in file order, unparsed lines included.

    Raises:
        FileParseError: empty or binary file, or no line in either chat layout.
    """
    text = decode_file_text(data)
    if not text.strip():
        raise FileParseError("empty file")
    if looks_binary(text):
        raise FileParseError("not a text file (binary data)")
    messages: list[ChatMessage] = []
    open_header: _Header | None = None

    def close() -> None:
        nonlocal open_header
        if open_header is not None:
            messages.append(_from_header(len(messages) + 1, open_header))
            open_header = None

    for line in text.split("\n"):
        header = _header(line)
        if header is not None:
            close()
            if header.body:  # the message was on the header line
                messages.append(_from_header(len(messages) + 1, header))
            else:
                open_header = header
            continue
        tab = _TAB_LINE.fullmatch(line)
        if tab is not None:
            close()
            offset_ms = _offset_ms(tab.group(1, 2, 3))
            messages.append(
                ChatMessage(
                    len(messages) + 1, offset_ms, tab.group(4), None, False,
                    tab.group(5).strip(), "message", None, None, line,
                )
            )  # fmt: skip
            continue
        if open_header is not None and _is_body(open_header, line):
            open_header.raw.append(line)
            open_header.body.append(line.strip())
            continue
        close()
        if line.strip():
            messages.append(
                ChatMessage(
                    len(messages) + 1, None, None, None, False, line.strip(), "unparsed", None, None, line
                )
            )
    close()
    if all(message.kind == "unparsed" for message in messages):
        raise FileParseError(f"no chat message in either layout ({len(messages)} unrecognised lines)")
    return messages


def chat_rows(
    messages: Sequence[ChatMessage], meeting_uuid: str, meeting_start: datetime
) -> list[dict[str, Any]]:
    """Builds ``chat_messages`` rows, one per message (unparsed lines included, with no time).

    Args:
        messages: output of `parse_chat`.
        meeting_uuid: the instance UUID the file belongs to.
        meeting_start: when the meeting (recording) started (naive means UTC); chat times are offsets.

    Returns:
        Rows ``{meeting_uuid, sequence, sent_at, offset_ms, sender, recipient, is_private, kind,
        message, reply_to, reaction}``; ``sent_at`` is a UTC datetime or None.
    """
    start = to_utc(meeting_start)
    return [
        {
            "meeting_uuid": meeting_uuid,
            "sequence": m.sequence,
            "sent_at": None if m.offset_ms is None else start + timedelta(milliseconds=m.offset_ms),
            "offset_ms": m.offset_ms,
            "sender": m.sender,
            "recipient": m.recipient,
            "is_private": m.is_private,
            "kind": m.kind,
            "message": m.message,
            "reply_to": m.reply_to,
            "reaction": m.reaction,
        }
        for m in messages
    ]


def _is_body(header: _Header, line: str) -> bool:
    if not line.strip():
        return True
    if header.indented is None:
        header.indented = line[0] in " \t"
        return True
    return not header.indented or line[0] in " \t"


def _header(line: str) -> _Header | None:
    """Reads a ``HH:MM:SS From Sender to Recipient:`` header (message after ``" : "`` if inline)."""
    match = _HEADER.fullmatch(line)
    if match is None:
        return None
    rest = match.group(4)
    if rest.endswith(":"):
        head, inline = rest[:-1], None
    elif " : " in rest:
        head, inline = rest.split(" : ", 1)
    else:
        return None
    sender, recipient = _split_sender(head.strip())
    if not sender:
        return None
    is_private = False
    if recipient is not None:
        private = _PRIVATE.fullmatch(recipient)
        if private is not None:
            recipient, is_private = private.group(1).strip(), True
    body = [inline.strip()] if inline is not None and inline.strip() else []
    return _Header(_offset_ms(match.group(1, 2, 3)), sender, recipient, is_private, [line], body)


def _split_sender(head: str) -> tuple[str, str | None]:
    splits = list(_TO.finditer(head))
    if not splits:
        return head, None
    everyone = [m for m in splits if head[m.end() :].strip().lower() == "everyone"]
    cut = everyone[0] if everyone else splits[-1]
    return head[: cut.start()].strip(), head[cut.end() :].strip() or None


def _from_header(sequence: int, header: _Header) -> ChatMessage:
    body = list(header.body)
    while body and not body[-1]:
        body.pop()
    while body and not body[0]:
        body.pop(0)
    raw = list(header.raw)
    while len(raw) > 1 and not raw[-1].strip():
        raw.pop()
    kind: ChatKind = "message"
    reply_to = reaction = None
    if body:
        first = body[0]
        if (reply := _REPLY.fullmatch(first)) is not None:
            kind, reply_to, body = "reply", reply.group(1), body[1:]
        elif (reacted := _REACTED.fullmatch(first)) is not None:
            kind, reply_to, reaction, body = "reaction", reacted.group(1), reacted.group(2).strip(), body[1:]
        elif (removed := _REMOVED.fullmatch(first)) is not None:
            kind, reply_to, reaction, body = "reaction_removed", removed.group(2), removed.group(1), body[1:]
    while body and not body[0]:
        body.pop(0)
    return ChatMessage(
        sequence, header.offset_ms, header.sender, header.recipient, header.is_private,
        "\n".join(body), kind, reply_to, reaction, "\n".join(raw),
    )  # fmt: skip


def _offset_ms(parts: tuple[str, ...]) -> int:
    hours, minutes, seconds = (int(part) for part in parts)
    return ((hours * 60 + minutes) * 60 + seconds) * 1000
