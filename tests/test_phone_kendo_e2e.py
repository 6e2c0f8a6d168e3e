"""Zoom Phone calls into Kendo: emulator → DuckDB → push → Kendo emulator in strict mode (it fetches every
audioUrl). Each recorded phone call arrives exactly once with its rep, date, duration and cleaned
transcript; a re-run sends nothing; `destination.kendo.sources` chooses meetings, phone, or both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from zoom_helpers import load, make_client, make_pipeline

from destinations.kendo.audio_urls import AudioUrlProvider
from destinations.kendo.errors import KendoConfigError
from destinations.kendo.push import call_sources
from destinations.kendo.staging import Stager
from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator
from pipelines.push import push_from_config

START = (datetime.now(UTC) - timedelta(days=100)).date().isoformat()
ACCOUNT = dict(
    seed=8,
    users=4,
    meetings_per_user=1,
    webinars=0,
    days_of_history=90,
    phone_licences=0.5,
    phone_calls_per_user=8,
    phone_transcript_faults={"12001": 1},
    rate_limits=False,
)
PHONE = ["phone_users", "phone_calls", "phone_recordings"]


def _push(pipeline, kendo: KendoEmulator, provider, **kw):
    report = push_from_config(
        pipeline, api_key=kendo.api_key, ingest_url=kendo.ingest_url, audio_url_fn=provider, **kw
    )
    assert not report.summary.failed and not report.summary.pending, report.lines()
    return report


def test_recorded_phone_calls_reach_kendo_once_with_rep_date_duration_and_transcript(tmp_path: Path) -> None:
    pipeline = make_pipeline("duckdb", tmp_path)
    with ZoomEmulator(**ACCOUNT) as zoom, KendoEmulator(strict=True) as kendo:
        load(pipeline, zoom, START, resources=["users", "recordings", *PHONE])
        truth = zoom.truth()
        expected = {c["recording_id"]: c for c in truth["phone"]["calls"]}
        assert len(expected) >= 4 and any(c["transcript"] is None for c in expected.values())
        provider = AudioUrlProvider(
            "stage", client=make_client(zoom), stager=Stager((tmp_path / "s").as_uri(), url_ttl=60)
        )
        try:
            _push(pipeline, kendo, provider, sources="meetings")
            meetings = kendo.received()
            assert meetings and all(b["metadata"]["source"] == "zoom" for b in meetings)

            _push(pipeline, kendo, provider)  # default: both; the meetings are already sent
            phone = [b for b in kendo.received() if b["metadata"]["source"] == "zoom_phone"]
            assert len(kendo.received()) == len(meetings) + len(phone)
            assert sorted(b["metadata"]["zoomRecordingId"] for b in phone) == sorted(expected)
            for body in phone:
                call = expected[body["metadata"]["zoomRecordingId"]]
                assert body["metadata"]["zoomCallHistoryId"] == call["call_history_uuid"]
                assert (body["repEmail"], body["repName"]) == (call["rep_email"], call["rep_name"])
                assert body["callDate"] == call["call_date"]
                assert body["duration"] == call["duration_minutes"]
                assert body.get("transcript") == call["transcript"]
                assert call["other_party"] in body["callTitle"]
                word = "Outbound call to" if call["direction"] == "outbound" else "Inbound call from"
                assert body["callTitle"].startswith(word)
                assert body["audioUrl"].startswith("http://127.0.0.1:")  # strict Kendo fetched it
            # phone keys never collide with meeting keys
            assert not {b["metadata"]["zoomRecordingId"] for b in phone} & {
                b["metadata"].get("zoomMeetingUuid") for b in meetings
            }

            again = _push(pipeline, kendo, provider)
            assert len(kendo.received()) == len(meetings) + len(phone)
            assert not again.summary.sent
        finally:
            provider.close()


def test_zoom_token_mode_sends_phone_calls_with_their_transcript_only(tmp_path: Path) -> None:
    """Zoom has no download token for Phone recordings: without staging, a phone call goes with its
    transcript and no audioUrl, and one without a transcript waits (skipped, not failed)."""
    pipeline = make_pipeline("duckdb", tmp_path)
    with ZoomEmulator(**ACCOUNT) as zoom, KendoEmulator(strict=True) as kendo:
        load(pipeline, zoom, START, resources=["users", *PHONE])
        calls = zoom.truth()["phone"]["calls"]
        report = _push(
            pipeline, kendo, AudioUrlProvider("zoom_token", client=make_client(zoom)), sources="phone"
        )
        bodies = kendo.received()
    assert len(bodies) == sum(1 for c in calls if c["transcript"])
    assert all("audioUrl" not in b and b["transcript"] for b in bodies)
    assert len(report.summary.skipped_no_transcript) == sum(1 for c in calls if not c["transcript"])


def test_sources_setting_is_checked() -> None:
    assert call_sources(None) == ("meetings", "phone")
    assert call_sources("phone") == ("phone",)
    assert call_sources(["Meetings", "phone"]) == ("meetings", "phone")
    assert call_sources('["phone"]') == ("phone",)  # DESTINATION__KENDO__SOURCES='["phone"]'
    assert call_sources("meetings, phone") == ("meetings", "phone")
    with pytest.raises(KendoConfigError, match="destination.kendo.sources"):
        call_sources("webinars")
    # `sources = true` or a table in TOML names the setting (was a bare TypeError, or a dict's keys taken)
    for odd in (True, 0, {"phone": 1}):
        with pytest.raises(KendoConfigError, match="destination.kendo.sources"):
            call_sources(odd)
