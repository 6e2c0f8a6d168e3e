"""A local Zoom API emulator (OAuth, /v2 GET endpoints, recording downloads, rate limits, faults, ground
truth). Independent of sources/ and destinations/. See docs/EMULATORS.md."""

from .config import Knobs
from .emulator import ZoomEmulator

__all__ = ["Knobs", "ZoomEmulator"]
