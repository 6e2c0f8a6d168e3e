"""Decoding of downloaded Zoom text files (TRANSCRIPT, CC, CHAT): BOMs, odd encodings, CRLF."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

__all__ = ["DecodedText", "decode_file", "decode_file_text", "looks_binary"]


# (BOM, codec): longest first, so a UTF-32 LE BOM is not read as UTF-16 LE
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bomless_utf16(data: bytes) -> str | None:
    """Names the UTF-16 byte order of BOM-less text that is mostly ASCII, from where its NULs sit."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0)
    odd_nuls = data[1::2].count(0)
    half = len(data) // 2
    if odd_nuls > half * 0.6 and even_nuls < half * 0.1:
        return "utf-16-le"
    if even_nuls > half * 0.6 and odd_nuls < half * 0.1:
        return "utf-16-be"
    return None


@dataclass(frozen=True)
class DecodedText:
    """A decoded text file and what decoding had to repair.

    Attributes:
        text: the text, without BOM and NUL bytes, with ``\\n`` line endings.
        encoding: the codec used (``utf-8``, ``utf-16-le``, ``cp1252``, ...).
        replaced: undecodable byte sequences replaced by U+FFFD.
        nuls_dropped: NUL bytes removed from a text file.
    """

    text: str
    encoding: str
    replaced: int = 0
    nuls_dropped: int = 0

    @property
    def repairs(self) -> str | None:
        """What was repaired, for a ``file_errors`` row; None when the file decoded cleanly."""
        notes = []
        if self.replaced:
            notes.append(f"{self.replaced} invalid {self.encoding} byte sequence(s) replaced with U+FFFD")
        if self.nuls_dropped:
            notes.append(f"{self.nuls_dropped} NUL byte(s) dropped")
        return "; ".join(notes) or None


def decode_file(data: bytes | str) -> DecodedText:
    """Decodes a downloaded Zoom text file without ever failing, keeping every character it can.

    Order: a BOM (UTF-8, UTF-16, UTF-32) decides; else BOM-less UTF-16 recognised by its NUL bytes; else
    UTF-8, with only the invalid bytes replaced by U+FFFD, when the file holds any valid multi-byte UTF-8
    sequence or no invalid one; else (not UTF-8 at all) cp1252, the usual legacy Windows encoding; else
    latin-1, which maps every byte. NUL bytes in text are dropped (in binary data they stay, so
    `looks_binary` still tells it). Line endings are normalised to ``\\n``.

    Args:
        data: the file's bytes, or text already decoded.

    Returns:
        The text and the count of what was repaired.
    """
    if isinstance(data, str):
        text, encoding, replaced = data, "utf-8", 0
    else:
        text, encoding, replaced = _decode_bytes(bytes(data))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    nuls = text.count("\x00")
    if nuls and not looks_binary(text):
        text = text.replace("\x00", "")
    else:
        nuls = 0
    return DecodedText(text, encoding, replaced, nuls)


def decode_file_text(data: bytes | str) -> str:
    """The text of `decode_file`: no BOM, no NUL bytes in text, ``\\n`` line endings.

    Args:
        data: the file's bytes, or text already decoded.

    Returns:
        The text.
    """
    return decode_file(data).text


def _decode_bytes(data: bytes) -> tuple[str, str, int]:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _replacing(data[len(bom) :], codec)
    # before UTF-8: ASCII text in UTF-16 is also valid UTF-8 (NUL is a legal code point)
    utf16 = _bomless_utf16(data)
    if utf16:
        return _replacing(data, utf16)
    text, _, replaced = _replacing(data, "utf-8")
    if not replaced:
        return text, "utf-8", 0
    # a valid multi-byte sequence means UTF-8 with a few stray bytes; none means another encoding
    if sum(1 for ch in text if ord(ch) > 127) > replaced:
        return text, "utf-8", replaced
    try:
        return data.decode("cp1252"), "cp1252", 0
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps all 256
        return data.decode("latin-1"), "latin-1", 0


def _replacing(data: bytes, codec: str) -> tuple[str, str, int]:
    """Decodes with U+FFFD for invalid sequences; counts the ones decoding added (not those in the file)."""
    text = data.decode(codec, errors="replace")
    genuine = data.count("\ufffd".encode(codec)) if codec.startswith("utf-8") else 0
    return text, codec, max(0, text.count("\ufffd") - genuine)


def looks_binary(text: str) -> bool:
    """Tells decoded text that is really binary data (NULs, control characters, replacement marks).

    Args:
        text: output of `decode_file_text`.

    Returns:
        True when more than one character in ten is not text (NULs and other control characters,
        replacement marks).
    """
    odd = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\t\f\v"))
    return odd * 10 > len(text)
