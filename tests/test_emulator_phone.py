"""The emulator's Zoom Phone (the 2026 call-history API): every route validates against Zoom's Phone
OpenAPI (tests/openapi/phone.endpoints.subset.json), with Zoom's date-window rules, per-user licences,
the transcript JSON behind a 302 (and 12000/12001/12002 when there is none), expiring page tokens, and
Phone's own rate-limit table counted apart from the meeting APIs'."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

from emulators.zoom import ZoomEmulator
from emulators.zoom.app import ROUTER
from emulators.zoom.fixtures import ZoomApi

SPEC = Path(__file__).parent / "openapi" / "phone.endpoints.subset.json"
ACCOUNT = dict(seed=5, users=6, days_of_history=200, phone_licences=0.5, phone_calls_per_user=12)


@cache
def validator(template: str) -> OAS30Validator:
    op = json.loads(SPEC.read_text(encoding="utf-8"))["paths"][template]["get"]
    schema = copy.deepcopy(op["responses"]["200"]["content"]["application/json"]["schema"])
    return OAS30Validator(schema, format_checker=FormatChecker(formats=["date-time", "date"]))


@pytest.fixture(scope="module")
def emu():
    with ZoomEmulator(
        rate_limits=False, phone_transcript_faults={"pending": 1, "12000": 1, "12001": 1}, **ACCOUNT
    ) as e:
        yield e


def _month(emu: ZoomEmulator, months_back: int = 0) -> dict:
    today = emu.state.data.now.date() - timedelta(days=30 * months_back)
    return {"from": (today - timedelta(days=27)).isoformat(), "to": today.isoformat()}


def test_phone_routes_validate_against_zoom_openapi(emu) -> None:
    api = ZoomApi(emu)
    checked: set[str] = set()

    def check(template: str, path: str, **params) -> dict:
        body = api.json(path, **params)
        errors = sorted(validator(template).iter_errors(body), key=str)
        assert not errors, f"{path}: {errors[0].message} at {list(errors[0].absolute_path)}"
        checked.add(template)
        return body

    users = check("/phone/users", "/phone/users")["users"]
    assert len(users) == 2
    calls = []
    for back in range(6):
        calls += check("/phone/call_history", "/phone/call_history", **_month(emu, back))["call_history"]
        check("/phone/recordings", "/phone/recordings", **_month(emu, back))
    assert calls and all(c["call_history_uuid"] for c in calls)
    for c in calls[:5]:
        detail = check(
            "/phone/call_history/{callHistoryUuid}", f"/phone/call_history/{c['call_history_uuid']}"
        )
        assert detail["call_elements"] and "call_path" not in detail and "call_log" not in detail
    for u in users:
        check("/phone/users/{userId}/call_history", f"/phone/users/{u['id']}/call_history", **_month(emu))
        check("/phone/users/{userId}/recordings", f"/phone/users/{u['id']}/recordings", **_month(emu))
    # the two download routes answer a file, not JSON: checked below
    checked |= {"/phone/recording/download/{fileId}", "/phone/recording_transcript/download/{recordingId}"}
    assert checked == {r.template for r in ROUTER.routes if r.template.startswith("/phone/")}
    assert not validator("/phone/call_history").is_valid({"call_history": [{"duration": "12"}]})


def test_dates_follow_zooms_phone_rules(emu) -> None:
    api = ZoomApi(emu)
    today = emu.state.data.now.date()
    default = api.json("/phone/call_history")  # no dates: the last 24 hours
    assert default["from"] == (today - timedelta(days=1)).isoformat()
    wide = api.get("/phone/call_history", **{"from": (today - timedelta(days=40)).isoformat(), "to": today})
    assert wide.status_code == 400 and wide.json()["code"] == 300
    old = today - timedelta(days=200)
    too_old = api.get("/phone/call_history", **{"from": old.isoformat(), "to": (old + timedelta(days=5))})
    assert too_old.status_code == 400 and too_old.json()["code"] == 300
    no_to = api.get("/phone/call_history", **{"from": today.isoformat()})
    assert no_to.status_code == 400
    # datetimes work too
    frm = f"{(today - timedelta(days=10)).isoformat()}T00:00:00Z"
    assert api.get("/phone/call_history", **{"from": frm, "to": f"{today}T00:00:00Z"}).status_code == 200


def test_unlicensed_users_have_no_phone(emu) -> None:
    api = ZoomApi(emu)
    licensed = {u["id"] for u in api.json("/phone/users")["users"]}
    others = [u for u in api.walk("/users", "users", status="active") if u["id"] not in licensed]
    assert others
    for u in others:
        resp = api.get(f"/phone/users/{u['id']}/recordings", **_month(emu))
        assert resp.status_code == 404 and resp.json()["code"] == 1001
    assert sorted(emu.truth()["phone"]["unlicensed_users"]) == sorted(u["id"] for u in others)


def test_downloads_need_auth_and_transcripts_come_behind_a_302(emu) -> None:
    api = ZoomApi(emu)
    recs = [r for back in range(6) for r in api.json("/phone/recordings", **_month(emu, back))["recordings"]]
    faults = emu.truth()["phone"]["transcript_faults"]
    seen = set()
    for r in recs:
        audio = api.session.get(r["download_url"], timeout=30)
        assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg"
        assert (
            api.session.get(r["download_url"], headers={"Authorization": ""}, timeout=30).status_code == 401
        )
        hop = api.session.get(r["transcript_download_url"], allow_redirects=False, timeout=30)
        expected = next((s for s, ids in faults.items() if r["id"] in ids), None)
        if expected is None:
            assert hop.status_code == 302
            body = api.session.get(hop.headers["Location"], headers={"Authorization": ""}, timeout=30).json()
            assert body["type"] == "zoom_transcript" and body["recording_id"] == r["id"] and body["timeline"]
        else:
            code = {"pending": 12002, "12000": 12000, "12001": 12001}[expected]
            assert hop.status_code == 400 and hop.json()["code"] == code
            seen.add(expected)
    assert seen == {"pending", "12000", "12001"}
    pending = faults["pending"][0]
    assert emu.finish_phone_transcript(pending)["transcript"] == "ready"
    url = next(r["transcript_download_url"] for r in recs if r["id"] == pending)
    assert api.session.get(url, allow_redirects=False, timeout=30).status_code == 302


def test_page_tokens_expire() -> None:
    with ZoomEmulator(rate_limits=False, page_token_ttl=0, **ACCOUNT) as emu:
        api = ZoomApi(emu)
        first = api.json("/phone/call_history", page_size=1, **_month(emu))
        assert first["next_page_token"]
        resp = api.get(
            "/phone/call_history", page_size=1, next_page_token=first["next_page_token"], **_month(emu)
        )
        assert resp.status_code == 400 and resp.json()["code"] == 300


@pytest.mark.parametrize("plan,light,heavy,cap", [("pro", 20, 5, 15000), ("business", 40, 10, 30000)])
def test_phone_has_its_own_rate_limit_table(plan, light, heavy, cap) -> None:
    with ZoomEmulator(plan=plan, **ACCOUNT) as emu:
        api = ZoomApi(emu)
        heavy_resp = api.get("/phone/call_history")
        assert heavy_resp.status_code == 200
        assert heavy_resp.headers["X-RateLimit-Category"] == "Heavy"
        assert heavy_resp.headers["X-RateLimit-Limit"] == str(cap)
        limiter = emu.state.limiter
        assert limiter.buckets["phone:Heavy"].rate == heavy
        api.get(f"/phone/call_history/{emu.truth()['phone']['calls'][0]['call_history_uuid']}")
        assert limiter.buckets["phone:Light"].rate == light
        # the meeting APIs' Heavy cap is untouched by Phone requests
        assert not any(g[0] != "phone" for g in limiter.daily_used)
        assert emu.stats()["categories"].get("Phone Heavy") == 1
