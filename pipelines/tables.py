"""The table reference (README and `zoom-pipeline tables`), generated from the endpoint table."""

from __future__ import annotations

from typing import Any, List

from sources.zoom.instances import TIME_BOUND
from sources.zoom.recordings import TABLES as RECORDING_TABLES
from sources.zoom.settings import ENDPOINTS, REJECTED_ROWS_KEY, REJECTED_ROWS_TABLE

# Tables fed by a different endpoint than their own name, or built from files.
_FROM = {
    "meetings": "GET /users/{userId}/meetings (scheduled + previous_meetings) → GET /meetings/{meetingId}",
    "webinars": "GET /users/{userId}/webinars → GET /webinars/{webinarId}",
    "past_meetings": "instances from /past_meetings/{id}/instances, reports and recordings → GET /past_meetings/{uuid}",
    "past_webinars": "GET /past_webinars/{webinarId}/instances",
    "recordings": "GET /users/{userId}/recordings (month windows)",
    "recording_files": "recording_files[] and participant_audio_files[] of each recording",
    "transcripts": "TRANSCRIPT file (VTT), cleaned",
    "transcript_segments": "TRANSCRIPT file (VTT), one row per cue",
    "caption_segments": "CC file, one row per cue",
    "chat_messages": "CHAT file (both TXT layouts), one row per line",
    "file_errors": "files that failed to download or parse, or loaded after a repair (stray bytes, NULs), with the reason",
    "calls": "recordings + files + transcript (no extra Zoom calls); the Kendo payload",
    "report_meetings": "GET /report/users/{userId}/meetings (month windows, last 6 months)",
    "channels": "GET /chat/users/{userId}/channels (deduplicated)",
    REJECTED_ROWS_TABLE: "rows of any table whose key, time or typed field could not be read: table_name, reason, "
    "row_key, payload (JSON), rejected_at",
}


def _key(key: Any) -> str:
    return ", ".join(key) if isinstance(key, (tuple, list)) else str(key)


def table_rows() -> List[List[str]]:
    names = [
        n
        for n, e in ENDPOINTS.items()
        if e.primary_key and n not in ("meeting", "webinar", "meeting_recordings")
    ]
    names += list(RECORDING_TABLES)
    rows = []
    for name in names:
        e = ENDPOINTS.get(name)
        key = (
            RECORDING_TABLES[name]["primary_key"]
            if name in RECORDING_TABLES
            else (e.primary_key if e else "")
        )
        cursor = "start_time (window)" if name in TIME_BOUND or name in RECORDING_TABLES else "— (merge)"
        source = _FROM.get(name) or (f"GET {e.path}" if e else "")
        rows.append([f"`{name}`", _key(key), cursor, source])
    rows.append(
        [f"`{REJECTED_ROWS_TABLE}`", _key(REJECTED_ROWS_KEY), "— (merge)", _FROM[REJECTED_ROWS_TABLE]]
    )
    return rows


def table_reference() -> str:
    header = ["table", "primary key", "cursor", "from"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows()]
    return "\n".join(lines)
