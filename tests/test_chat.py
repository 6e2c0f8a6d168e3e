"""Zoom CHAT files in both layouts: samples in tests/samples parse into exactly these messages and rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sources.zoom.chat import ChatMessage, chat_rows, parse_chat
from sources.zoom.file_errors import FileParseError

SAMPLES = Path(__file__).parent / "samples"
AGENDA = "Hi all, agenda is in the doc: ..."

NEW_LAYOUT = [
    ChatMessage(
        1, 72000, "Samson Zhang", "Everyone", False, "Hi all, agenda is in the doc: https://example.com/doc",
        "message", None, None,
        "00:01:12 From Samson Zhang To Everyone:\n\tHi all, agenda is in the doc: https://example.com/doc",
    ),
    ChatMessage(
        2, 90000, "Yuki Wang", "Everyone", False, "Thanks! Looking now", "reply", AGENDA, None,
        f'00:01:30 From Yuki Wang To Everyone:\n\tReplying to "{AGENDA}"\n\t\n\tThanks! Looking now',
    ),
    ChatMessage(
        3, 105000, "José Müller", "Everyone", False, "", "reaction", AGENDA, "👍",
        f'00:01:45 From José Müller To Everyone:\n\tReacted to "{AGENDA}" with 👍',
    ),
    ChatMessage(
        4, 110000, "José Müller", "Everyone", False, "", "reaction_removed", AGENDA, "👍",
        f'00:01:50 From José Müller To Everyone:\n\tRemoved a 👍 reaction from "{AGENDA}"',
    ),
    ChatMessage(
        5, 125000, "Zoë 🚀 (she/her)", "Samson Zhang", True, "can you share the deck?\nthe latest one",
        "message", None, None,
        "00:02:05 From Zoë 🚀 (she/her) to Samson Zhang(privately):\n\tcan you share the deck?\n\tthe latest one",
    ),
    ChatMessage(
        6, 130000, "Samson Zhang", "Zoë 🚀 (she/her)", True, "sure", "message", None, None,
        "00:02:10 From Samson Zhang to Zoë 🚀 (she/her)(Direct Message):\n\tsure",
    ),
    ChatMessage(
        7, None, None, None, False, "Meeting recording paused", "unparsed", None, None,
        "Meeting recording paused",
    ),
    ChatMessage(
        8, 180000, "Back to School Bot", "Everyone", False, "reminder: 5 minutes left", "message", None, None,
        "00:03:00 From Back to School Bot To Everyone:\n\treminder: 5 minutes left",
    ),
]  # fmt: skip

OLD_LAYOUT = [
    ChatMessage(1, 15000, "Samson Zhang", None, False, "Hello everyone", "message", None, None,
                "00:00:15\tSamson Zhang:\tHello everyone"),
    ChatMessage(2, 3484000, "Alex", None, False, "Depends on your teaching style, I guess.", "message", None, None,
                "00:58:04\tAlex:\tDepends on your teaching style, I guess."),
    ChatMessage(3, 3723000, "Dr. Who: The Doctor", None, False, "Time: relative\twith a tab", "message", None,
                None, "01:02:03\tDr. Who: The Doctor:\tTime: relative\twith a tab"),
    ChatMessage(4, None, None, None, False, "this line is not a message", "unparsed", None, None,
                "this line is not a message"),
    ChatMessage(5, 3900000, "Yuki Wang", None, False, "👍 😀", "message", None, None,
                "01:05:00\tYuki Wang:\t👍 😀"),
]  # fmt: skip


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_new_layout_with_replies_reactions_private_messages_and_an_unparsed_line():
    assert parse_chat(sample("chat_new.txt")) == NEW_LAYOUT


def test_old_tab_layout_with_colons_in_sender_tabs_in_message_and_an_unparsed_line():
    assert parse_chat(sample("chat_old.txt")) == OLD_LAYOUT


def test_utf16_be_bom_and_crlf_parse_like_the_utf8_file():
    assert parse_chat(sample("chat_new_utf16be_bom_crlf.txt")) == NEW_LAYOUT


def test_utf8_bom_and_text_input():
    text = sample("chat_old.txt").decode("utf-8")
    assert parse_chat(text) == OLD_LAYOUT
    assert parse_chat(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()) == OLD_LAYOUT


def test_cp1252_file_is_decoded_by_fallback():
    assert parse_chat(sample("chat_cp1252.txt")) == [
        ChatMessage(1, 5000, "José Müller", None, False, "café at 5 – ok?", "message", None, None,
                    "00:00:05\tJosé Müller:\tcafé at 5 – ok?"),
        ChatMessage(2, 9000, "François", "Everyone", False, "Oui, très bien", "message", None, None,
                    "00:00:09 From François To Everyone:\n\tOui, très bien"),
    ]  # fmt: skip


def test_unindented_bodies_run_to_the_next_header_and_inline_messages_are_read():
    text = (
        "00:00:01 From Ana to Everyone:\nfirst line\n\nsecond line\n"
        "00:00:02 From  Ben  to  Ana(Privately) : inline message\n"
        "00:00:03 From Ana to Everyone:\n"
    )
    assert [(m.sender, m.recipient, m.is_private, m.message, m.kind) for m in parse_chat(text)] == [
        ("Ana", "Everyone", False, "first line\n\nsecond line", "message"),
        ("Ben", "Ana", True, "inline message", "message"),
        ("Ana", "Everyone", False, "", "message"),
    ]


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty.vtt", "empty file"),
        ("blank.txt", "empty file"),
        ("garbage.bin", "not a text file (binary data)"),
        ("chat_garbage.txt", "no chat message in either layout (2 unrecognised lines)"),
    ],
)
def test_unusable_chat_files_raise_file_parse_error_with_reason(name, reason):
    with pytest.raises(FileParseError) as raised:
        parse_chat(sample(name))
    assert raised.value.reason == reason


def test_truncated_chat_keeps_complete_messages_and_the_cut_line_as_unparsed():
    data = sample("chat_old.txt")
    cut = data[: data.index(b"01:05:00") + 5]
    assert parse_chat(cut) == [*OLD_LAYOUT[:4], ChatMessage(5, None, None, None, False, "01:05", "unparsed",
                                                           None, None, "01:05")]  # fmt: skip


def test_chat_rows_have_absolute_utc_send_times():
    start = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
    rows = chat_rows(NEW_LAYOUT[1:3] + NEW_LAYOUT[6:7], "abc==", start)
    assert rows == [
        {
            "meeting_uuid": "abc==", "sequence": 2, "sent_at": datetime(2024, 5, 6, 9, 1, 30, tzinfo=UTC),
            "offset_ms": 90000, "sender": "Yuki Wang", "recipient": "Everyone", "is_private": False,
            "kind": "reply", "message": "Thanks! Looking now", "reply_to": AGENDA, "reaction": None,
        },
        {
            "meeting_uuid": "abc==", "sequence": 3, "sent_at": datetime(2024, 5, 6, 9, 1, 45, tzinfo=UTC),
            "offset_ms": 105000, "sender": "José Müller", "recipient": "Everyone", "is_private": False,
            "kind": "reaction", "message": "", "reply_to": AGENDA, "reaction": "👍",
        },
        {
            "meeting_uuid": "abc==", "sequence": 7, "sent_at": None, "offset_ms": None, "sender": None,
            "recipient": None, "is_private": False, "kind": "unparsed", "message": "Meeting recording paused",
            "reply_to": None, "reaction": None,
        },
    ]  # fmt: skip
