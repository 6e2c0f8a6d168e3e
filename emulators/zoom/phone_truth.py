"""Ground truth of the Zoom Phone tables (an independent list from sources/zoom/registry.py), plus what a
correct connector sends Kendo for each recorded phone call."""

from __future__ import annotations

from datetime import UTC, datetime

from .data import Dataset
from .phone_data import READY, TRANSCRIPT_FAULTS
from .windows import add_months

PHONE_TABLES = [
    "phone_users",
    "phone_calls",
    "phone_call_elements",
    "phone_recordings",
    "phone_transcripts",
    "phone_transcript_segments",
    "phone_file_errors",
]


def speaker(entry: dict) -> str | None:
    users = entry.get("users") or []
    return (users[0].get("username") or None) if users else None


def clean_phone_transcript(timeline: list[dict]) -> str:
    """`Speaker: text` lines, like the meeting transcripts."""
    lines = []
    for e in timeline:
        text = " ".join(str(e.get("text") or "").split())
        if text:
            who = speaker(e)
            lines.append(f"{who}: {text}" if who else text)
    return "\n".join(lines)


def build_phone_truth(ds: Dataset) -> dict:
    """Rows a connector reaches: Zoom answers Phone queries for the last six months only."""
    horizon = add_months(ds.now.date(), -6)
    since = datetime(horizon.year, horizon.month, horizon.day, tzinfo=UTC)
    phone = ds.phone
    t: dict[str, list] = {name: [] for name in PHONE_TABLES}
    transcripts: dict[str, str] = {}
    calls: list[dict] = []
    t["phone_users"] = [{"id": u.user.id} for u in phone.users if u.user.status == "active"]
    for c in phone.calls:
        if c.start < since:
            continue
        t["phone_calls"].append({"call_history_uuid": c.uuid})
        t["phone_call_elements"] += [
            {"call_history_uuid": c.uuid, "call_element_id": e["call_element_id"]} for e in c.elements
        ]
    for r in phone.recordings:
        c = r.call
        if (c.answer or c.start) < since:
            continue
        t["phone_recordings"].append({"id": r.id})
        if r.transcript == READY:
            t["phone_transcripts"].append({"recording_id": r.id})
            t["phone_transcript_segments"] += [
                {"recording_id": r.id, "sequence": i + 1} for i in range(len(r.timeline))
            ]
            transcripts[r.id] = clean_phone_transcript(r.timeline)
        elif r.transcript != "pending":
            t["phone_file_errors"].append({"recording_id": r.id, "file_type": "TRANSCRIPT"})
        calls.append(
            {
                "call_history_uuid": c.uuid,
                "recording_id": r.id,
                "rep_email": c.owner.user.email,
                "rep_name": c.owner.user.name,
                "call_date": c.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration_minutes": (c.duration + 30) // 60,
                "direction": c.direction,
                "other_party": c.other[0] or c.other[1],
                "transcript": transcripts.get(r.id),
                "transcript_state": r.transcript,
                # ready for Kendo: the audio is there; a transcript still being made is waited for
                "ready": r.transcript != "pending",
            }
        )
    active = [u for u in ds.users if u.id and u.status == "active"]
    licensed = {u.user.id for u in phone.users}
    return {
        "tables": t,
        "transcripts": transcripts,
        "calls": calls,
        "unlicensed_users": sorted(u.id for u in active if u.id not in licensed),
        "transcript_faults": {
            s: sorted(r.id for r in phone.recordings if r.transcript == s) for s in TRANSCRIPT_FAULTS
        },
    }
