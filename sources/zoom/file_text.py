"""Decoding of downloaded Zoom text files (TRANSCRIPT, CC, CHAT): BOMs, odd encodings, CRLF."""

from __future__ import annotations

import codecs

__all__ = ["decode_file_text", "looks_binary"]


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


def decode_file_text(data: bytes | str) -> str:
    """Decodes a downloaded Zoom text file without ever failing.

    Order: a BOM (UTF-8, UTF-16, UTF-32) decides; else BOM-less UTF-16 recognised by its NUL bytes; else
    strict UTF-8; else cp1252 (the usual legacy Windows
    encoding); else latin-1, which maps every byte.
    Undecodable sequences after a BOM become U+FFFD. Line endings are normalised to ``\\n``.

    Args:
        data: the file's bytes, or text already decoded.

    Returns:
        The text, without BOM, with ``\\n`` line endings.
    """
    if isinstance(data, str):
        text = data
    else:
        text = _decode_bytes(bytes(data))
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_bytes(data: bytes) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    # before UTF-8: ASCII text in UTF-16 is also valid UTF-8 (NUL is a legal code point)
    utf16 = _bomless_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; latin-1 maps all 256
        return data.decode("latin-1")


def looks_binary(text: str) -> bool:
    """Tells decoded text that is really binary data (NULs, control characters, replacement marks).

    Args:
        text: output of `decode_file_text`.

    Returns:
        True when more than one character in ten (or any NUL) is not text.
    """
    if "\x00" in text:
        return True
    odd = sum(1 for ch in text if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\n\t\f\v"))
    return odd * 10 > len(text)
