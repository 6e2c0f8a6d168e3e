"""Pure unit tests of the Zoom client pieces: UUID encoding, Retry-After, pacing math, errors, config."""

from __future__ import annotations

import os
import stat
import threading
from datetime import UTC, datetime, timedelta

import dlt
import pytest

from sources.zoom import settings
from sources.zoom.auth import RefreshTokenStore, ZoomAuth
from sources.zoom.client import Page, encode_path_param, parse_retry_after, record_identity
from sources.zoom.credentials import TZoomCredentials, ZoomCredentials, ZoomUserCredentials
from sources.zoom.errors import (
    ZoomAuthError,
    ZoomBadRequest,
    ZoomDailyLimitReached,
    ZoomFeatureUnavailable,
    ZoomNotFound,
    ZoomPageTokenExpired,
    ZoomScopeError,
    error_from_response,
    parse_scopes,
)
from sources.zoom.ratelimit import RateLimiter, next_utc_midnight, to_category
from sources.zoom.settings import Category

# ---- UUID encoding (ZOOM_API §2.1) ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw, encoded",
    [
        ("aDYlohsHRtCd4ii1uC2+hA==", "aDYlohsHRtCd4ii1uC2%2BhA%3D%3D"),
        ("/ajXp112QmuoKj4854875==", "%252FajXp112QmuoKj4854875%253D%253D"),
        ("ab//cd==", "ab%252F%252Fcd%253D%253D"),
        ("ab/cd==", "ab%2Fcd%3D%3D"),
        (85746065432, "85746065432"),
        ("me", "me"),
        ("user@example.com", "user%40example.com"),
    ],
)
def test_path_params_follow_zoom_uuid_rule(raw: object, encoded: str) -> None:
    assert encode_path_param(raw) == encoded


# ---- Retry-After ----------------------------------------------------------------------------

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


def test_retry_after_seconds() -> None:
    assert parse_retry_after("3", NOW) == (3.0, None)
    assert parse_retry_after(" 0.5 ", NOW) == (0.5, None)


def test_retry_after_iso_date_means_daily_reset() -> None:
    wait, when = parse_retry_after("2026-03-11T00:00:00Z", NOW)
    assert when == datetime(2026, 3, 11, tzinfo=UTC)
    assert wait == 12 * 3600


def test_retry_after_http_date_is_a_plain_wait() -> None:
    wait, when = parse_retry_after("Tue, 10 Mar 2026 12:00:05 GMT", NOW)
    assert when is None and wait == 5


@pytest.mark.parametrize("value", [None, "", "soon"])
def test_retry_after_missing_or_garbage(value: str | None) -> None:
    assert parse_retry_after(value, NOW) == (None, None)


# ---- rate limiter math with a fake clock -----------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.t += s


def _limiter(**kw: object) -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    lim = RateLimiter(clock=clock, sleep=clock.sleep, now=lambda: NOW, **kw)  # type: ignore[arg-type]
    return lim, clock


def test_plan_presets_and_overrides() -> None:
    lim, _ = _limiter(plan="business", overrides={"heavy": 5, "Resource_Intensive": 1})
    assert lim.limit(Category.LIGHT) == 80
    assert lim.limit("Heavy") == 5
    assert lim.limit(Category.RESOURCE_INTENSIVE) == 1
    assert RateLimiter().limit("Light") == settings.RATE_LIMIT_PLANS["pro"][Category.LIGHT]
    with pytest.raises(ValueError, match="rate_limit_plan"):
        RateLimiter("enterprise-ultra")
    with pytest.raises(ValueError):
        to_category("Super-heavy")


def test_slots_are_evenly_spaced_no_burst() -> None:
    lim, clock = _limiter(overrides={"Heavy": 10}, headroom=1.0)
    waits = [lim.reserve("Heavy") for _ in range(5)]
    assert waits == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    # after an idle spell the schedule does not bank credit (burst=1)
    clock.t += 10
    assert [lim.reserve("Heavy") for _ in range(2)] == pytest.approx([0.0, 0.1])


