"""Pagination (page sizes, opaque expiring tokens) and Zoom's date and visibility rules."""

from __future__ import annotations

from datetime import timedelta

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi, encode_uuid, zoom_api, zoom_emulator
from emulators.zoom.windows import add_months

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["zoom_api", "zoom_emulator"]

INVALID_PAGE_TOKEN = {"code": 300, "message": "The next page token is invalid or expired."}


def test_page_sizes_default_and_clamp(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    assert zoom_api.json("/users")["page_size"] == 30
    assert zoom_api.json("/users", page_size=5000)["page_size"] == 2000
    uid = zoom_emulator.state.data.owner.id
    assert zoom_api.json(f"/users/{uid}/meetings", page_size=1000)["page_size"] == 300
    assert zoom_api.json(f"/chat/users/{uid}/channels")["page_size"] == 10
    assert zoom_api.json(f"/chat/users/{uid}/channels", page_size=5000)["page_size"] == 1000
    cid = zoom_emulator.state.data.channels[0].id
    assert zoom_api.json(f"/chat/channels/{cid}/members", page_size=500)["page_size"] == 100


def test_pages_chain_and_last_page_token_is_empty(zoom_api: ZoomApi) -> None:
    first = zoom_api.json("/users", page_size=1)
    assert first["next_page_token"] and first["total_records"] == 4 and first["page_count"] == 4
    walked = zoom_api.walk("/users", "users", page_size=1)
    assert [u["id"] for u in walked] == [u["id"] for u in zoom_api.json("/users")["users"]]
    assert zoom_api.json("/users", page_size=300)["next_page_token"] == ""


def test_page_token_expiry_and_misuse_answer_400_300(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    tok = zoom_api.json("/users", page_size=1)["next_page_token"]
    assert zoom_api.get("/users", page_size=1, next_page_token=tok).status_code == 200
    bogus = zoom_api.get("/users", next_page_token="garbage")
    assert bogus.status_code == 400 and bogus.json() == INVALID_PAGE_TOKEN
    other = zoom_api.get("/users", status="inactive", page_size=1, next_page_token=tok)  # another query
    assert other.status_code == 400
    zoom_emulator.configure(page_token_ttl=0)
    expired = zoom_api.get("/users", page_size=1, next_page_token=tok)
    assert expired.status_code == 400 and expired.json() == INVALID_PAGE_TOKEN


def test_recordings_clamp_a_wide_window_silently_and_echo_it(
    zoom_api: ZoomApi, zoom_emulator: ZoomEmulator
) -> None:
    today = zoom_emulator.state.data.now.date()
    to = today - timedelta(days=3)
    page = zoom_api.json("/users/me/recordings", **{"from": "2020-01-01", "to": to.isoformat()})
    assert (page["from"], page["to"]) == (add_months(to, -1).isoformat(), to.isoformat())
    default = zoom_api.json("/users/me/recordings")
    assert (default["from"], default["to"]) == (today.isoformat(), (today + timedelta(days=1)).isoformat())


def test_reports_reject_wide_or_old_windows(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    today = zoom_emulator.state.data.now.date()
    cases = [
        {"from": (today - timedelta(days=45)).isoformat(), "to": today.isoformat()},
        {
            "from": add_months(today, -8).isoformat(),
            "to": (add_months(today, -8) + timedelta(days=5)).isoformat(),
        },
        {"to": today.isoformat()},
    ]
    for params in cases:
        resp = zoom_api.get("/report/users/me/meetings", **params)
        assert resp.status_code == 400 and resp.json()["code"] == 300, params
    ok = zoom_api.get(
        "/report/users/me/meetings",
        **{"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()},
    )
    assert ok.status_code == 200 and ok.json()["from"] == (today - timedelta(days=20)).isoformat()


def test_past_meeting_older_than_a_year_is_12702(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    now = zoom_emulator.state.data.now
    old = zoom_emulator.add_meeting(start_time=now - timedelta(days=400), recorded=False)
    resp = zoom_api.get(f"/past_meetings/{encode_uuid(old['uuid'])}")
    assert resp.status_code == 400 and resp.json()["code"] == 12702
    assert old["uuid"] not in {r["uuid"] for r in zoom_emulator.truth()["tables"]["past_meetings"]}


def test_one_person_meetings_have_no_participants_or_reports(
    zoom_api: ZoomApi, zoom_emulator: ZoomEmulator
) -> None:
    alone = next(i for i in zoom_emulator.state.data.instances.values() if i.persons == 1)
    enc = encode_uuid(alone.uuid)
    assert zoom_api.json(f"/past_meetings/{enc}")["participants_count"] == 1
    page = zoom_api.json(f"/past_meetings/{enc}/participants")
    assert page["participants"] == [] and page["total_records"] == 0
    assert zoom_api.json(f"/report/meetings/{enc}/participants")["participants"] == []
    day = alone.start.date()
    host = alone.parent.host.id
    listed = zoom_api.json(
        f"/report/users/{host}/meetings", **{"from": day.isoformat(), "to": day.isoformat()}
    )
    assert alone.uuid not in {m["uuid"] for m in listed["meetings"]}


def test_rejoining_participant_has_two_rows(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    for inst in zoom_emulator.state.data.instances.values():
        if inst.persons < 2 or inst.parent.is_webinar:
            continue
        rows = zoom_api.walk(f"/past_meetings/{encode_uuid(inst.uuid)}/participants", "participants")
        names = [r["name"] for r in rows]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            pair = [r for r in rows if r["name"] in dupes][:2]
            assert pair[0]["user_id"] != pair[1]["user_id"] and pair[0]["join_time"] != pair[1]["join_time"]
            return
    raise AssertionError("no rejoining participant in the default data")


def test_users_statuses_and_user_lookup(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    pending = zoom_api.json("/users", status="pending")["users"]
    assert pending and all("id" not in u for u in pending)
    assert zoom_api.json("/users", status="inactive")["users"]
    owner = zoom_api.json("/users/me")
    assert owner["role_name"] == "Owner"
    assert zoom_api.json(f"/users/{owner['email']}")["id"] == owner["id"]
    missing = zoom_api.get("/users/nobody@nowhere.example")
    assert missing.status_code == 404 and missing.json()["code"] == 1001


def test_meeting_lists_follow_zoom_visibility(zoom_api: ZoomApi, zoom_emulator: ZoomEmulator) -> None:
    host = zoom_emulator.state.data.owner
    by_kind = {m.kind: m.id for m in zoom_emulator.state.data.meetings if m.host is host and not m.is_webinar}
    scheduled = {m["id"] for m in zoom_api.json(f"/users/{host.id}/meetings")["meetings"]}
    previous = {
        m["id"] for m in zoom_api.json(f"/users/{host.id}/meetings", type="previous_meetings")["meetings"]
    }
    upcoming = {m["id"] for m in zoom_api.json(f"/users/{host.id}/meetings", type="upcoming")["meetings"]}
    assert by_kind["recurring"] in scheduled and by_kind["upcoming"] in scheduled & upcoming
    assert by_kind["one_off_past"] in previous - scheduled  # ended one-off meetings leave `scheduled`
    assert by_kind["instant"] not in scheduled | previous | upcoming
    assert zoom_api.get(f"/meetings/{by_kind['instant']}").json()["code"] == 3001
    instances = zoom_api.json(f"/past_meetings/{by_kind['recurring']}/instances")["meetings"]
    assert len(instances) == zoom_emulator.state.knobs.instances >= 3
    assert any(i["uuid"].startswith("/") for i in instances) and any("//" in i["uuid"] for i in instances)
