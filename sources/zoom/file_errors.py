"""The one error the Zoom file parsers raise."""

from __future__ import annotations

__all__ = ["FileParseError"]


class FileParseError(ValueError):
    """A TRANSCRIPT, CC or CHAT file could not be parsed.

    Callers record ``reason`` in the ``file_errors`` table and carry on with the next file.

    Args:
        reason: what is wrong, e.g. ``"empty file"`` or ``"cue 12: bad timing line '00:01 -> x'"``.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
