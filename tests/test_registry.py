"""The table registry (sources/zoom/registry.py) agrees with the emulator's own, independent table list,
and everything that lists tables derives from it."""

from __future__ import annotations

import re

import pytest

from emulators.zoom.app import ROUTER
from emulators.zoom.truth import TABLES as EMULATOR_TABLES
from pipelines.load import all_resources, resources_for
from pipelines.tables import table_rows
from sources.zoom import registry
from sources.zoom.settings import ENDPOINTS

# `calls` and `rejected_rows` sit beside the emulator's tables in its truth (its own top-level keys).
BESIDE_TABLES = {"calls", "rejected_rows"}
# tables written by `webhooks serve` from Zoom's events, not read from the API
EVENT_TABLES = {"webhook_events"}


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_registry_tables_are_the_emulators_tables() -> None:
    ours = {t.name for t in registry.visible()}
    assert ours == set(EMULATOR_TABLES) | BESIDE_TABLES | EVENT_TABLES


def test_every_endpoint_a_table_reads_is_emulated() -> None:
    emulated = {_shape(r.template) for r in ROUTER.routes}
    for t in registry.TABLES:
        if t.endpoint:
            assert _shape(ENDPOINTS[t.endpoint].path) in emulated, t.name


def test_every_entry_is_complete() -> None:
    names = {t.name for t in registry.TABLES}
    for t in registry.TABLES:
        if t.refresh is registry.Refresh.SIDE:
            assert t.made_by in names | {"*", registry.WEBHOOKS} and t.key, t.name
            assert set(t.also_made_by) <= names, t.name
            continue
        assert t.build and (t.parent is None or t.parent in names), t.name
        assert t.hidden or t.key, t.name
        if t.refresh is registry.Refresh.WINDOW:
            assert t.parent == registry.INSTANCES and t.kinds, t.name


def test_table_reference_and_resources_derive_from_the_registry() -> None:
    assert [r[0].strip("`") for r in table_rows()] == [t.name for t in registry.visible()]
    assert all_resources() == [t.name for t in registry.resources() if not t.hidden]
    known = all_resources()
    # `calls` is built by the meetings' recordings and by Zoom Phone's
    assert resources_for(["calls", "past_meeting_qa"], known) == [
        "phone_recordings",
        "past_meeting_qa",
        "recordings",
    ]
    assert "phone_recordings" in dict((r[0].strip("`"), r[3]) for r in table_rows())["calls"]
    assert resources_for(["rejected_rows"], known) == known
    with pytest.raises(ValueError, match="unknown resource"):
        resources_for(["meeting_invitations"], known)


def test_source_builds_one_resource_per_entry() -> None:
    from sources.zoom import zoom_source

    source = zoom_source(client=object())  # never called: only the resources are wanted
    assert list(source.resources) == [t.name for t in registry.resources()]
    assert {n for n, r in source.resources.items() if not r.selected} == {
        t.name for t in registry.TABLES if t.hidden
    }
