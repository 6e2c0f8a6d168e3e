"""The one table of Zoom endpoint facts, plus defaults.

Every other module (client, registry, docs, benchmarks) reads endpoint facts from here: path, list key,
rate-limit category, max page size and window rule; tables (key, refresh rule, builder) are in registry.py. Facts come from Zoom's OpenAPI
documents (Meetings, Users, Team Chat); see README "Table reference".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional, Tuple, Union

DEFAULT_BASE_URL = "https://api.zoom.us/v2"
DEFAULT_TOKEN_URL = "https://zoom.us/oauth/token"
# With no start date set, the first run backfills this many months before today (computed at run time):
# Zoom keeps past meetings and their participants for a year (12702 beyond). Windows are calendar months,
# counted as Zoom counts them (windows.py).
DEFAULT_START_MONTHS_BACK = 12
# Reports answer only for windows that start within the last six months (400/300 otherwise) ...
REPORT_HORIZON_MONTHS = 6
# ... counted (like Zoom Phone's, and any other horizon) from this many days ahead of our today: Zoom's "today" can be ahead of ours (its time zone, or
# midnight passing during a run), and a window that starts a day too early fails whole.
HORIZON_MARGIN_DAYS = 2
# Late recordings, transcripts and participant durations keep changing for a while after a meeting ends.
DEFAULT_LAG_DAYS = 2
# Entity tables (meetings, webinars, channels and their children) are re-read in full this often; runs in
# between read only what is new (refresh.py).
DEFAULT_ENTITY_REFRESH_HOURS = 24


class Category(str, Enum):
    """Zoom's rate-limit labels (every operation's `Rate Limit Label`)."""

    LIGHT = "Light"
    MEDIUM = "Medium"
    HEAVY = "Heavy"
    RESOURCE_INTENSIVE = "Resource-intensive"


class Window(str, Enum):
    """How an endpoint bounds the dates one request may ask for."""

    NONE = "none"
    # `from`/`to` wider than a calendar month is narrowed to `to − 1 month` silently (recordings).
    MONTH_CLAMPED = "month_clamped"
    # `from`/`to` wider than a month, or older than six months, is rejected with 400/300 (reports).
    MONTH_WITHIN_6_MONTHS = "month_within_6_months"


# Requests per second per category, by plan (Zoom's rate-limit page). Resource-intensive is per minute.
RATE_LIMIT_PLANS = {
    "free": {
        Category.LIGHT: 4.0,
        Category.MEDIUM: 2.0,
        Category.HEAVY: 1.0,
        Category.RESOURCE_INTENSIVE: 10 / 60,
    },
    "pro": {
        Category.LIGHT: 30.0,
        Category.MEDIUM: 20.0,
        Category.HEAVY: 10.0,
        Category.RESOURCE_INTENSIVE: 10 / 60,
    },
    "business": {
        Category.LIGHT: 80.0,
        Category.MEDIUM: 60.0,
        Category.HEAVY: 40.0,
        Category.RESOURCE_INTENSIVE: 20 / 60,
    },
}
# Combined daily cap for Heavy + Resource-intensive requests (None: no documented cap).
DAILY_CAPS = {"free": 1000, "pro": 30_000, "business": 60_000}
DEFAULT_PLAN = "pro"

Key = Union[str, Tuple[str, ...]]


@dataclass(frozen=True)
class Endpoint:
    """Facts about one Zoom GET endpoint (the tables it feeds are in registry.py).

    Attributes:
        name: our name for the endpoint; usually also the name of the table it feeds.
        path: path under the API base, with `{placeholders}`.
        category: rate-limit category.
        list_key: the key holding the records, or None for a single object.
        page_size: max page size, or None when the endpoint is not paginated.
        window: the date-window rule of the endpoint.
    """

    name: str
    path: str
    category: Category
    list_key: Optional[str] = None
    page_size: Optional[int] = None
    window: Window = Window.NONE


_L, _M, _H = Category.LIGHT, Category.MEDIUM, Category.HEAVY
_MONTH, _REPORT = Window.MONTH_CLAMPED, Window.MONTH_WITHIN_6_MONTHS

ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in [
        # Users. Zoom's docs disagree on the max page size (300 vs 2000); 300 is safe with both.
        Endpoint("users", "/users", _M, "users", 300),
        Endpoint("user", "/users/{user_id}", _L),
        # Meetings
        Endpoint("meetings", "/users/{user_id}/meetings", _M, "meetings", 300),
        Endpoint("meeting", "/meetings/{meeting_id}", _L),
        Endpoint("past_meeting_instances", "/past_meetings/{meeting_id}/instances", _M, "meetings"),
        Endpoint("past_meetings", "/past_meetings/{meeting_uuid}", _L),
        Endpoint(
            "meeting_participants", "/past_meetings/{meeting_uuid}/participants", _M, "participants", 300
        ),
        Endpoint("meeting_registrants", "/meetings/{meeting_id}/registrants", _M, "registrants", 300),
        Endpoint("meeting_polls", "/meetings/{meeting_id}/polls", _L, "polls"),
        Endpoint("meeting_poll_results", "/past_meetings/{meeting_uuid}/polls", _M, "questions"),
        Endpoint("past_meeting_qa", "/past_meetings/{meeting_uuid}/qa", _M, "questions"),
        # Webinars
        Endpoint("webinars", "/users/{user_id}/webinars", _M, "webinars", 300),
        Endpoint("webinar", "/webinars/{webinar_id}", _L),
        Endpoint("past_webinars", "/past_webinars/{webinar_id}/instances", _L, "webinars"),
        Endpoint("webinar_registrants", "/webinars/{webinar_id}/registrants", _M, "registrants", 300),
        Endpoint("webinar_panelists", "/webinars/{webinar_id}/panelists", _M, "panelists"),
        Endpoint("webinar_polls", "/webinars/{webinar_id}/polls", _L, "polls"),
        Endpoint(
            "webinar_tracking_sources", "/webinars/{webinar_id}/tracking_sources", _M, "tracking_sources"
        ),
        Endpoint("webinar_absentees", "/past_webinars/{webinar_uuid}/absentees", _H, "registrants", 300),
        Endpoint(
            "webinar_participants", "/past_webinars/{webinar_uuid}/participants", _M, "participants", 300
        ),
        # Cloud recordings
        Endpoint("recordings", "/users/{user_id}/recordings", _M, "meetings", 300, window=_MONTH),
        Endpoint("meeting_recordings", "/meetings/{meeting_uuid}/recordings", _L),
        # Reports (Heavy; one-month windows within the last six months)
        Endpoint("report_meetings", "/report/users/{user_id}/meetings", _H, "meetings", 300, window=_REPORT),
        Endpoint(
            "report_meeting_participants",
            "/report/meetings/{meeting_uuid}/participants",
            _H,
            "participants",
            300,
        ),
        Endpoint(
            "report_webinar_participants",
            "/report/webinars/{webinar_uuid}/participants",
            _H,
            "participants",
            300,
        ),
        # Team Chat
        Endpoint("channels", "/chat/users/{user_id}/channels", _M, "channels", 1000),
        Endpoint("channel_members", "/chat/channels/{channel_id}/members", _M, "members", 100),
    ]
}


# Rows whose key, cursor or a typed field can't be read (sources/zoom/rejects.py). Keyed by the table and a
# hash of the payload, so the same bad row seen on a re-run or in an overlapping window is stored once.
REJECTED_ROWS_TABLE = "rejected_rows"
REJECTED_ROWS_KEY: Tuple[str, ...] = ("table_name", "payload_hash")


def endpoint(name: str) -> Endpoint:
    """Returns the endpoint facts for `name`, with a clear error for a typo."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise KeyError(f"unknown Zoom endpoint {name!r}; known: {', '.join(sorted(ENDPOINTS))}") from None


