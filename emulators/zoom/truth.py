"""Ground truth for `GET /_emulator/truth`: every row a correct connector can reach, keyed like the
warehouse tables (docs/CONTRACTS.md §1), plus cleaned transcripts and `calls` readiness."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from .api_reports import reportable
from .config import REPAIRED_FAULTS, UNREADABLE_FAULTS
from .data import Dataset
from .files import clean_transcript
from .model import Instance, Meeting
from .phone_truth import PHONE_TABLES, build_phone_truth
from .windows import older_than_a_year, within_fifteen_months, within_six_months

TABLES = [
    "users",
    "meetings",
    "past_meetings",
    "meeting_participants",
    "meeting_registrants",
    "meeting_polls",
    "meeting_poll_results",
    "past_meeting_qa",
    "webinars",
    "past_webinars",
    "webinar_registrants",
    "webinar_panelists",
    "webinar_polls",
    "webinar_tracking_sources",
    "webinar_absentees",
    "webinar_participants",
    "recordings",
    "recording_files",
    "transcripts",
    "transcript_segments",
    "caption_segments",
    "chat_messages",
    "report_meetings",
    "report_meeting_participants",
    "report_webinar_participants",
    "channels",
    "channel_members",
    "file_errors",
    *PHONE_TABLES,
]


def listed_meeting(m: Meeting, now: datetime) -> bool:
    """Whether GET /users/{id}/meetings (scheduled or previous_meetings) lists the meeting."""
    if m.is_webinar or m.kind == "instant" or m.host.status != "active" or m.deleted:
        return False
    scheduled = m.is_recurring or m.start + timedelta(minutes=m.duration) > now
    previous = any(within_six_months(i.start, now) for i in m.instances)
    return scheduled or previous


def unplaceable(inst: Instance) -> bool:
    """Whether the recording listing serves this instance with a malformed UUID or start time (knob
    `bad_values`): a connector can't tell which meeting or window it belongs to, so none of it loads."""
    return bool({"uuid", "start_time"} & set(inst.recording_bad_values))


def reachable_instance(inst: Instance, now: datetime, reports: bool) -> bool:
    """Whether a connector learns this meeting instance's UUID and can read GET /past_meetings/{uuid}."""
    m = inst.parent
    via_instances = listed_meeting(m, now) and within_fifteen_months(inst.start, now)
    via_recordings = inst.recording is not None and m.host.status == "active" and not unplaceable(inst)
    via_reports = reports and reportable(inst, now) and m.host.status == "active"
    return (via_instances or via_recordings or via_reports) and not older_than_a_year(inst.start, now)


def _pkeys(rows: list[dict], prefix: dict) -> list[dict]:
    return [{**prefix, "user_id": r["user_id"], "join_time": r["join_time"]} for r in rows]


def _participants(inst: Instance, table: str, prefix: dict, rejected: list[dict]) -> list[dict]:
    """Keys of the participant rows a connector can load; rows served with a malformed value
    (knob `bad_values`) go to `rejected` instead, as {table_name, <parent key>, user_id, field, value}."""
    served = inst.served_participants()
    for i, bad in sorted(inst.bad_values.items()):
        for name, value in bad.items():
            rejected.append(
                {
                    "table_name": table,
                    **prefix,
                    "user_id": served[i]["user_id"],
                    "field": name,
                    "value": value,
                }
            )
    return _pkeys([r for i, r in enumerate(inst.participants) if i not in inst.bad_values], prefix)


def _poll_answers(inst: Instance, uuid: str) -> list[dict]:
    """One row per answer, in the order the API lists them. Zoom gives answers no id: `occurrence` numbers
    answers that share name, email, poll, question and second (1, 2, ...), so none overwrites another."""
    fields = ("name", "email", "polling_id", "question", "date_time")
    seen: Counter[tuple] = Counter()
    rows = []
    for r in sorted(inst.poll_results, key=lambda r: r["respondent"]):
        same = tuple(r[k] for k in fields)
        seen[same] += 1
        rows.append(
            {
                "meeting_uuid": uuid,
                **{k: r[k] for k in fields},
                "answer": r["answer"],
                "occurrence": seen[same],
            }
        )
    return rows


def _questions(inst: Instance, uuid: str) -> list[dict]:
    """One row per question in GET /past_meetings/{uuid}/qa; `occurrence` numbers the same question asked
    again by the same person (Zoom gives questions no id or time)."""
    seen: Counter[tuple] = Counter()
    rows = []
    for asker in inst.qa:
        for d in asker["question_details"]:
            same = (asker["name"], asker["email"], d["question"])
            seen[same] += 1
            rows.append(
                {
                    "meeting_uuid": uuid,
                    "name": asker["name"],
                    "email": asker["email"],
                    "question": d["question"],
                    "answer": d["answer"],
                    "occurrence": seen[same],
                }
            )
    return rows


