"""Admin routes: stats format, run-time config, reset."""

from __future__ import annotations

from datetime import datetime, timedelta

import requests

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi, encode_uuid, zoom_api, zoom_emulator

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["zoom_api", "zoom_emulator"]


def test_stats_count_templates_categories_and_statuses(
    zoom_emulator: ZoomEmulator, zoom_api: ZoomApi
) -> None:
    zoom_api.get("/users")
    inst = next(iter(zoom_emulator.state.data.instances.values()))
    zoom_api.get(f"/past_meetings/{encode_uuid(inst.uuid)}")
    zoom_api.get("/past_meetings/99999999999")
    stats = zoom_emulator.stats()
    assert set(stats) == {
        "requests",
        "categories",
        "status",
        "throttled",
        "errors",
        "peak_concurrency",
        "token_requests",
    }
    assert stats["requests"]["GET /v2/users"] == 1
    assert stats["requests"]["GET /v2/past_meetings/{meetingId}"] == 2
    assert stats["categories"] == {"Medium": 1, "Light": 2}
    assert stats["status"] == {"200": 3, "404": 1}  # the token request is a 200 too
    assert stats["errors"] == {"GET /v2/past_meetings/{meetingId} 404/3001": 1}
    assert stats["token_requests"] == 1 and stats["peak_concurrency"] >= 1


def test_config_changes_knobs_and_rejects_unknown(zoom_emulator: ZoomEmulator) -> None:
    assert zoom_emulator.configure(latency_ms=5)["latency_ms"] == 5
    resp = requests.post(f"{zoom_emulator.base_url}/_emulator/config", json={"latncy_ms": 5}, timeout=10)
    assert resp.status_code == 400 and "latncy_ms" in resp.json()["message"]
    zoom_emulator.configure(users=2)  # a data knob regenerates the account
    assert len(zoom_emulator.truth()["tables"]["users"]) == 2


def test_reset_restores_data_knobs_and_stats(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    truth = zoom_emulator.truth()
    zoom_emulator.add_meeting(participants=4)
    zoom_emulator.configure(users=3, latency_ms=10)
    zoom_emulator.reset()
    assert zoom_emulator.truth() == truth and zoom_emulator.config()["latency_ms"] == 0
    assert zoom_emulator.stats()["requests"] == {}
    assert zoom_api.get("/users").status_code == 200  # issued tokens survive a reset


def test_added_meeting_with_late_joiners_serves_their_late_first_join(
    zoom_emulator: ZoomEmulator, zoom_api: ZoomApi
) -> None:
    added = zoom_emulator.add_meeting(participants=4, late_joiners=2, duration=45)
    inst = zoom_emulator.state.data.instances[added["uuid"]]
    rows = zoom_api.json(f"/past_meetings/{encode_uuid(inst.uuid)}/participants")["participants"]
    first: dict = {}
    for r in rows:
        joined = datetime.fromisoformat(r["join_time"].replace("Z", "+00:00"))
        key = r["user_email"] or r["name"]
        first[key] = min(first.get(key, joined), joined)
    late = [t for t in first.values() if t > inst.start + timedelta(minutes=5)]
    assert len(late) == 2, first
    resp = requests.post(
        f"{zoom_emulator.base_url}/_emulator/meetings",
        json={"participants": 2, "late_joiners": 3},
        timeout=10,
    )
    assert resp.status_code == 400 and "late_joiners" in resp.json()["message"]