# Zoom Phone, the 2026 call-history API (not the deprecated /phone/call_logs*). Phone has a rate-limit table
# of its own, counted apart from the meeting APIs' (phone_client.py); categories are from the Phone spec.
PHONE_ENDPOINTS = [
    Endpoint("phone_users", "/phone/users", _M, "users", 100),
    Endpoint("phone_call_history", "/phone/call_history", _H, "call_history", 300, window=_REPORT),
    Endpoint("phone_call_history_detail", "/phone/call_history/{call_history_uuid}", _L),
    Endpoint("phone_recordings", "/phone/recordings", _M, "recordings", 300, window=_REPORT),
    Endpoint("phone_transcript", "/phone/recording_transcript/download/{recording_id}", _L),
]
ENDPOINTS.update({e.name: e for e in PHONE_ENDPOINTS})
# Requests per second per category of Zoom Phone, by plan (ZOOM_API §4): Phone needs a paid plan, so
# "free" paces like Pro. Resource-intensive is per minute.
PHONE_RATE_LIMIT_PLANS = {
    "pro": {_L: 20.0, _M: 10.0, _H: 5.0, Category.RESOURCE_INTENSIVE: 5 / 60},
    "business": {_L: 40.0, _M: 20.0, _H: 10.0, Category.RESOURCE_INTENSIVE: 10 / 60},
}
PHONE_RATE_LIMIT_PLANS["free"] = PHONE_RATE_LIMIT_PLANS["pro"]
# Phone's combined Heavy + Resource-intensive daily cap
PHONE_DAILY_CAPS = {"free": 15_000, "pro": 15_000, "business": 30_000}
# Zoom answers Phone queries for the last six months only, one month per request.
PHONE_HORIZON_MONTHS = 6
