"""RunPlan's rules across runs (sources/zoom/refresh.py), on a plain dict standing in for the dlt state; the
end-to-end behaviour is in test_entity_refresh_e2e.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Dict

from sources.zoom.refresh import CHANNELS, ENTITY_FAMILIES, MEETINGS, WEBINARS, RunPlan, family_of

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
LAG = 2 * 86400.0


def plan(state: Dict[str, Any], hours_later: float = 0, force: bool = False) -> RunPlan:
    return RunPlan(NOW + timedelta(hours=hours_later), 24, LAG, force=force, stateless=False, state=state)


def test_families_come_from_the_registry() -> None:
    assert set(ENTITY_FAMILIES) == {MEETINGS, WEBINARS, CHANNELS}
    assert family_of("meeting_polls") == MEETINGS and family_of("channel_members") == CHANNELS
    assert family_of("meeting_poll_results") == "instances"


def test_refresh_is_due_after_the_period_or_when_forced() -> None:
    state: Dict[str, Any] = {}
    assert plan(state).begin(MEETINGS)  # never read: refresh
    assert not plan(state, 1).begin(MEETINGS)
    assert plan(state, 1, force=True).begin(MEETINGS)
    assert not plan(state, 23).begin(MEETINGS)  # the forced run restamped the time at +1 h
    assert plan(state, 25).begin(MEETINGS)


def test_changed_records_and_the_readers_keep_their_own_fingerprints() -> None:
    state: Dict[str, Any] = {}
    first = plan(state)
    first.begin(MEETINGS)
    assert first.changed("meetings", {"id": 1, "topic": "a"})
    second = plan(state, 1)
    assert not second.changed("meetings", {"id": 1, "topic": "a"})
    assert second.changed("meeting_instances", {"id": 1, "topic": "a"})  # its own reader: new to it
    third = plan(state, 2)
    assert third.changed("meetings", {"id": 1, "topic": "b"})
    assert third.changed("meetings", {"id": 1, "topic": "a"})  # first answer of the run is kept


def test_gone_parents_are_forgotten_at_the_refresh_and_empty_children_are_not() -> None:
    state: Dict[str, Any] = {}
    run = plan(state)
    run.begin(MEETINGS)
    run.remember("meetings", {"meeting_id": 7})
    run.remember("meeting_poll_results", {"meeting_uuid": "u1"})
    run.remember("meeting_participants", {"meeting_uuid": "u1"})  # may come later: not remembered
    idle = plan(state, 1)
    idle.begin(MEETINGS)
    assert idle.known("meetings", "meeting", {"meeting_id": 7})
    assert idle.known("meeting_poll_results", "meeting_poll_results", {"meeting_uuid": "u1"})
    assert not idle.known("past_meeting_qa", "past_meeting_qa", {"meeting_uuid": "u1"})
    assert not idle.known("meeting_participants", "meeting_participants", {"meeting_uuid": "u1"})
    assert idle.avoided_by_category() == {"Light": 1, "Medium": 1}
    refresh = plan(state, 25)
    assert not refresh.known("meetings", "meeting", {"meeting_id": 7})  # before its resource began, too
    refresh.begin(MEETINGS)
    assert not refresh.known("meetings", "meeting", {"meeting_id": 7})
    assert refresh.known("meeting_poll_results", "meeting_poll_results", {"meeting_uuid": "u1"})
    # an ended instance leaves every range after lag + two refresh periods: its memory goes too
    assert not plan(state, 24 * 6).known(
        "meeting_poll_results", "meeting_poll_results", {"meeting_uuid": "u1"}
    )


def test_avoided_counts_what_the_last_refresh_spent_on_a_family_not_due() -> None:
    state: Dict[str, Any] = {}
    full = plan(state)
    full.begin(CHANNELS)
    full.spend("channels", "channels", 4)
    full.spend("channel_members", "channel_members", 6)
    idle = plan(state, 1)
    assert not idle.begin(CHANNELS)
    assert sum(idle.avoided_by_category().values()) == 10
    assert idle.refreshed_families() == {CHANNELS: False}


def test_instance_listings_run_for_a_backfill_step_even_between_refreshes() -> None:
    state: Dict[str, Any] = {}
    step1 = plan(state)
    step1.begin(MEETINGS)
    assert step1.lists_all(MEETINGS, NOW - timedelta(days=90))  # step 1 of a backfill (refresh)
    assert plan(state, 1).lists_all(MEETINGS, NOW)  # step 2 reaches far past the last full listing
    assert not plan(state, 2).lists_all(MEETINGS, NOW + timedelta(hours=2))  # an hourly run


def test_an_empty_child_of_a_recent_instance_is_asked_again() -> None:
    """Poll results or Q&A empty right after a meeting may still come (a long meeting, Zoom's lag): only an
    instance older than the lag plus a day is remembered as empty."""
    state: Dict[str, Any] = {}
    run = plan(state)
    run.remember("meeting_poll_results", {"meeting_uuid": "recent"}, NOW - timedelta(hours=3))
    run.remember("meeting_poll_results", {"meeting_uuid": "old"}, NOW - timedelta(seconds=LAG, days=2))
    later = plan(state, 1)
    assert not later.known("meeting_poll_results", "meeting_poll_results", {"meeting_uuid": "recent"})
    assert later.known("meeting_poll_results", "meeting_poll_results", {"meeting_uuid": "old"})