def test_small_burst_then_steady_rate() -> None:
    lim, _ = _limiter(overrides={"Light": 10}, headroom=1.0, burst=3)
    waits = [lim.reserve("Light") for _ in range(6)]
    assert waits == pytest.approx([0.0, 0.0, 0.0, 0.1, 0.2, 0.3])


def test_headroom_paces_slightly_under_the_limit() -> None:
    lim, clock = _limiter(overrides={"Medium": 20})
    n = 200
    for _ in range(n):
        lim.acquire("Medium")
    assert n / (clock.t - 1000.0) == pytest.approx(20 * lim.headroom, rel=0.01)


def test_categories_are_independent() -> None:
    lim, _ = _limiter(overrides={"Heavy": 1, "Light": 100}, headroom=1.0)
    lim.reserve("Heavy")
    assert lim.reserve("Light") == 0.0
    assert lim.reserve("Heavy") == pytest.approx(1.0)


def test_throttle_slows_down_then_recovers() -> None:
    lim, _ = _limiter(overrides={"Light": 10}, headroom=1.0)
    lim.on_throttled("Light", pause=2.0)
    assert lim.rate("Light") == pytest.approx(8.0)
    assert lim.reserve("Light") == pytest.approx(2.0)
    for _ in range(100):
        lim.on_success("Light")
    assert lim.rate("Light") == pytest.approx(10.0)


def test_many_threads_get_distinct_slots() -> None:
    lim, _ = _limiter(overrides={"Light": 100}, headroom=1.0)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        w = lim.reserve("Light")
        with lock:
            waits.append(w)

    threads = [threading.Thread(target=take) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(i * 0.01, 6) for i in range(50)]


def test_daily_cap_counts_heavy_and_resource_intensive_together() -> None:
    lim, _ = _limiter(daily_cap=3, overrides={"Heavy": 1000, "Resource-intensive": 1000})
    lim.reserve("Heavy")
    lim.reserve("Resource-intensive")
    lim.reserve("Light")  # not counted
    lim.reserve("Heavy")
    assert lim.daily_used == 3
    with pytest.raises(ZoomDailyLimitReached) as e:
        lim.reserve("Resource-intensive")
    assert e.value.resume_at == datetime(2026, 3, 11, tzinfo=UTC)
    assert "2026-03-11T00:00:00Z" in str(e.value)
    lim.reserve("Light")  # other categories keep going


def test_daily_limit_reported_by_zoom_blocks_until_resume() -> None:
    now = [NOW]
    clock = FakeClock()
    lim = RateLimiter(clock=clock, sleep=clock.sleep, now=lambda: now[0])
    resume = lim.on_daily_limit("Heavy", NOW + timedelta(hours=1))
    with pytest.raises(ZoomDailyLimitReached):
        lim.reserve("Resource-intensive")
    now[0] = resume + timedelta(seconds=1)
    lim.reserve("Heavy")
    assert next_utc_midnight(NOW) == datetime(2026, 3, 11, tzinfo=UTC)


# ---- errors -------------------------------------------------------------------------------


def test_scope_errors_list_the_scopes() -> None:
    msg = "Invalid access token, does not contain scopes:[cloud_recording:read:list_user_recordings:admin, report:read:admin]"
    assert parse_scopes(msg) == ["cloud_recording:read:list_user_recordings:admin", "report:read:admin"]
    err = error_from_response(400, {"code": 4711, "message": msg}, "recordings")
    assert isinstance(err, ZoomScopeError) and isinstance(err, ZoomAuthError)
    assert err.scopes == ["cloud_recording:read:list_user_recordings:admin", "report:read:admin"]
    assert "report:read:admin" in str(err) and err.endpoint == "recordings" and err.code == 4711


