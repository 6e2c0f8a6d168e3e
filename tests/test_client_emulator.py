"""The Zoom client against the Zoom emulator (real HTTP on loopback; nothing of ours is mocked)."""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from emulators.zoom import ZoomEmulator
from sources.zoom.auth import ZoomAuth
from sources.zoom.client import ZoomClient
from sources.zoom.credentials import ZoomCredentials
from sources.zoom.errors import (
    ZoomAuthError,
    ZoomConfigError,
    ZoomDailyLimitReached,
    ZoomDownloadError,
    ZoomError,
    ZoomNotFound,
)
from sources.zoom.ratelimit import RateLimiter


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=7, users=5, latency_ms=0, plan="pro", rate_limits=True) as e:
        yield e


DEFAULT_KNOBS: dict[str, Any] = dict(
    token_ttl=3600,
    page_token_ttl=900,
    qps_overrides={},
    error_rate_5xx=0.0,
    drop_rate=0.0,
    force_429=0,
    retry_after=None,
    daily_cap=None,
    latency_ms=0,
)


@pytest.fixture(autouse=True)
def _fresh(emu: ZoomEmulator) -> None:
    emu.configure(**DEFAULT_KNOBS)
    emu.reset()


def make_client(emu: ZoomEmulator, overrides: dict[str, float] | None = None, **kw: Any) -> ZoomClient:
    """A client paced at `overrides` (the emulator's limits raised to match, so tests run fast)."""
    if overrides:
        emu.configure(qps_overrides=dict(overrides))
    creds = ZoomCredentials(
        account_id=emu.account_id, client_id=emu.client_id, client_secret=emu.client_secret
    )
    auth = kw.pop("auth", None) or ZoomAuth(creds, emu.token_url)
    kw.setdefault("backoff_base", 0.02)
    kw.setdefault("backoff_max", 0.2)
    base_url = kw.pop("base_url", emu.api_base)
    return ZoomClient(auth, base_url=base_url, limiter=RateLimiter("pro", overrides), **kw)


def user_ids(client: ZoomClient) -> list[str]:
    return [u["id"] for page in client.paginate("users", params={"status": "active"}) for u in page]


def recorded_instances(emu: ZoomEmulator, client: ZoomClient) -> list[dict[str, Any]]:
    """Recordings of every user over the emulator's whole history (month windows)."""
    from sources.zoom.windows import iter_windows

    out = []
    end = datetime.now(UTC).date() + timedelta(days=1)
    for uid in user_ids(client):
        for a, b in iter_windows(end - timedelta(days=120), end):
            for page in client.paginate(
                "recordings", user_id=uid, params={"from": a.isoformat(), "to": b.isoformat()}
            ):
                out.extend(page)
    return out


# ---- auth -----------------------------------------------------------------------------------


