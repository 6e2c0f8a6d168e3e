"""The type of every Zoom field we pin, per table: dlt column hints, and what `rejects` checks rows against.

Pinned, a column keeps its type whatever the first rows hold: one string where Zoom usually sends an
int can't make the column text for everyone (or add a variant column); the row goes to `rejected_rows`
instead. Types follow Zoom's OpenAPI documents (ZOOM_API.md §3); fields not listed here are typed by dlt.
"""

from __future__ import annotations

from typing import Dict

from dlt.common.schema.typing import TDataType, TTableSchemaColumns

_T: TDataType = "timestamp"
_I: TDataType = "bigint"
_S: TDataType = "text"
_B: TDataType = "bool"

# Past meeting/webinar participants and report participants (§3.3, §3.4, §3.7); `duration` in seconds.
PARTICIPANT: Dict[str, TDataType] = {
    "id": _S,
    "participant_user_id": _S,
    "user_id": _S,
    "name": _S,
    "user_email": _S,
    "join_time": _T,
    "leave_time": _T,
    "duration": _I,
    "failover": _B,
    "status": _S,
    "registrant_id": _S,
    "customer_key": _S,
    "bo_mtg_id": _S,
    "internal_user": _B,
}
_MEETING: Dict[str, TDataType] = {
    "id": _I,
    "uuid": _S,
    "host_id": _S,
    "type": _I,
    "topic": _S,
    "start_time": _T,
    "duration": _I,
    "created_at": _T,
}
_REGISTRANT: Dict[str, TDataType] = {"id": _S, "email": _S, "create_time": _T}
_MEETING_PARENT = {"meeting_uuid": _S, "meeting_id": _I}
_WEBINAR_PARENT = {"webinar_uuid": _S, "webinar_id": _I}

COLUMN_TYPES: Dict[str, Dict[str, TDataType]] = {
    "users": {
        "user_key": _S,
        "id": _S,
        "email": _S,
        "type": _I,
        "pmi": _I,
        "created_at": _T,
        "user_created_at": _T,
        "last_login_time": _T,
    },
    "meetings": _MEETING,
    "webinars": _MEETING,
    "past_meetings": {**_MEETING, "end_time": _T, "total_minutes": _I, "participants_count": _I},
    "meeting_participants": {**PARTICIPANT, **_MEETING_PARENT},
    "report_meeting_participants": {**PARTICIPANT, **_MEETING_PARENT},
    "webinar_participants": {**PARTICIPANT, **_WEBINAR_PARENT},
    "report_webinar_participants": {**PARTICIPANT, **_WEBINAR_PARENT},
    "meeting_registrants": {**_REGISTRANT, "meeting_id": _I},
    "meeting_polls": {"id": _S, "meeting_id": _I, "poll_type": _I},
    "meeting_poll_results": {
        **_MEETING_PARENT,
        "name": _S,
        "email": _S,
        "polling_id": _S,
        "question": _S,
        "answer": _S,
        "date_time": _T,
        "occurrence": _I,
    },
    "past_meeting_qa": {
        **_MEETING_PARENT,
        "name": _S,
        "email": _S,
        "question": _S,
        "answer": _S,
        "occurrence": _I,
    },
    "past_webinars": {"uuid": _S, "webinar_id": _I, "topic": _S, "host_id": _S, "start_time": _T},
    "webinar_registrants": {**_REGISTRANT, "webinar_id": _I},
    "webinar_panelists": {"id": _S, "email": _S, "webinar_id": _I},
    "webinar_polls": {"id": _S, "webinar_id": _I, "poll_type": _I},
    "webinar_tracking_sources": {"id": _S, "webinar_id": _I, "registration_count": _I, "visitor_count": _I},
    "webinar_absentees": {**_REGISTRANT, **_WEBINAR_PARENT},
    "recordings": {
        **_MEETING,
        "total_size": _I,
        "recording_count": _I,
        "account_id": _S,
        "auto_delete_date": _T,
    },
    # `id` (text) is not pinned: warehouses loaded before 2026-12 hold it as an always-NULL bigint (copied
    # from `recordings`) with the ids in `id__v_text`, and a text hint there would fail every load.
    "recording_files": {
        "file_key": _S,
        "meeting_uuid": _S,
        "meeting_id": _I,
        "file_type": _S,
        "file_size": _I,
        "recording_start": _T,
        "recording_end": _T,
        "status": _S,
    },
    "report_meetings": {
        **_MEETING,
        "end_time": _T,
        "total_minutes": _I,
        "participants_count": _I,
        "schedule_time": _T,
        "join_time": _T,
        "leave_time": _T,
        "join_waiting_room_time": _T,
    },
    "channels": {"id": _S, "name": _S, "type": _I},
    "channel_members": {"channel_id": _S, "member_id": _S, "id": _S, "email": _S},
    # Zoom Phone (the Phone OpenAPI document); `duration` in seconds
    "phone_users": {"id": _S, "email": _S, "extension_number": _I},
    "phone_calls": {
        "call_history_uuid": _S,
        "call_id": _S,
        "direction": _S,
        "start_time": _T,
        "answer_time": _T,
        "end_time": _T,
        "duration": _I,
        "call_result": _S,
        "recording_status": _S,
    },
    "phone_call_elements": {
        "call_history_uuid": _S,
        "call_element_id": _S,
        "start_time": _T,
        "answer_time": _T,
        "end_time": _T,
        "segment": _I,
    },
    "phone_recordings": {
        "id": _S,
        "call_id": _S,
        "call_element_id": _S,
        "date_time": _T,
        "end_time": _T,
        "duration": _I,
    },
}


def column_hints(table: str) -> TTableSchemaColumns:
    """dlt column hints that pin the types of `table`'s known fields (dlt sets nullability from the keys)."""
    return {name: {"data_type": t} for name, t in COLUMN_TYPES.get(table, {}).items()}
