"""The analyst views' figures computed independently, from the Zoom emulator's model and truth (no SQL).

Kept apart from the tests so a reader sees what each view must hold in plain Python.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any, Dict, List, Tuple


def _t(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _person(row: dict) -> str:
    email = (row["user_email"] or "").strip()
    return email.lower() if email else f"name:{row['name']}"


def _monday(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def attendee_sessions(emu: Any, truth: dict) -> Dict[Tuple[str, str], dict]:
    """(meeting_uuid, person_key) → merged rejoins of every instance whose participants a load reaches."""
    tables = truth["tables"]
    uuids = {r["meeting_uuid"] for r in tables["meeting_participants"]}
    uuids |= {r["meeting_uuid"] for r in tables["report_meeting_participants"]}
    out: Dict[Tuple[str, str], dict] = {}
    for uuid in uuids:
        inst = emu.state.data.instances[uuid]
        for row in inst.participants:
            key = (uuid, _person(row))
            s = out.setdefault(
                key,
                {
                    "meeting_id": inst.parent.id,
                    "first_join": _t(row["join_time"]),
                    "last_leave": _t(row["leave_time"]),
                    "sessions": 0,
                    "total_seconds": 0,
                    "attendee_type": "guest",
                },
            )
            s["first_join"] = min(s["first_join"], _t(row["join_time"]))
            s["last_leave"] = max(s["last_leave"], _t(row["leave_time"]))
            s["sessions"] += 1
            s["total_seconds"] += row["duration"]
            if row["internal_user"]:
                s["attendee_type"] = "internal"
    return out


def meeting_attendance(emu: Any, truth: dict) -> Dict[str, dict]:
    """meeting_uuid → the v_meeting_attendance row of every ended instance a load reaches."""
    sessions = attendee_sessions(emu, truth)
    recorded = {r["uuid"] for r in truth["tables"]["recordings"]}
    transcribed = set(truth["transcripts"])
    out: Dict[str, dict] = {}
    for row in truth["tables"]["past_meetings"]:
        uuid = row["uuid"]
        inst = emu.state.data.instances[uuid]
        people = [s for (u, _), s in sessions.items() if u == uuid]
        seconds = sum(s["total_seconds"] for s in people)
        out[uuid] = {
            "meeting_id": inst.parent.id,
            "topic": inst.parent.topic,
            "host_email": inst.parent.host.email,
            "start_time": inst.start,
            "duration_minutes": inst.duration,
            "attendees": len(people),
            "sessions": sum(s["sessions"] for s in people),
            # the view's arithmetic: a DOUBLE division of the exact integer sum
            "avg_minutes_attended": float(seconds) / len(people) / 60 if people else None,
            "late_joiners": sum(1 for s in people if s["first_join"] > inst.start + timedelta(minutes=5)),
            "recorded": uuid in recorded,
            "has_transcript": uuid in transcribed,
            "week_start": _monday(inst.start),
        }
    return out


def talk_time(emu: Any, truth: dict) -> Dict[Tuple[str, str], dict]:
    """(meeting_uuid, speaker) → talk of every transcribed instance; cues without a speaker are (unknown)."""
    out: Dict[Tuple[str, str], dict] = {}
    for uuid in truth["transcripts"]:
        cues = emu.state.data.instances[uuid].recording.cues
        per: Dict[str, dict] = defaultdict(lambda: {"cues": 0, "talk_ms": 0, "words": 0})
        for cue in cues:
            p = per[cue.speaker or "(unknown)"]
            p["cues"] += 1
            p["talk_ms"] += cue.end_ms - cue.start_ms
            p["words"] += len(cue.text.split())
        total = sum(p["talk_ms"] for p in per.values())
        for speaker, p in per.items():
            out[(uuid, speaker)] = {
                **p,
                "seconds_spoken": float(p["talk_ms"]) / 1000,
                "share_of_talk": float(p["talk_ms"]) / float(total) if total else None,
            }
    return out


def host_weekly(attendance: Dict[str, dict]) -> Dict[Tuple[str, date], dict]:
    out: Dict[Tuple[str, date], dict] = {}
    for a in attendance.values():
        w = out.setdefault(
            (a["host_email"], a["week_start"]),
            {"meetings_hosted": 0, "minutes": 0, "attendees": 0, "recorded": 0, "with_transcript": 0},
        )
        w["meetings_hosted"] += 1
        w["minutes"] += a["duration_minutes"]
        w["attendees"] += a["attendees"]
        w["recorded"] += a["recorded"]
        w["with_transcript"] += a["has_transcript"]
    for (_, week), w in out.items():
        w["iso_year"], w["iso_week"] = week.isocalendar()[:2]
    return out


def kendo_status(truth: dict, received: List[dict]) -> Dict[str, dict]:
    """meeting_uuid → status per call: sent (Kendo holds it), failed (ready, refused), not_ready."""
    sent = {c["metadata"]["zoomMeetingUuid"]: c["callId"] for c in received}
    out: Dict[str, dict] = {}
    for call in truth["calls"]:
        uuid = call["meeting_uuid"]
        if uuid in sent:
            out[uuid] = {"status": "sent", "kendo_call_id": sent[uuid], "attempts": 1}
        elif call["ready"]:
            out[uuid] = {"status": "failed", "kendo_call_id": None, "attempts": 1}
        else:
            out[uuid] = {"status": "not_ready", "kendo_call_id": None, "attempts": 0}
    return out


def recording_coverage(attendance: Dict[str, dict], kendo: Dict[str, dict]) -> Dict[date, dict]:
    out: Dict[date, dict] = {}
    for uuid, a in attendance.items():
        w = out.setdefault(
            a["week_start"],
            {
                "ended_instances": 0,
                "recorded": 0,
                "with_transcript": 0,
                "pushed_to_kendo": 0,
                "kendo_failed": 0,
                "kendo_unfinished": 0,
            },
        )
        status = kendo.get(uuid, {}).get("status")
        w["ended_instances"] += 1
        w["recorded"] += a["recorded"]
        w["with_transcript"] += a["has_transcript"]
        w["pushed_to_kendo"] += status == "sent"
        w["kendo_failed"] += status == "failed"
    for week, w in out.items():
        w["iso_year"], w["iso_week"] = week.isocalendar()[:2]
    return out
