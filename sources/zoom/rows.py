"""Row shaping shared by the resources: Zoom's time formats, empty strings, keys and column hints."""

from __future__ import annotations

from typing import Any, Dict, Iterable

from dlt.common.schema.typing import TTableSchemaColumns

from .dates import parse_time

# Zoom fields that hold instants; "" (e.g. recording_end while a recording is in progress) becomes null.
TIME_FIELDS = (
    "start_time",
    "end_time",
    "join_time",
    "leave_time",
    "created_at",
    "create_time",
    "user_created_at",
    "last_login_time",
    "recording_start",
    "recording_end",
    "date_time",
    "schedule_time",
    "join_waiting_room_time",
    "deleted_time",
    "auto_delete_date",
)


def normalize_times(record: Dict[str, Any], fields: Iterable[str] = TIME_FIELDS) -> Dict[str, Any]:
    """Returns the record with its time fields parsed to UTC datetimes (unparseable values left as they are)."""
    out = dict(record)
    for field in fields:
        if field in out:
            value = out[field]
            parsed = parse_time(value)
            if parsed is not None or value in ("", None):
                out[field] = parsed
    return out


def row_of(record: Any, **parent_keys: Any) -> Any:
    """A listed record with its times parsed and its parent keys added. Anything but an object is passed on
    as it is, for `rejects` to set aside (a list holding a null or a string where Zoom sends objects)."""
    return dict(normalize_times(record), **parent_keys) if isinstance(record, dict) else record


def timestamp_hints(*fields: str) -> TTableSchemaColumns:
    """Column hints that type the given fields as UTC timestamps even when the first rows carry nulls."""
    return {f: {"data_type": "timestamp", "nullable": True} for f in fields}


def bigint_hints(*fields: str) -> TTableSchemaColumns:
    return {f: {"data_type": "bigint", "nullable": True} for f in fields}


def text_hints(*fields: str) -> TTableSchemaColumns:
    return {f: {"data_type": "text", "nullable": True} for f in fields}


def user_key(user: Dict[str, Any]) -> str:
    """Pending users have no id, so they are keyed by their email."""
    return str(user["id"]) if user.get("id") else f"pending:{user.get('email', '')}"


def file_key(file: Dict[str, Any], meeting_uuid: str) -> str:
    """CC and TIMELINE files carry no id; key them by what identifies them within the recording."""
    if file.get("id"):
        return str(file["id"])
    return f"{meeting_uuid}|{file.get('file_type', '')}|{file.get('recording_start', '')}"
