"""Pytest fixture for the Kendo emulator (import it into a test module or a conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from . import KendoEmulator


@pytest.fixture
def kendo_emulator() -> Iterator[KendoEmulator]:
    """A fresh Kendo emulator per test (key `kendo-test-key`, no latency, not strict)."""
    with KendoEmulator() as emu:
        yield emu
