"""Ground truth (/_emulator/truth) equals what paging through the API with plain requests returns:
users, meetings → instances → participants, recordings → files → parsed transcripts and chats, reports,
webinars and chat channels."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

import pytest

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi, encode_uuid, make_zoom_emulator, zoom_api, zoom_emulator
from emulators.zoom.windows import add_months

# pytest fixtures from emulators.zoom.fixtures, used by name
__all__ = ["make_zoom_emulator", "zoom_api", "zoom_emulator"]

CUE_TIME = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$")
CHAT_HEADER = re.compile(r"^\d\d:\d\d:\d\d(\t| From )")


def keyset(rows: list[dict]) -> set[tuple]:
    return {tuple(sorted(r.items())) for r in rows}


def parse_vtt_lines(text: str) -> list[tuple[int, str]]:
    """Minimal VTT reader for the test: (cue number, text) pairs."""
    blocks = [b.strip().split("\n") for b in text.split("\n\n")[1:] if b.strip()]
    out = []
    for b in blocks:
        assert b[0].isdigit() and CUE_TIME.match(b[1]), b
        out.append((int(b[0]), " ".join(b[2:])))
    return out


def crawl(api: ZoomApi, today: date, days: int) -> dict:
    """What a correct connector sees, found only through the public API."""
    t: dict[str, set] = {}
    add = lambda table, **row: t.setdefault(table, set()).add(tuple(sorted(row.items())))  # noqa: E731
    transcripts: dict[str, str] = {}
    users = [
        u
        for s in ("active", "inactive", "pending")
        for u in api.walk("/users", "users", status=s, page_size=2)
    ]
    for u in users:
        add("users", user_key=u.get("id") or f"pending:{u['email']}")
    hosts = [u["id"] for u in users if u["status"] == "active"]

    meeting_ids: set[int] = set()
    for uid in hosts:
        for kind in ("scheduled", "previous_meetings"):
            meeting_ids |= {
                m["id"] for m in api.walk(f"/users/{uid}/meetings", "meetings", type=kind, page_size=2)
            }
    uuids: set[str] = set()
    for mid in meeting_ids:
        assert api.get(f"/meetings/{mid}").status_code == 200
        add("meetings", id=mid)
        for r in api.walk(f"/meetings/{mid}/registrants", "registrants"):
            add("meeting_registrants", meeting_id=mid, id=r["id"])
        for p in api.json(f"/meetings/{mid}/polls")["polls"]:
            add("meeting_polls", meeting_id=mid, id=p["id"])
        uuids |= {i["uuid"] for i in api.json(f"/past_meetings/{mid}/instances")["meetings"]}

    # recordings in month windows (Zoom clamps wider ranges), back to the start of history
    recordings: dict[str, dict] = {}
    for uid in hosts:
        to = today + timedelta(days=1)
        while to > today - timedelta(days=days + 2):
            frm = to - timedelta(days=28)
            page = api.json(f"/users/{uid}/recordings", **{"from": frm.isoformat(), "to": to.isoformat()})
            assert page["from"] == frm.isoformat()
            for rec in api.walk(
                f"/users/{uid}/recordings",
                "meetings",
                page_size=1,
                **{"from": frm.isoformat(), "to": to.isoformat()},
            ):
                recordings[rec["uuid"]] = rec
            to = frm - timedelta(days=1)
    uuids |= set(recordings)

    # reports: one-month windows within the last six months
    report_uuids: set[str] = set()
    oldest = add_months(today, -6)
    for uid in hosts:
        to = today
        while to >= oldest:
            frm = max(oldest, to - timedelta(days=27))
            for m in api.walk(
                f"/report/users/{uid}/meetings", "meetings", **{"from": frm.isoformat(), "to": to.isoformat()}
            ):
                report_uuids.add(m["uuid"])
            to = frm - timedelta(days=1)
    uuids |= report_uuids
    for u in report_uuids:
        add("report_meetings", uuid=u)
        for p in api.walk(f"/report/meetings/{encode_uuid(u)}/participants", "participants", page_size=3):
            add("report_meeting_participants", meeting_uuid=u, user_id=p["user_id"], join_time=p["join_time"])

    for u in uuids:
        enc = encode_uuid(u)
        if api.get(f"/past_meetings/{enc}").status_code != 200:
            continue
        add("past_meetings", uuid=u)
        for p in api.walk(f"/past_meetings/{enc}/participants", "participants", page_size=2):
            add("meeting_participants", meeting_uuid=u, user_id=p["user_id"], join_time=p["join_time"])
        alike: Counter[tuple] = Counter()  # answers alike but for the answer itself are numbered 1, 2, ...
        for q in api.json(f"/past_meetings/{enc}/polls")["questions"]:
            for d in q["question_details"]:
                same = (q["name"], q["email"], d["polling_id"], d["question"], d["date_time"])
                alike[same] += 1
                add(
                    "meeting_poll_results",
                    meeting_uuid=u,
                    name=q["name"],
                    email=q["email"],
                    polling_id=d["polling_id"],
                    question=d["question"],
                    date_time=d["date_time"],
                    answer=d["answer"],
                    occurrence=alike[same],
                )
        asked: Counter[tuple] = Counter()  # the same question asked again by the same person: 1, 2, ...
        for q in api.json(f"/past_meetings/{enc}/qa")["questions"]:
            for d in q["question_details"]:
                asked[(q["name"], q["email"], d["question"])] += 1
                add(
                    "past_meeting_qa",
                    meeting_uuid=u,
                    name=q["name"],
                    email=q["email"],
                    question=d["question"],
                    answer=d["answer"],
                    occurrence=asked[(q["name"], q["email"], d["question"])],
                )

    calls = []
    for u, rec in recordings.items():
        add("recordings", uuid=u)
        files = rec["recording_files"]
        for f in files:
            add("recording_files", file_key=f.get("id") or f"{u}|{f['file_type']}|{f['recording_start']}")
            if f.get("status", "completed") != "completed":
                continue
            body = api.session.get(f["download_url"], timeout=30)
            assert body.status_code == 200 and "text/html" not in body.headers["Content-Type"]
            if f["file_type"] == "TRANSCRIPT":
                cues = parse_vtt_lines(body.text)
                add("transcripts", meeting_uuid=u)
                transcripts[u] = "\n".join(text for _, text in cues)
                for n, _ in cues:
                    add("transcript_segments", meeting_uuid=u, sequence=n)
            elif f["file_type"] == "CC":
                for n, _ in parse_vtt_lines(body.text):
                    add("caption_segments", meeting_uuid=u, sequence=n)
            elif f["file_type"] == "CHAT":
                headers = [line for line in body.text.splitlines() if CHAT_HEADER.match(line)]
                for n in range(1, len(headers) + 1):
                    add("chat_messages", meeting_uuid=u, sequence=n)
        types = {f["file_type"] for f in files}
        processing = any(f.get("status", "completed") != "completed" for f in files)
        has_transcript = any(f["file_type"] == "TRANSCRIPT" and f.get("status") == "completed" for f in files)
        has_audio = bool(types & {"M4A", "MP4"})
        calls.append(
            {
                "meeting_uuid": u,
                "ready": (has_audio or has_transcript) and not processing,
                "has_transcript": has_transcript,
                "has_audio": has_audio,
                "processing": processing,
            }
        )

    webinar_ids = {w["id"] for uid in hosts for w in api.walk(f"/users/{uid}/webinars", "webinars")}
    for wid in webinar_ids:
        add("webinars", id=wid)
        for r in api.walk(f"/webinars/{wid}/registrants", "registrants"):
            add("webinar_registrants", webinar_id=wid, id=r["id"])
        for name, key in (
            ("panelists", "webinar_panelists"),
            ("polls", "webinar_polls"),
            ("tracking_sources", "webinar_tracking_sources"),
        ):
            for r in api.json(f"/webinars/{wid}/{name}")[name]:
                add(key, webinar_id=wid, id=r["id"])
        for inst in api.json(f"/past_webinars/{wid}/instances")["webinars"]:
            u, enc = inst["uuid"], encode_uuid(inst["uuid"])
            add("past_webinars", uuid=u)
            for r in api.walk(f"/past_webinars/{enc}/absentees", "registrants"):
                add("webinar_absentees", webinar_uuid=u, id=r["id"])
            for p in api.walk(f"/past_webinars/{enc}/participants", "participants", page_size=2):
                add("webinar_participants", webinar_uuid=u, user_id=p["user_id"], join_time=p["join_time"])
            for p in api.walk(f"/report/webinars/{enc}/participants", "participants"):
                add(
                    "report_webinar_participants",
                    webinar_uuid=u,
                    user_id=p["user_id"],
                    join_time=p["join_time"],
                )

    channel_ids = {
        c["id"] for uid in hosts for c in api.walk(f"/chat/users/{uid}/channels", "channels", page_size=1)
    }
    for cid in channel_ids:
        add("channels", id=cid)
        for m in api.walk(f"/chat/channels/{cid}/members", "members", page_size=2):
            add("channel_members", channel_id=cid, member_id=m["member_id"])
    return {"tables": t, "transcripts": transcripts, "calls": calls}


def assert_matches(truth: dict, seen: dict) -> None:
    for name, rows in truth["tables"].items():
        assert keyset(rows) == seen["tables"].get(name, set()), name
    assert truth["transcripts"] == seen["transcripts"]
    assert sorted(truth["calls"], key=lambda c: c["meeting_uuid"]) == sorted(
        seen["calls"], key=lambda c: c["meeting_uuid"]
    )


def test_truth_matches_a_full_paging_walk(zoom_emulator: ZoomEmulator, zoom_api: ZoomApi) -> None:
    truth = zoom_emulator.truth()
    for name in (
        "users",
        "meetings",
        "past_meetings",
        "meeting_participants",
        "past_meeting_qa",
        "recordings",
        "recording_files",
        "transcripts",
        "chat_messages",
        "report_meetings",
        "webinars",
        "past_webinars",
        "channels",
    ):
        assert truth["tables"][name], f"default data should have {name}"
    # the readiness mix: ready calls, a processing one, some without transcript, some without audio
    assert {(c["ready"], c["processing"]) for c in truth["calls"]} == {(True, False), (False, True)}
    assert not all(c["has_transcript"] for c in truth["calls"]) and not all(
        c["has_audio"] for c in truth["calls"]
    )
    seen = crawl(zoom_api, zoom_emulator.state.data.now.date(), zoom_emulator.state.knobs.days_of_history)
    assert_matches(truth, seen)


def test_added_meeting_and_completed_recording_show_up_in_truth_and_api(
    zoom_emulator: ZoomEmulator, zoom_api: ZoomApi
) -> None:
    before = zoom_emulator.truth()
    added = zoom_emulator.add_meeting(topic="Late call 🎧", participants=3, processing=True)
    uuid = added["uuid"]
    assert all(f.get("status", "processing") == "processing" for f in added["recording"]["recording_files"])
    assert all(f["recording_end"] == "" for f in added["recording"]["recording_files"])
    truth = zoom_emulator.truth()
    call = next(c for c in truth["calls"] if c["meeting_uuid"] == uuid)
    assert call == {
        "meeting_uuid": uuid,
        "ready": False,
        "has_transcript": False,
        "has_audio": True,
        "processing": True,
    }
    assert len(truth["tables"]["past_meetings"]) == len(before["tables"]["past_meetings"]) + 1
    assert (
        zoom_api.json(f"/meetings/{encode_uuid(uuid)}/transcript")["download_restriction_reason"]
        == "NOT_READY"
    )

    zoom_emulator.complete_recording(uuid)
    truth = zoom_emulator.truth()
    call = next(c for c in truth["calls"] if c["meeting_uuid"] == uuid)
    assert call["ready"] and call["has_transcript"] and not call["processing"]
    assert truth["transcripts"][uuid].count("\n") >= 5
    rec = zoom_api.json(f"/meetings/{encode_uuid(uuid)}/recordings")
    assert {f["file_type"] for f in rec["recording_files"]} >= {"MP4", "M4A", "TRANSCRIPT"}
    assert all(f["status"] == "completed" and f["recording_end"] for f in rec["recording_files"])
    seen = crawl(zoom_api, zoom_emulator.state.data.now.date(), zoom_emulator.state.knobs.days_of_history)
    assert_matches(truth, seen)

    zoom_emulator.reset()
    assert zoom_emulator.truth() == before


def test_truth_window_limits_time_bound_tables(zoom_emulator: ZoomEmulator) -> None:
    full = zoom_emulator.truth()
    today = zoom_emulator.state.data.now.date()
    frm, to = today - timedelta(days=30), today + timedelta(days=1)
    part = zoom_emulator.truth(**{"from": frm.isoformat(), "to": to.isoformat()})
    assert part["tables"]["users"] == full["tables"]["users"]  # not time-bound
    assert 0 < len(part["tables"]["past_meetings"]) < len(full["tables"]["past_meetings"])
    starts = {i.uuid: i.start.date() for i in zoom_emulator.state.data.instances.values()}
    assert all(frm <= starts[r["uuid"]] < to for r in part["tables"]["past_meetings"])
    assert set(part["transcripts"]) <= {r["uuid"] for r in part["tables"]["recordings"]}


def test_size_knobs_scale_and_data_is_deterministic(make_zoom_emulator) -> None:
    a = make_zoom_emulator(seed=11, users=3, meetings_per_user=2, participants=300, channels=1)
    b = make_zoom_emulator(seed=11, users=3, meetings_per_user=2, participants=300, channels=1)
    ta, tb = a.truth(), b.truth()
    assert ta == tb
    assert len(ta["tables"]["users"]) == 3
    assert max(i.persons for i in a.state.data.instances.values()) >= 150
    api = ZoomApi(a)
    big = max(a.state.data.instances.values(), key=lambda i: i.persons)
    rows = api.walk(f"/past_meetings/{encode_uuid(big.uuid)}/participants", "participants", page_size=300)
    assert len(rows) == len(big.participants) > 150


@pytest.mark.parametrize("feature", ["webinars", "reports"])
def test_plan_without_feature_hides_its_tables(make_zoom_emulator, feature: str) -> None:
    emu = make_zoom_emulator(rate_limits=False, plan_features={feature: False})
    truth = emu.truth()["tables"]
    names = (
        ["webinars", "past_webinars", "webinar_participants"]
        if feature == "webinars"
        else ["report_meetings", "report_meeting_participants"]
    )
    assert all(truth[n] == [] for n in names)
    path = "/users/me/webinars" if feature == "webinars" else "/report/users/me/meetings"
    resp = ZoomApi(emu).get(path, **{"from": date.today().isoformat(), "to": date.today().isoformat()})
    assert resp.status_code == 400 and resp.json()["code"] == 200
    if feature == "webinars":
        assert resp.json()["message"].startswith("Webinar plan is missing")