def build_truth(ds: Dataset, frm: date | None = None, to: date | None = None) -> dict:
    """Args: frm/to limit time-bound tables to instances starting in [frm, to) (UTC dates)."""
    now = ds.now
    features = ds.knobs.plan_features
    reports, webinars = features.get("reports", True), features.get("webinars", True)
    lo = datetime(frm.year, frm.month, frm.day, tzinfo=UTC) if frm else None
    hi = datetime(to.year, to.month, to.day, tzinfo=UTC) if to else None

    def in_window(inst: Instance) -> bool:
        return (lo is None or inst.start >= lo) and (hi is None or inst.start < hi)

    t: dict[str, list] = {name: [] for name in TABLES}
    transcripts: dict[str, str] = {}
    calls: list[dict] = []
    file_faults: dict[str, str] = {}
    rejected: list[dict] = []
    t["users"] = [{"user_key": u.key} for u in ds.users]
    vanished = ds.vanished_meeting_ids()

    for m in ds.meetings:
        if m.is_webinar:
            continue
        if listed_meeting(m, now) and m.id not in vanished:
            t["meetings"].append({"id": m.id})
            t["meeting_registrants"] += [
                {"meeting_id": m.id, "id": r["id"]} for r in m.registrants if r["status"] == "approved"
            ]
            if m.host.polls_enabled:
                t["meeting_polls"] += [{"meeting_id": m.id, "id": p["id"]} for p in m.polls]
        for inst in m.instances:
            if not in_window(inst):
                continue
            u = inst.uuid
            if reachable_instance(inst, now, reports):
                t["past_meetings"].append({"uuid": u})
                if inst.persons >= 2:
                    t["meeting_participants"] += _participants(
                        inst, "meeting_participants", {"meeting_uuid": u}, rejected
                    )
                if m.host.polls_enabled:  # polls off for the host: Zoom answers 400/4400
                    t["meeting_poll_results"] += _poll_answers(inst, u)
                t["past_meeting_qa"] += _questions(inst, u)
            if reports and reportable(inst, now) and m.host.status == "active":
                t["report_meetings"].append({"uuid": u})
                t["report_meeting_participants"] += _participants(
                    inst, "report_meeting_participants", {"meeting_uuid": u}, rejected
                )
            rec = inst.recording
            if rec is None or m.host.status != "active":
                continue
            for name, value in inst.recording_bad_values.items():
                rejected.append({"table_name": "recordings", "uuid": u, "field": name, "value": value})
            if unplaceable(inst):
                continue
            if not inst.recording_bad_values:
                t["recordings"].append({"uuid": u})
            t["recording_files"] += [{"file_key": f.key(u)} for f in rec.files]
            for f in rec.files:
                if f.fault:
                    file_faults[u] = f.fault
                if f.fault in UNREADABLE_FAULTS + REPAIRED_FAULTS:
                    t["file_errors"].append({"meeting_uuid": u, "file_key": f.key(u)})
            if rec.transcript_readable:
                t["transcripts"].append({"meeting_uuid": u})
                transcripts[u] = clean_transcript(rec.cues)
                t["transcript_segments"] += [{"meeting_uuid": u, "sequence": c.sequence} for c in rec.cues]
            cc = rec.file("CC")
            if cc is not None and cc.status == "completed":
                t["caption_segments"] += [{"meeting_uuid": u, "sequence": c.sequence} for c in rec.captions]
            if rec.file("CHAT") is not None:
                # the parser numbers messages and unparsed lines 1..n in file order
                n_chat = len(rec.chat) + rec.chat_unparsed
                t["chat_messages"] += [{"meeting_uuid": u, "sequence": s} for s in range(1, n_chat + 1)]
            calls.append(
                {
                    "meeting_uuid": u,
                    "ready": (rec.has_audio or rec.transcript_readable) and not rec.processing,
                    "has_transcript": rec.transcript_readable,
                    "has_audio": rec.has_audio,
                    "processing": rec.processing,
                }
            )

    if webinars:
        for w in ds.meetings:
            if not w.is_webinar or w.host.status != "active":
                continue
            t["webinars"].append({"id": w.id})
            t["webinar_registrants"] += [{"webinar_id": w.id, "id": r["id"]} for r in w.registrants]
            t["webinar_panelists"] += [{"webinar_id": w.id, "id": p["id"]} for p in w.panelists]
            t["webinar_polls"] += [{"webinar_id": w.id, "id": p["id"]} for p in w.polls]
            t["webinar_tracking_sources"] += [{"webinar_id": w.id, "id": s["id"]} for s in w.tracking_sources]
            for inst in w.instances:
                if not in_window(inst) or not within_fifteen_months(inst.start, now):
                    continue
                u = inst.uuid
                t["past_webinars"].append({"uuid": u})
                if older_than_a_year(inst.start, now):
                    continue
                t["webinar_absentees"] += [{"webinar_uuid": u, "id": r["id"]} for r in inst.absentees]
                t["webinar_participants"] += _pkeys(inst.participants, {"webinar_uuid": u})
                if reports and within_six_months(inst.start, now):
                    t["report_webinar_participants"] += _pkeys(inst.participants, {"webinar_uuid": u})

    phone = build_phone_truth(ds)
    t.update(phone.pop("tables"))
    active_ids = {u.id for u in ds.active_users}
    for ch in ds.channels:
        if any(m["id"] in active_ids for m in ch.members):
            t["channels"].append({"id": ch.id})
            t["channel_members"] += [{"channel_id": ch.id, "member_id": m["member_id"]} for m in ch.members]
    return {
        "tables": t,
        "transcripts": transcripts,
        "calls": calls,
        "file_faults": file_faults,
        "vanished_meetings": sorted(vanished),
        # users who can be listed but hold no webinar licence (their webinar listing answers 400/200)
        "polls_disabled_users": sorted(u.id for u in ds.users if u.id and not u.polls_enabled),
        "webinar_unlicensed_users": sorted(
            u.id for u in ds.users if u.id and u.status != "pending" and not u.webinar_licence
        ),
        "rejected_rows": rejected,
        # Zoom Phone: cleaned transcripts, the Kendo calls, users without a Phone licence
        "phone": phone,
    }
