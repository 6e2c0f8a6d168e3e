"""Rate limits (per-category token buckets, daily cap for Heavy + Resource-intensive) and fault knobs
(forced 429 bursts, 5xx, dropped connections, latency without serialising requests)."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests

from emulators.zoom.fixtures import ZoomApi, make_zoom_emulator, zoom_api, zoom_emulator
from emulators.zoom.ratelimit import DAILY_MESSAGE, QPS_MESSAGE

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["make_zoom_emulator", "zoom_api", "zoom_emulator"]


def test_headers_on_normal_responses(make_zoom_emulator) -> None:
    emu = make_zoom_emulator(plan="pro")
    api = ZoomApi(emu)
    light = api.get("/users/me")
    assert light.headers["X-RateLimit-Category"] == "Light"
    assert light.headers["X-RateLimit-Type"] == "QPS" and light.headers["X-RateLimit-Limit"] == "30"
    assert int(light.headers["X-RateLimit-Remaining"]) < 30
    medium = api.get("/users")
    assert (medium.headers["X-RateLimit-Category"], medium.headers["X-RateLimit-Limit"]) == ("Medium", "20")
    today = emu.state.data.now.date().isoformat()
    heavy = api.get("/report/users/me/meetings", **{"from": today, "to": today})
    assert heavy.headers["X-RateLimit-Category"] == "Heavy"
    assert (
        heavy.headers["X-RateLimit-Type"] == "Daily-limit" and heavy.headers["X-RateLimit-Limit"] == "30000"
    )
    assert heavy.headers["X-RateLimit-Remaining"] == "29999"


def test_per_category_buckets_burst_about_one_second(make_zoom_emulator) -> None:
    emu = make_zoom_emulator(plan="free")  # Light 4/s, Medium 2/s
    api = ZoomApi(emu)
    codes = [api.get("/users/me").status_code for _ in range(8)]
    assert codes[:4] == [200] * 4 and 429 in codes[4:]
    throttled = next(r for r in (api.get("/users/me") for _ in range(3)) if r.status_code == 429)
    assert throttled.json() == {"code": 429, "message": QPS_MESSAGE}
    assert (
        throttled.headers["X-RateLimit-Type"] == "QPS" and throttled.headers["X-RateLimit-Remaining"] == "0"
    )
    assert "Retry-After" not in throttled.headers
    assert api.get("/users").status_code == 200  # Medium has its own bucket
    time.sleep(0.3)  # refills at 4/s
    assert api.get("/users/me").status_code == 200
    stats = emu.stats()
    assert stats["throttled"]["Light"] >= 2 and "Medium" not in stats["throttled"]
    assert stats["status"]["429"] == sum(stats["throttled"].values())


def test_qps_override_and_disabled_limits(make_zoom_emulator) -> None:
    emu = make_zoom_emulator(qps_overrides={"Light": 3})
    api = ZoomApi(emu)
    assert [api.get("/users/me").status_code for _ in range(4)] == [200, 200, 200, 429]
    emu.configure(rate_limits=False)
    assert {api.get("/users/me").status_code for _ in range(20)} == {200}


def test_daily_cap_answers_429_with_iso_retry_after(make_zoom_emulator) -> None:
    emu = make_zoom_emulator(daily_cap=3, qps_overrides={"Heavy": 1000})
    api = ZoomApi(emu)
    uuid = next(
        i.uuid for i in emu.state.data.instances.values() if i.persons >= 2 and not i.parent.is_webinar
    )
    from emulators.zoom.fixtures import encode_uuid

    path = f"/report/meetings/{encode_uuid(uuid)}"
    remaining = [api.get(path).headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    capped = api.get(path)
    assert capped.status_code == 429 and capped.json() == {"code": 429, "message": DAILY_MESSAGE}
    assert capped.headers["X-RateLimit-Type"] == "Daily-limit"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00Z", capped.headers["Retry-After"])
    expected = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert capped.headers["Retry-After"].startswith(expected)
    assert api.get("/users/me").status_code == 200  # Light is not capped on pro
    assert emu.stats()["throttled"] == {"Heavy": 1}


def test_forced_429_burst_with_and_without_retry_after(zoom_emulator, zoom_api: ZoomApi) -> None:
    zoom_emulator.configure(force_429=2, retry_after=3)
    first, second, third = (zoom_api.get("/users") for _ in range(3))
    assert first.status_code == second.status_code == 429 and third.status_code == 200
    assert first.headers["Retry-After"] == "3" and first.json()["code"] == 429
    zoom_emulator.configure(force_429=1, retry_after=None)
    forced = zoom_api.get("/users")
    assert forced.status_code == 429 and "Retry-After" not in forced.headers
    # admin routes and OAuth are never faulted
    zoom_emulator.configure(force_429=5)
    assert zoom_emulator.truth()["tables"]["users"]
    assert zoom_emulator.access_token()


def test_5xx_and_dropped_connections_only_hit_the_api(zoom_emulator, zoom_api: ZoomApi) -> None:
    zoom_emulator.configure(error_rate_5xx=1.0)
    resp = zoom_api.get("/users")
    assert resp.status_code in (500, 502, 503, 504) and "code" in resp.json()
    zoom_emulator.configure(error_rate_5xx=0.0, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        zoom_api.session.get(zoom_emulator.api_base + "/users", timeout=5)
    assert zoom_emulator.access_token() and zoom_emulator.stats()["status"]["dropped"] == 1
    zoom_emulator.configure(drop_rate=0.0)
    assert zoom_api.get("/users").status_code == 200


def test_latency_does_not_serialise_requests(zoom_emulator, zoom_api: ZoomApi) -> None:
    zoom_emulator.configure(latency_ms=200, jitter_ms=20)
    headers = dict(zoom_api.session.headers)
    url = zoom_emulator.api_base + "/users/me"
    started = time.perf_counter()
    with ThreadPoolExecutor(20) as pool:
        codes = list(
            pool.map(lambda _: requests.get(url, headers=headers, timeout=10).status_code, range(20))
        )
    elapsed = time.perf_counter() - started
    assert codes == [200] * 20
    assert 0.18 <= elapsed < 1.5  # 20 × 200 ms in sequence would take 4 s
    assert zoom_emulator.stats()["peak_concurrency"] >= 10