def test_thirty_threads_share_one_token(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Light": 1000})
    uid = user_ids(client)[0]
    before = emu.stats()["token_requests"]
    client.auth.invalidate()  # the burst below starts without a token
    barrier = threading.Barrier(30)

    def one(_: int) -> dict[str, Any]:
        barrier.wait()
        return client.get("user", user_id=uid)

    with ThreadPoolExecutor(30) as pool:
        results = list(pool.map(one, range(30)))
    assert all(r["id"] == uid for r in results)
    assert emu.stats()["token_requests"] - before == 1


def test_token_expiry_mid_run_is_invisible_to_callers(emu: ZoomEmulator) -> None:
    emu.configure(token_ttl=1.0)
    client = make_client(emu, overrides={"Light": 1000})
    uid = user_ids(client)[0]
    errors: list[BaseException] = []
    deadline = time.monotonic() + 3.5

    def loop() -> None:
        while time.monotonic() < deadline:
            try:
                client.get("user", user_id=uid)
            except BaseException as exc:  # noqa: BLE001 - any failure fails the test
                errors.append(exc)

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert emu.stats()["token_requests"] >= 3


def test_401_refreshes_once_and_retries(emu: ZoomEmulator) -> None:
    """A token Zoom stopped accepting (here: expired while we think it is fresh) is replaced on a 401."""
    emu.configure(token_ttl=1.0)
    frozen = [0.0]
    creds = ZoomCredentials(
        account_id=emu.account_id, client_id=emu.client_id, client_secret=emu.client_secret
    )
    auth = ZoomAuth(creds, emu.token_url, clock=lambda: frozen[0])
    client = make_client(emu, auth=auth, overrides={"Light": 1000})
    uid = user_ids(client)[0]
    time.sleep(1.2)  # server-side expiry; our clock says the token is still fresh
    before = emu.stats()["token_requests"]
    assert client.get("user", user_id=uid)["id"] == uid
    assert emu.stats()["token_requests"] - before == 1
    assert client.stats()["Light"]["retries"] == 1


def test_bad_credentials_name_the_setting(emu: ZoomEmulator) -> None:
    bad = ZoomCredentials(account_id=emu.account_id, client_id=emu.client_id, client_secret="wrong")
    client = make_client(emu, auth=ZoomAuth(bad, emu.token_url))
    with pytest.raises(ZoomAuthError, match=r"sources\.zoom\.credentials\.client_secret"):
        client.get("users")
    bad_acc = ZoomCredentials(account_id="nope", client_id=emu.client_id, client_secret=emu.client_secret)
    with pytest.raises(ZoomAuthError, match=r"sources\.zoom\.credentials\.account_id"):
        make_client(emu, auth=ZoomAuth(bad_acc, emu.token_url)).get("users")


def test_regional_api_url_from_token_response(emu: ZoomEmulator) -> None:
    creds = ZoomCredentials(
        account_id=emu.account_id, client_id=emu.client_id, client_secret=emu.client_secret
    )
    client = ZoomClient(ZoomAuth(creds, emu.token_url))  # no base_url: taken from the token's api_url
    assert client.base_url == emu.api_base
    assert client.get("users")["users"]


# ---- pacing and rate limits -------------------------------------------------------------------


def test_fifty_thread_burst_stays_within_qps(emu: ZoomEmulator) -> None:
    emu.configure(qps_overrides={"Medium": 10})
    client = make_client(emu, overrides={"Medium": 10}, pool_size=50)
    client.get("user", user_id=user_ids(client)[0])  # token + warm connection; "users" above was Medium
    start_429 = emu.stats()["status"].get("429", 0)
    t0 = time.monotonic()
    with ThreadPoolExecutor(50) as pool:
        list(pool.map(lambda _: client.get("users", params={"status": "active"}), range(50)))
    elapsed = time.monotonic() - t0
    stats = emu.stats()
    assert stats["status"].get("429", 0) == start_429
    assert stats["throttled"].get("Medium", 0) == 0
    assert client.stats()["Medium"]["throttled"] == 0
    assert elapsed >= 49 / 10 * 0.9  # paced, not bursty


def test_429_with_retry_after_waits_that_long(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000})
    client.get("users")
    emu.configure(force_429=1, retry_after=1.5)
    t0 = time.monotonic()
    assert client.get("users")["users"]
    assert time.monotonic() - t0 >= 1.5
    assert client.stats()["Medium"]["throttled"] == 1


def test_429_without_retry_after_backs_off_and_succeeds(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000})
    emu.configure(force_429=2, retry_after=None)
    assert client.get("users")["users"]
    assert client.stats()["Medium"]["throttled"] == 2


