"""What a Zoom event asks of the pipeline, and its `webhook_events` row.

- recording.completed / recording.transcript_completed / recording.recovered: load that instance's
  recording (files, transcripts, captions, chat, calls), downloading with the event's `download_token`;
  then push to Kendo;
- meeting.ended: load `past_meetings` now, and the instance's participants and usage reports after a
  settle delay (Zoom's participant and report data lag the end of the meeting);
- phone.recording_completed / phone.recording_transcript_completed: load Zoom Phone recordings (and their
  transcripts and `calls` rows) for the days the event's recordings fall on; then push to Kendo;
- recording.deleted / recording.trashed / meeting.deleted: mark its rows `_zoom_deleted_at`
  (pipelines/deletion_marks.py; the tables are the registry's `marked_by`); recording.recovered clears it;
- anything else (meeting.participant_joined / _left, ...): a `webhook_events` row only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Dict, List, Optional

from sources.zoom.dates import parse_time, to_utc
from sources.zoom.sensitive import drop_sensitive

RECORDING_RECOVERED = "recording.recovered"  # out of the trash: loaded again (it has a download_token)
RECORDING_READY = frozenset({"recording.completed", "recording.transcript_completed", RECORDING_RECOVERED})
MEETING_ENDED = "meeting.ended"
RECORDING_GONE = frozenset({"recording.deleted", "recording.trashed"})
MEETING_DELETED = "meeting.deleted"
# meeting.deleted of one occurrence of a recurring meeting: the meeting stays, nothing is marked
SINGLE_OCCURRENCE = "single"
# Zoom Phone (the 2026 events; the call-log ones are retired)
PHONE_READY = frozenset({"phone.recording_completed", "phone.recording_transcript_completed"})
# a follow-up job the worker queues itself: participants of an ended meeting, after the settle delay
SETTLE = "_settle.meeting_participants"

# tables loaded for each kind of work (a derived table comes with the resource that builds it)
RECORDING_RESOURCES = ["recordings"]  # + recording_files, transcripts, captions, chat, calls, file_errors
ENDED_RESOURCES = ["past_meetings"]
SETTLED_RESOURCES = [
    "meeting_participants",
    "meeting_poll_results",
    "past_meeting_qa",
    "report_meetings",
    "report_meeting_participants",
]
PHONE_RESOURCES = ["phone_recordings"]  # + phone_transcripts, segments, file errors, calls


class BadEvent(ValueError):
    """A signed body that is not a Zoom event (no `event` name, not a JSON object)."""


@dataclass
class Event:
    """One delivery, parsed: what the queue stores (sensitive fields dropped) and what the worker reads."""

    event: str
    event_ts: Optional[int]
    account_id: str
    obj: Dict[str, Any]
    dedupe_key: str
    download_token: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)
    # meeting.* changes: "all" occurrences, or a "single" occurrence of a recurring meeting (payload.operation)
    operation: Optional[str] = None

    @property
    def uuid(self) -> str:
        return str(self.obj.get("uuid") or "")

    @property
    def object_id(self) -> str:
        value = self.obj.get("id")
        return "" if value is None else str(value)

    def stored(self) -> str:
        """The queue's copy: no download token, no passwords, passcodes, start links or URL tokens."""
        body = {
            "event": self.event,
            "event_ts": self.event_ts,
            "account_id": self.account_id,
            "object": self.obj,
        }
        if self.operation:
            body["operation"] = self.operation
        return json.dumps(
            body,
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        )


def dedupe_key(event: str, event_ts: Any, obj: Any) -> str:
    """Zoom sends no event id in the body: a retry or duplicate repeats event, event_ts and object."""
    canonical = json.dumps([event, event_ts, obj], sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse(raw: bytes) -> Event:
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadEvent("body is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("event"), str):
        raise BadEvent("no event name")
    payload = _dict(body.get("payload"))
    obj = _dict(payload.get("object"))
    ts = body.get("event_ts")
    token = body.get("download_token")
    operation = payload.get("operation")
    return Event(
        event=body["event"],
        event_ts=ts if isinstance(ts, int) else None,
        account_id=str(payload.get("account_id") or ""),
        obj=_scrubbed(obj),
        dedupe_key=dedupe_key(body["event"], ts, obj),
        download_token=token if isinstance(token, str) else None,
        operation=operation if isinstance(operation, str) else None,
    )


def _dict(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_stored(text: str, download_token: Optional[str], key: str) -> Event:
    data = json.loads(text)
    return Event(
        data["event"],
        data.get("event_ts"),
        data.get("account_id", ""),
        data.get("object", {}),
        key,
        download_token,
        operation=data.get("operation"),
    )


def _scrubbed(obj: Dict[str, Any]) -> Dict[str, Any]:
    return drop_sensitive(obj)  # nested files and participant included


def phone_days(e: Event) -> List[date]:
    """The UTC days of a Phone event's recordings (`object.recordings[].date_time`), else the event's day."""
    days = []
    recordings = e.obj.get("recordings")
    for rec in recordings if isinstance(recordings, list) else []:
        stamp = rec.get("date_time") if isinstance(rec, dict) else None
        moment = parse_time(stamp) if isinstance(stamp, str) else None  # the connector's one date parser
        if moment is not None:
            days.append(to_utc(moment).date())
    when = event_time(e)
    return days or ([when.date()] if when else [datetime.now(UTC).date()])


def event_time(e: Event) -> Optional[datetime]:
    """Zoom's `event_ts` (ms) as a time; None without one, or for one no clock can show (year 10,000)."""
    if not e.event_ts:
        return None
    try:
        return datetime.fromtimestamp(e.event_ts / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def webhook_row(e: Event, received_at: float, status: str, error: Optional[str] = None) -> Dict[str, Any]:
    """The `webhook_events` row (registry.py): one per distinct event, processed or not."""
    found = e.obj.get("participant")
    participant: Dict[str, Any] = found if isinstance(found, dict) else {}
    return {
        "event_key": e.dedupe_key,
        "event": e.event,
        "event_ts": e.event_ts,
        "event_time": event_time(e),
        "received_at": datetime.fromtimestamp(received_at, UTC),
        "account_id": e.account_id,
        "object_uuid": e.uuid or None,
        "object_id": e.object_id or None,
        "host_id": e.obj.get("host_id"),
        "participant_user_id": participant.get("user_id"),
        "participant_uuid": participant.get("participant_uuid"),
        "participant_name": participant.get("user_name"),
        "participant_email": participant.get("email"),
        "participant_join_time": participant.get("join_time"),
        "participant_leave_time": participant.get("leave_time"),
        "participant_leave_reason": participant.get("leave_reason"),
        "operation": e.operation,
        "status": status,
        "error": error,
    }
