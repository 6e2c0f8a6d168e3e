"""Zoom Phone is paced in its own buckets (Phone's table per plan), beside the meeting APIs' buckets: a load
of both against the emulator with Zoom's limits on gets no 429 in any bucket."""

from __future__ import annotations

import concurrent.futures as cf
from datetime import UTC, datetime, timedelta

from zoom_helpers import load, make_client, make_pipeline

from destinations.kendo.audio_urls import AudioUrlProvider
from emulators.zoom import ZoomEmulator
from sources.zoom.phone_client import make_phone_client, phone_client_for, phone_limiter


def test_phone_limits_per_plan() -> None:
    pro, business = phone_limiter("pro"), phone_limiter("business")
    assert [pro.limit(c) for c in ("Light", "Medium", "Heavy")] == [20, 10, 5]
    assert [business.limit(c) for c in ("Light", "Medium", "Heavy")] == [40, 20, 10]
    assert (pro.daily_cap, business.daily_cap) == (15_000, 30_000)
    assert phone_limiter("free").limit("Light") == 20  # Phone needs a paid plan: paced like Pro


def test_phone_client_shares_the_token_and_session_not_the_buckets() -> None:
    with ZoomEmulator(rate_limits=False) as emu:
        client = make_client(emu, overrides={}, plan="business")
        phone = make_phone_client(client)
    assert phone.auth is client.auth and phone.session is client.session and phone.stop is client.stop
    assert phone.limiter is not client.limiter
    assert (phone.limiter.limit("Light"), client.limiter.limit("Light")) == (40, 80)


def test_phone_and_meetings_load_together_without_a_429(tmp_path) -> None:
    start = (datetime.now(UTC) - timedelta(days=35)).date().isoformat()
    knobs = dict(seed=3, users=3, meetings_per_user=1, webinars=0, days_of_history=30, participants=3)
    with ZoomEmulator(plan="pro", phone_licences=1.0, phone_calls_per_user=6, **knobs) as emu:
        pipeline = make_pipeline("duckdb", tmp_path)
        summary = load(pipeline, emu, start, client=make_client(emu, overrides={}))  # Pro's own limits
        stats = emu.stats()
    assert stats["categories"].get("Phone Light") and stats["categories"].get("Medium")
    assert sum(stats["throttled"].values()) == 0, stats["throttled"]
    assert all(s["throttled"] == 0 for s in summary.requests.values())
    assert summary.rows.get("phone_recordings") and summary.rows.get("past_meetings")


def test_staged_phone_audio_is_downloaded_in_phones_medium_bucket(tmp_path) -> None:
    """A push in `stage` mode downloads Phone recordings (`GET /phone/recording/download/{fileId}`, Phone
    Medium, ZOOM_API §10.2) through the Phone client: paced in Phone's buckets, so a burst gets no 429."""
    knobs = dict(
        seed=3, users=2, meetings_per_user=0, webinars=0, days_of_history=20, phone_transcript_faults={}
    )
    with ZoomEmulator(plan="pro", phone_licences=1.0, phone_calls_per_user=16, **knobs) as emu:
        client = make_client(emu, overrides={})  # Pro's own limits: Phone Medium 10/s
        provider = AudioUrlProvider.from_config(
            "stage",
            client=client,
            phone_client_for=phone_client_for,
            stage_bucket_url=(tmp_path / "stage").as_uri(),
            stage_url_ttl=60,
        )
        rows = [
            {
                "meeting_uuid": f"zoom_phone:{r.id}",
                "source": "zoom_phone",
                "audio_file_id": r.file_id,
                "audio_url": f"{emu.api_base}/phone/recording/download/{r.file_id}",
            }
            for r in emu.state.data.phone.recordings
        ]
        assert len(rows) >= 20, "a burst above Phone Medium's 10/s is what is tested"
        try:
            with cf.ThreadPoolExecutor(16) as pool:
                urls = list(pool.map(provider.audio_url, rows))
        finally:
            provider.close()
        stats = emu.stats()
    assert all(url for url, _ in urls)
    assert stats["categories"].get("Phone Medium") == len(rows)
    assert sum(stats["throttled"].values()) == 0, stats["throttled"]
    assert phone_client_for(client).stats()["Medium"]["requests"] == len(rows)
