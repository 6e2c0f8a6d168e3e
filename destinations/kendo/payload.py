"""Maps a warehouse `calls` row (docs/CONTRACTS.md §5) to the body of one Kendo Push API call.

| Kendo field  | from `calls`       | notes                                                       |
|--------------|--------------------|-------------------------------------------------------------|
| callTitle    | title              |                                                             |
| repName      | rep_name           | omitted when null                                           |
| repEmail     | rep_email          | omitted when null                                           |
| callDate     | call_date          | ISO-8601 UTC with a `Z`, whole seconds                      |
| duration     | duration_minutes   | we send **minutes** (Zoom's recording `duration`)           |
| audioUrl     | audio_url          | or what `audio_url_fn(row)` returns (audio_urls.py); omitted when null |
| transcript   | transcript         | omitted when null or empty (Kendo then transcribes audio)   |
| metadata     | meeting_uuid / id  | {"source": "zoom", "zoomMeetingUuid", "zoomMeetingId" (str)} |

A Zoom Phone call (`source = 'zoom_phone'`) gets `{"source": "zoom_phone", "zoomCallHistoryId",
"zoomRecordingId"}` as metadata instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sources.zoom.dates import parse_instant, to_utc

from .settings import PHONE_SOURCE

TPayload = dict[str, Any]


def format_call_date(value: Any) -> str | None:
    """Formats a timestamp (datetime, or an ISO string) as Kendo's `YYYY-MM-DDTHH:MM:SSZ` in UTC."""
    if value is None or value == "":
        return None
    if not isinstance(value, (str, date)):
        raise TypeError(f"call_date must be a timestamp, got {type(value).__name__}")
    moment = parse_instant(value)  # the connector's one date parser; a naive value is UTC (the warehouse's)
    if moment is None:
        raise ValueError(f"call_date: not a timestamp: {value!r}")
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(value: Any) -> int | float | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def build_payload(row: Mapping[str, Any], audio_url: str | None = None) -> TPayload:
    """Builds the Kendo body for one call row; null optional fields are left out.

    Args:
        row: a `calls` row (dict with the CONTRACTS §5 column names).
        audio_url: overrides `row["audio_url"]` (e.g. a staged, downloadable copy of the recording).

    Returns:
        The JSON body to POST, exactly as Kendo's Push API guide names the fields.
    """
    meeting_id = row.get("meeting_id")
    fields: dict[str, Any] = {
        "callTitle": row.get("title"),
        "repName": row.get("rep_name"),
        "repEmail": row.get("rep_email"),
        "callDate": format_call_date(row.get("call_date")),
        "duration": _duration(row.get("duration_minutes")),
        "audioUrl": audio_url if audio_url is not None else row.get("audio_url"),
        "transcript": row.get("transcript"),
    }
    payload: TPayload = {k: v for k, v in fields.items() if v is not None and v != ""}
    if row.get("source") == PHONE_SOURCE:
        phone = {
            "zoomCallHistoryId": row.get("zoom_call_history_id"),
            "zoomRecordingId": row.get("zoom_recording_id"),
        }
        payload["metadata"] = {
            "source": PHONE_SOURCE,
            **{k: str(v) for k, v in phone.items() if v is not None},
        }
        return payload
    metadata: dict[str, Any] = {"source": "zoom", "zoomMeetingUuid": row["meeting_uuid"]}
    if meeting_id is not None:
        metadata["zoomMeetingId"] = str(int(meeting_id)) if not isinstance(meeting_id, str) else meeting_id
    payload["metadata"] = metadata
    return payload


def strip_query(url: str) -> str:
    """The URL without its query string and fragment (which carry tokens and expiry signatures)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def payload_hash(payload: Mapping[str, Any]) -> str:
    """A stable hash of the call's content, used to notice calls that changed after they were sent.

    The audio URL is hashed without its query string: download tokens and presigned signatures change on
    every run, the recording they point to does not.
    """
    content = dict(payload)
    if isinstance(content.get("audioUrl"), str):
        content["audioUrl"] = strip_query(content["audioUrl"])
    blob = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def redact_url(url: str) -> str:
    """Masks every query-string value (access_token=..., X-Amz-Signature=...) so a URL can be shown."""
    parts = urlsplit(url)
    if not parts.query and not parts.fragment:
        return url
    query = urlencode([(k, "***") for k, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


_URL_RE = re.compile(r"https?://[^\s\"'<>]+")


def redact_text(text: str) -> str:
    """Masks query-string values of every URL inside a message (e.g. an error echoed by Kendo)."""
    return _URL_RE.sub(lambda m: redact_url(m.group(0)), text)


def redacted_payload(payload: Mapping[str, Any]) -> TPayload:
    """A copy of the payload that is safe to print: the audio URL's tokens are masked."""
    shown = dict(payload)
    if isinstance(shown.get("audioUrl"), str):
        shown["audioUrl"] = redact_url(shown["audioUrl"])
    return shown