@pytest.mark.parametrize(
    "status, code, cls",
    [
        (404, 1001, ZoomNotFound),
        (404, 3001, ZoomNotFound),
        (404, 3301, ZoomNotFound),
        (404, 3322, ZoomNotFound),
        (400, 12702, ZoomNotFound),
        (400, 200, ZoomFeatureUnavailable),
        (400, 4400, ZoomFeatureUnavailable),
        (400, 3000, ZoomFeatureUnavailable),
        (400, 3161, ZoomFeatureUnavailable),
        (400, 300, ZoomBadRequest),
        (401, 124, ZoomAuthError),
        (404, 4130, ZoomNotFound),
    ],
)
def test_error_codes_map_to_types(status: int, code: int, cls: type) -> None:
    err = error_from_response(status, {"code": code, "message": "x"}, "meeting")
    assert type(err) is cls
    assert (err.status, err.code, err.endpoint) == (status, code, "meeting")


def test_expired_page_token_is_recognised() -> None:
    body = {"code": 300, "message": "The next page token is invalid or expired."}
    assert isinstance(error_from_response(400, body, "users"), ZoomPageTokenExpired)


# ---- records and pages ----------------------------------------------------------------------


def test_record_identity_ignores_key_order() -> None:
    assert record_identity({"a": 1, "b": [1, 2]}) == record_identity({"b": [1, 2], "a": 1})
    assert record_identity({"a": 1}) != record_identity({"a": 2})


def test_page_is_a_list_with_envelope() -> None:
    p = Page([{"id": 1}], {"from": "2026-01-01", "to": "2026-01-31"})
    assert p == [{"id": 1}] and p.envelope["from"] == "2026-01-01"


# ---- credentials and config -----------------------------------------------------------------


def test_credentials_resolve_from_dlt_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__ACCOUNT_ID", "acc")
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__CLIENT_ID", "cid")
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET", "csecret-xyz")

    @dlt.source(name="zoom")
    def probe(credentials: TZoomCredentials = dlt.secrets.value):  # type: ignore[no-untyped-def]
        got.append(credentials)
        return dlt.resource([1], name="x")

    got: list[TZoomCredentials] = []
    probe()
    creds = got[0]
    assert isinstance(creds, ZoomCredentials)
    assert (creds.account_id, creds.client_id, creds.client_secret) == ("acc", "cid", "csecret-xyz")
    assert "csecret" not in repr(creds)
    auth = ZoomAuth(creds, "http://127.0.0.1:9/oauth/token")
    assert "csecret" not in repr(auth)


def test_user_oauth_credentials_resolve(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike) -> None:
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__CLIENT_ID", "cid")
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET", "csecret")
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__REFRESH_TOKEN", "rt-1")
    monkeypatch.setenv("SOURCES__ZOOM__CREDENTIALS__REFRESH_TOKEN_FILE", str(tmp_path) + "/rt.json")

    @dlt.source(name="zoom")
    def probe(credentials: TZoomCredentials = dlt.secrets.value):  # type: ignore[no-untyped-def]
        got.append(credentials)
        return dlt.resource([1], name="x")

    got: list[TZoomCredentials] = []
    probe()
    creds = got[0]
    assert isinstance(creds, ZoomUserCredentials)
    assert creds.refresh_token == "rt-1" and creds.refresh_token_file.endswith("rt.json")


def test_missing_credentials_name_the_setting() -> None:
    with pytest.raises(ZoomAuthError, match="sources.zoom.credentials.account_id"):
        ZoomAuth(ZoomCredentials(client_id="a", client_secret="b"))


def test_refresh_token_store_is_private_and_atomic(tmp_path: os.PathLike) -> None:
    seen: list[str] = []
    store = RefreshTokenStore(os.path.join(tmp_path, "sub", "rt.json"), on_rotate=seen.append)
    assert store.load() is None
    store.save("rt-new", seed="rt-old")
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    rec = store.load()
    assert rec is not None and rec["refresh_token"] == "rt-new" and "rt-old" not in str(rec)
    assert seen == ["rt-new"]
    assert os.listdir(os.path.dirname(store.path)) == ["rt.json"]  # no temp files left


def test_default_refresh_token_file_is_under_dlt_data_dir() -> None:
    store = RefreshTokenStore(client_id="abc")
    assert str(store.path).startswith(dlt.current.run_context().data_dir)
    assert store.path != RefreshTokenStore(client_id="other").path