def _heavy_call(client: ZoomClient, uid: str) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    return client.get(
        "report_meetings",
        user_id=uid,
        params={"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()},
    )


def test_daily_cap_stops_cleanly_with_resume_time(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Heavy": 1000})
    uid = user_ids(client)[0]
    emu.configure(daily_cap=2)
    _heavy_call(client, uid)
    _heavy_call(client, uid)
    midnight = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    # Zoom answers 429 + Retry-After: <ISO date> (a fresh client that did not count the requests)
    fresh = make_client(emu, overrides={"Heavy": 1000})
    t0 = time.monotonic()
    with pytest.raises(ZoomDailyLimitReached) as e:
        _heavy_call(fresh, uid)
    assert time.monotonic() - t0 < 5
    assert e.value.resume_at == midnight
    assert midnight.strftime("%Y-%m-%dT00:00:00Z") in str(e.value)
    # the client that saw X-RateLimit-Remaining: 0 stops without asking Zoom again
    sent = emu.stats()["categories"].get("Heavy", 0)
    with pytest.raises(ZoomDailyLimitReached):
        _heavy_call(client, uid)
    assert emu.stats()["categories"].get("Heavy", 0) == sent
    # other categories keep working
    assert client.get("users")["users"]


# ---- retries ----------------------------------------------------------------------------------


def test_5xx_are_retried_then_succeed(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Light": 1000, "Medium": 1000}, max_attempts=12)
    uid = user_ids(client)[0]
    emu.configure(error_rate_5xx=0.5)
    for _ in range(20):
        assert client.get("user", user_id=uid)["id"] == uid
    assert client.stats()["Light"]["retries"] > 0
    assert emu.stats()["status"].get("500", 0) + emu.stats()["status"].get("503", 0) > 0 or any(
        k.startswith("5") for k in emu.stats()["status"]
    )


def test_dropped_connections_are_retried_then_succeed(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Light": 1000, "Medium": 1000}, max_attempts=12)
    uid = user_ids(client)[0]
    emu.configure(drop_rate=0.4)
    for _ in range(20):
        assert client.get("user", user_id=uid)["id"] == uid
    assert client.stats()["Light"]["retries"] > 0


def test_retries_are_bounded(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Light": 1000, "Medium": 1000}, max_attempts=3)
    uid = user_ids(client)[0]
    emu.configure(error_rate_5xx=1.0)
    with pytest.raises(ZoomError, match="gave up after 3 attempts"):
        client.get("user", user_id=uid)
    assert client.stats()["Light"]["requests"] == 3


def test_an_unreachable_host_is_retried_aloud_then_names_base_url(emu: ZoomEmulator, caplog) -> None:
    from emulators._server import free_port

    closed = f"http://127.0.0.1:{free_port()}/v2"  # nothing listens there
    client = make_client(emu, max_connect_attempts=3, base_url=closed)
    with caplog.at_level(logging.WARNING, logger="sources.zoom.client"):
        with pytest.raises(ZoomConfigError, match="connection refused") as e:
            client.get("users")
    assert e.value.setting == "sources.zoom.base_url" and "sources.zoom.base_url" in str(e.value)
    retries = [r.getMessage() for r in caplog.records if "cannot connect" in r.getMessage()]
    assert len(retries) == 2 and all("retrying" in m for m in retries), retries


def test_dropped_connections_keep_the_full_retry_budget(emu: ZoomEmulator) -> None:
    # a connection that opened and then broke is not a wrong address: max_connect_attempts doesn't apply
    client = make_client(
        emu, overrides={"Light": 1000, "Medium": 1000}, max_attempts=4, max_connect_attempts=1
    )
    uid = user_ids(client)[0]
    emu.configure(drop_rate=1.0)
    with pytest.raises(ZoomError, match="gave up after 4 attempts") as e:
        client.get("user", user_id=uid)
    assert not isinstance(e.value, ZoomConfigError)


def test_a_404_on_the_user_list_names_base_url(emu: ZoomEmulator) -> None:
    client = make_client(emu, base_url=emu.base_url)  # without /v2
    with pytest.raises(ZoomConfigError, match="404") as e:
        client.get("users")
    assert e.value.setting == "sources.zoom.base_url"


def test_a_web_page_where_the_user_list_should_be_names_base_url(emu: ZoomEmulator) -> None:
    client = make_client(emu, base_url=emu.base_url + "/rec/play")  # answers HTML 200, like zoom.us
    with pytest.raises(ZoomConfigError, match="expected JSON, got text/html") as e:
        client.get("users")
    assert e.value.setting == "sources.zoom.base_url"


def test_other_4xx_are_not_retried(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Light": 1000, "Medium": 1000})
    with pytest.raises(ZoomNotFound) as e:
        client.get("user", user_id="no-such-user")
    assert e.value.code == 1001 and e.value.endpoint == "user"
    assert client.stats()["Light"]["requests"] == 1


# ---- paging -----------------------------------------------------------------------------------


def test_paging_returns_every_record_once(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000})
    truth = {u["user_key"] for u in emu.truth()["tables"]["users"]}
    got = []
    for status in ("active", "inactive", "pending"):
        for page in client.paginate("users", params={"status": status, "page_size": 2}):
            got.extend(u.get("id") or f"pending:{u['email']}" for u in page)
    assert Counter(got) == Counter(truth)


def test_paging_survives_an_expired_page_token(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000})
    emu.configure(page_token_ttl=0.3)
    got = []
    pages = 0
    for page in client.paginate("users", params={"status": "active", "page_size": 2}):
        got.extend(u["id"] for u in page)
        pages += 1
        time.sleep(0.4)  # a slow consumer: the next page token has expired
    truth = [
        u["user_key"] for u in emu.truth()["tables"]["users"] if not u["user_key"].startswith("pending:")
    ]
    assert client.page_restarts >= 1
    assert sorted(got) == sorted(set(got))  # exactly once
    emu.configure(page_token_ttl=900)
    active = [u["id"] for p in client.paginate("users", params={"status": "active"}) for u in p]
    assert sorted(got) == sorted(active) and set(active) <= set(truth)


def test_page_envelope_keeps_echoed_fields(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000})
    uid = user_ids(client)[0]
    today = datetime.now(UTC).date()
    page = next(
        iter(
            client.paginate(
                "recordings",
                user_id=uid,
                params={"from": (today - timedelta(days=10)).isoformat(), "to": today.isoformat()},
            )
        )
    )
    assert "next_page_token" in page.envelope and "meetings" not in page.envelope
    assert page.envelope.get("page_size") == 300


# ---- UUIDs ------------------------------------------------------------------------------------


def test_double_encoded_uuids_reach_the_right_instance(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Light": 1000, "Medium": 1000})
    uuids = [r["uuid"] for r in emu.truth()["tables"]["past_meetings"]]
    tricky = [u for u in uuids if u.startswith("/") or "//" in u]
    plain = [u for u in uuids if not (u.startswith("/") or "//" in u) and ("+" in u or "/" in u)]
    assert tricky, "the emulator data should hold UUIDs that start with / or contain //"
    for u in tricky[:5] + plain[:3]:
        assert client.get("past_meetings", meeting_uuid=u)["uuid"] == u


# ---- downloads --------------------------------------------------------------------------------


def test_downloads_with_api_token_and_with_download_access_token(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000, "Light": 1000})
    recs = recorded_instances(emu, client)
    transcript = next(
        (f, r) for r in recs for f in r.get("recording_files", []) if f.get("file_type") == "TRANSCRIPT"
    )
    f, rec = transcript
    with_api = client.download_bytes(f["download_url"])
    assert with_api.lstrip().startswith(b"WEBVTT")
    assert client.stats()["Download"]["requests"] >= 1
    detail = client.get(
        "meeting_recordings", meeting_uuid=rec["uuid"], params={"include_fields": "download_access_token"}
    )
    token = detail.get("download_access_token")
    assert token, "meeting_recordings should return download_access_token when asked"
    with_dl = client.download_bytes(f["download_url"], access_token=token)
    assert with_dl == with_api
    media = next(
        f for r in recs for f in r.get("recording_files", []) if f.get("file_type") in ("MP4", "M4A")
    )
    chunks = list(client.download(media["download_url"], chunk_size=1024))
    assert sum(len(c) for c in chunks) == media["file_size"]
    with pytest.raises(ZoomDownloadError, match="max_bytes"):
        client.download_bytes(media["download_url"], max_bytes=100)


def test_html_instead_of_file_is_an_error(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000, "Light": 1000})
    recs = recorded_instances(emu, client)
    f = next(f for r in recs for f in r.get("recording_files", []) if f.get("play_url"))
    with pytest.raises(ZoomDownloadError, match="HTML page"):
        client.download_bytes(f["play_url"])  # a player page, not the file


def test_refused_download_token_falls_back_to_the_api_token(emu: ZoomEmulator) -> None:
    client = make_client(emu, overrides={"Medium": 1000, "Light": 1000})
    recs = recorded_instances(emu, client)
    f = next(f for r in recs for f in r.get("recording_files", []) if f.get("file_type") == "TRANSCRIPT")
    assert client.download_bytes(f["download_url"], access_token="a.b.c").lstrip().startswith(b"WEBVTT")


# ---- logging ----------------------------------------------------------------------------------


def test_logs_and_errors_hold_no_secrets(emu: ZoomEmulator) -> None:
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    seen: list[str] = []
    try:
        emu.configure(token_ttl=1.0)
        client = make_client(emu, overrides={"Light": 1000, "Medium": 1000, "Heavy": 1000})
        uid = user_ids(client)[0]
        client.get("user", user_id=uid)
        time.sleep(1.1)
        client.get("user", user_id=uid)
        recs = recorded_instances(emu, client)
        f = next(f for r in recs for f in r.get("recording_files", []) if f.get("file_type") == "TRANSCRIPT")
        client.download_bytes(f["download_url"])
        emu.configure(force_429=1, retry_after=0.1)
        client.get("user", user_id=uid)
        for bad in (
            lambda: client.get("user", user_id="nobody"),
            lambda: ZoomClient(
                ZoomAuth(
                    ZoomCredentials(
                        account_id=emu.account_id,
                        client_id=emu.client_id,
                        client_secret="wrong-" + emu.client_secret,
                    ),
                    emu.token_url,
                ),
                base_url=emu.api_base,
            ).get("users"),
        ):
            try:
                bad()
            except ZoomError as exc:
                seen += [str(exc), repr(exc)]
        seen += [repr(client), repr(client.auth), repr(client.auth.credentials)]
        client.log_summary()
        token = client.auth.token()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    text = buf.getvalue() + "\n".join(seen)
    assert "Zoom API usage" in text and "GET" in text  # the log did capture the run
    for secret in (token, emu.client_secret, token[5:25]):
        assert secret not in text
    assert "Authorization" not in text and "Bearer" not in text and "Basic " not in text


# ---- user OAuth (rotating refresh token) ----------------------------------------------------


def _initial_refresh_token(emu: ZoomEmulator) -> str:
    token = getattr(emu, "refresh_token", None)
    if token:
        return str(token)
    import hashlib

    return "emu-refresh-" + hashlib.sha256(b"refresh-7").hexdigest()[:32]  # the emulator's seed-7 token


def test_user_oauth_keeps_the_rotated_refresh_token(
    emu: ZoomEmulator, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    from sources.zoom.credentials import ZoomUserCredentials

    seed = _initial_refresh_token(emu)
    path = str(tmp_path / "zoom_rt.json")
    rotated: list[str] = []

    def user_client() -> ZoomClient:
        creds = ZoomUserCredentials(
            client_id=emu.client_id,
            client_secret=emu.client_secret,
            refresh_token=seed,
            refresh_token_file=path,
        )
        auth = ZoomAuth(creds, emu.token_url, on_refresh_token=rotated.append)
        return make_client(emu, auth=auth)

    assert user_client().get("users")["users"]
    assert len(rotated) == 1 and rotated[0] != seed
    # the next run (new process: fresh auth, same stale seed in secrets) reads the rotated token from the file
    assert user_client().get("users")["users"]
    assert len(rotated) == 2
    import json
    import os
    import stat

    assert json.load(open(path))["refresh_token"] == rotated[-1]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "refresh token" in caplog.text  # the rotation was logged, the tokens were not
    for secret in [seed, *rotated, emu.client_secret]:
        assert secret not in caplog.text


def test_invalid_refresh_token_names_the_setting(emu: ZoomEmulator, tmp_path: Any) -> None:
    from sources.zoom.credentials import ZoomUserCredentials

    creds = ZoomUserCredentials(
        client_id=emu.client_id,
        client_secret=emu.client_secret,
        refresh_token="stale-token",
        refresh_token_file=str(tmp_path / "rt.json"),
    )
    with pytest.raises(ZoomAuthError, match=r"sources\.zoom\.credentials\.refresh_token") as e:
        make_client(emu, auth=ZoomAuth(creds, emu.token_url)).get("users")
    assert "stale-token" not in str(e.value)
