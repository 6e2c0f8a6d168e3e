"""Decoding downloaded text files: UTF-8 with a stray byte keeps every other character, NULs are dropped,
cp1252 only for files that are not UTF-8 at all, binary data stays binary."""

from __future__ import annotations

import pytest

from sources.zoom.chat import parse_chat
from sources.zoom.file_text import decode_file, looks_binary
from sources.zoom.transcripts import FileParseError, clean_transcript, parse_vtt

VTT = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nZoë Nguyen: ¿Nos vemos mañana? 🎉 It's fine.\n"


def test_a_stray_byte_in_utf8_replaces_only_that_byte() -> None:
    data = VTT.replace("'", "\x00").encode().replace(b"\x00", b"\x92")
    decoded = decode_file(data)
    assert decoded.text == VTT.replace("'", "\ufffd")
    assert (decoded.encoding, decoded.replaced, decoded.nuls_dropped) == ("utf-8", 1, 0)
    assert decoded.repairs == "1 invalid utf-8 byte sequence(s) replaced with U+FFFD"
    assert clean_transcript(parse_vtt(decoded.text)) == "Zoë Nguyen: ¿Nos vemos mañana? 🎉 It\ufffds fine."


def test_a_cut_multibyte_character_costs_one_character() -> None:
    data = VTT.encode().replace("ë".encode(), "ë".encode()[:1])  # the lead byte without its continuation
    decoded = decode_file(data)
    assert decoded.text == VTT.replace("ë", "\ufffd") and decoded.replaced == 1


def test_nul_bytes_are_dropped_and_counted_not_the_file() -> None:
    data = VTT.encode()
    data = data[:40] + b"\x00" + data[40:] + b"\x00"
    decoded = decode_file(data)
    assert decoded.text == VTT and decoded.nuls_dropped == 2 and decoded.replaced == 0
    assert decoded.repairs == "2 NUL byte(s) dropped"
    assert parse_vtt(data) == parse_vtt(VTT)


def test_a_file_that_is_not_utf8_at_all_is_read_as_cp1252() -> None:
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nZoë Müller: Könnten wir – bitte? It’s €5.\n"
    decoded = decode_file(text.encode("cp1252"))
    assert (decoded.text, decoded.encoding, decoded.repairs) == (text, "cp1252", None)


def test_ascii_with_one_high_byte_changes_only_that_character() -> None:
    decoded = decode_file(b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: caf\xe9 now\n")
    assert decoded.text.endswith("Ana: café now\n") and decoded.repairs is None


def test_a_genuine_replacement_character_is_not_counted_as_a_repair() -> None:
    decoded = decode_file(VTT.replace("🎉", "\ufffd").encode())
    assert decoded.replaced == 0 and decoded.repairs is None


@pytest.mark.parametrize(
    "data",
    [b"\x1f\x8b\x08\x00" + bytes(range(256)) * 3, b"\x00" * 64 + b"WEBVTT", bytes(range(256))],
)
def test_binary_data_is_still_refused(data: bytes) -> None:
    assert looks_binary(decode_file(data).text)
    with pytest.raises(FileParseError, match="binary"):
        parse_vtt(data)
    with pytest.raises(FileParseError, match="binary"):
        parse_chat(data)
