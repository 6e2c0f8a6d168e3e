"""The emulator's knobs: data size, plan, rate limits, faults. Every knob can change at run time."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

LIGHT, MEDIUM, HEAVY, RESOURCE_INTENSIVE = "Light", "Medium", "Heavy", "Resource-intensive"
CATEGORIES = (LIGHT, MEDIUM, HEAVY, RESOURCE_INTENSIVE)

# Requests per second per category, by plan (Zoom's rate-limit page; Resource-intensive is per minute).
PLAN_QPS = {
    "free": {LIGHT: 4.0, MEDIUM: 2.0, HEAVY: 1.0, RESOURCE_INTENSIVE: 10 / 60},
    "pro": {LIGHT: 30.0, MEDIUM: 20.0, HEAVY: 10.0, RESOURCE_INTENSIVE: 10 / 60},
    "business": {LIGHT: 80.0, MEDIUM: 60.0, HEAVY: 40.0, RESOURCE_INTENSIVE: 20 / 60},
}
# Daily caps: each entry is (categories sharing the cap, requests per UTC day).
PLAN_DAILY_CAPS = {
    "free": [((LIGHT,), 6000), ((MEDIUM,), 2000), ((HEAVY, RESOURCE_INTENSIVE), 1000)],
    "pro": [((HEAVY, RESOURCE_INTENSIVE), 30_000)],
    "business": [((HEAVY, RESOURCE_INTENSIVE), 60_000)],
}

# Zoom Phone has its own table (ZOOM_API §4, §10.2), counted in buckets of its own. Phone needs a paid plan:
# "free" uses the Pro column.
PHONE_QPS = {
    "pro": {LIGHT: 20.0, MEDIUM: 10.0, HEAVY: 5.0, RESOURCE_INTENSIVE: 5 / 60},
    "business": {LIGHT: 40.0, MEDIUM: 20.0, HEAVY: 10.0, RESOURCE_INTENSIVE: 10 / 60},
}
PHONE_QPS["free"] = PHONE_QPS["pro"]
PHONE_DAILY_CAPS = {
    "free": [((HEAVY, RESOURCE_INTENSIVE), 15_000)],
    "pro": [((HEAVY, RESOURCE_INTENSIVE), 15_000)],
    "business": [((HEAVY, RESOURCE_INTENSIVE), 30_000)],
}

# Faults of recording files (knob `file_faults`). The TRANSCRIPT kinds hit the TRANSCRIPT file, `chat_garbage`
# the CHAT file. UNREADABLE ones leave nothing a parser can read; the others must parse (see files.py).
TRANSCRIPT_FAULTS = (
    "html_page",
    "truncated_vtt",
    "truncated_tail",
    "empty_file",
    "garbage_bytes",
    "bom_crlf",
    "cp1252",
    "stray_byte",
    "nul_byte",
)
CHAT_FAULTS = ("chat_garbage",)
FILE_FAULT_KINDS = TRANSCRIPT_FAULTS + CHAT_FAULTS
UNREADABLE_FAULTS = ("html_page", "truncated_vtt", "empty_file", "garbage_bytes")
# Files that load after a repair (a stray byte replaced, NULs dropped): each also gets a file_errors row.
REPAIRED_FAULTS = ("stray_byte", "nul_byte")
# Rows the knob `bad_values` can corrupt: participant rows of meeting instances (served by
# /past_meetings/{uuid}/participants and /report/meetings/{uuid}/participants), and recordings (the
# recording listings of /users/{userId}/recordings and /meetings/{uuid}/recordings).
BAD_VALUE_ROWS = ("meeting_participants", "recordings")


def default_now() -> datetime:
    """Current UTC time truncated to the hour: the anchor every generated date is relative to."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Knobs:
    """Everything that shapes the emulator. Data knobs take effect on reset; the rest immediately."""

    # data (deterministic from seed)
    seed: int = 7
    users: int = 6
    meetings_per_user: int = 4
    instances: int = 3  # past instances per recurring meeting
    participants: int = 6  # max distinct people per instance
    webinars: int = 1  # per hosting user
    days_of_history: int = 90
    channels: int = 3
    media_bytes: int = 4096  # approximate size of MP4/M4A stubs
    now: datetime | None = None
    plan_features: dict = field(default_factory=lambda: {"webinars": True, "reports": True})
    # Zoom licenses webinars per user: a share of the active users (0..1, spread evenly over the user list)
    # or a list of user ids / emails. Unlicensed users answer 400/200 on their webinar listing, host none.
    webinar_licences: float | list = 1.0
    # this many active users have in-meeting polls turned off by an admin (picked from the seed): polls and
    # poll results of their meetings answer 400/4400
    polls_disabled_users: int = 0
    # Zoom Phone (phone_data.py): a Phone licence per user, like webinar_licences (default: nobody)
    phone_licences: float | list = 0.0
    phone_calls_per_user: int = 6  # spread over days_of_history
    # transcript states of the newest phone recordings: {"pending": n, "12000": n, "12001": n}
    phone_transcript_faults: dict = field(default_factory=dict)
    # credentials
    account_id: str = "emuAccount01"
    client_id: str = "emu-client-id"
    client_secret: str = "emu-client-secret"
    # auth and paging
    token_ttl: float = 3600
    page_token_ttl: float = 900
    # rate limits
    plan: str = "pro"
    rate_limits: bool = True
    daily_cap: int | None = None  # overrides the Heavy + Resource-intensive daily cap
    qps_overrides: dict = field(default_factory=dict)  # {"Light": 100, ...}
    phone_qps_overrides: dict = field(default_factory=dict)  # the same for the Phone buckets
    # faults (applied to /v2 calls; to downloads and OAuth only when the flags say so)
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate_5xx: float = 0.0
    drop_rate: float = 0.0
    force_429: int = 0  # the next N API calls answer 429
    retry_after: float | None = None  # Retry-After seconds on forced 429s (None: no header)
    faults_on_downloads: bool = False
    faults_on_oauth: bool = False
    redirect_downloads: bool = True  # downloads answer 302 to a signed file-host ("CDN") URL first
    # recording files' download_url carries `?access_token=<download token>` (older Zoom payloads do)
    download_url_tokens: bool = False
    # bad recording files: {kind: how many recordings get it} (FILE_FAULT_KINDS; chosen from the seed)
    file_faults: dict = field(default_factory=dict)
    # scopes the app lacks (e.g. ["report:read:admin"]): their routes answer 400/4711 for every caller
    missing_scopes: list = field(default_factory=list)
    # meeting instances (UUIDs) Zoom can't serve for now: every /v2 route naming one answers 500 (an outage
    # on Zoom's side for that meeting's data, as seen while a meeting's data is still being processed)
    failing_instances: list = field(default_factory=list)
    # recording downloads refuse the app's OAuth token (it lacks the recording-file scope): only a download
    # token (the webhook's `download_token`, or `download_access_token`) as Bearer gets the file
    downloads_need_download_token: bool = False
    # malformed values: [{"rows": "meeting_participants", "field": "join_time", "value": "not-a-date",
    # "count": 1}]; each entry corrupts `field` of `count` rows (distinct, chosen from the seed)
    bad_values: list = field(default_factory=list)
    # this many listed meetings answer 404/3001 on detail, registrants and polls (deleted mid-sync)
    vanish_meetings: int = 0

    def __post_init__(self) -> None:
        if self.now is None:
            self.now = default_now()
        elif isinstance(self.now, str):
            self.now = datetime.fromisoformat(self.now.replace("Z", "+00:00"))
        if self.now.tzinfo is None:
            self.now = self.now.replace(tzinfo=UTC)
        if self.plan not in PLAN_QPS:
            raise ValueError(f"unknown plan {self.plan!r}; use one of {sorted(PLAN_QPS)}")
        self.plan_features = {"webinars": True, "reports": True, **(self.plan_features or {})}
        self.file_faults = dict(self.file_faults or {})
        unknown = set(self.file_faults) - set(FILE_FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown file fault(s) {sorted(unknown)}; use {list(FILE_FAULT_KINDS)}")
        if any(not isinstance(n, int) or n < 0 for n in self.file_faults.values()):
            raise ValueError("file_faults counts must be non-negative integers")
        self.vanish_meetings = int(self.vanish_meetings or 0)
        self.missing_scopes = [str(x) for x in self.missing_scopes or []]
        self.failing_instances = [str(x) for x in self.failing_instances or []]
        if isinstance(self.webinar_licences, (list, tuple)):
            self.webinar_licences = [str(u) for u in self.webinar_licences]
        elif isinstance(self.webinar_licences, bool) or not 0 <= float(self.webinar_licences) <= 1:
            raise ValueError("webinar_licences must be a share between 0 and 1 or a list of user ids/emails")
        else:
            self.webinar_licences = float(self.webinar_licences)
        if isinstance(self.phone_licences, (list, tuple)):
            self.phone_licences = [str(u) for u in self.phone_licences]
        elif isinstance(self.phone_licences, bool) or not 0 <= float(self.phone_licences) <= 1:
            raise ValueError("phone_licences must be a share between 0 and 1 or a list of user ids/emails")
        else:
            self.phone_licences = float(self.phone_licences)
        self.phone_transcript_faults = {
            str(k): int(v) for k, v in (self.phone_transcript_faults or {}).items()
        }
        unknown_phone = set(self.phone_transcript_faults) - {"pending", "12000", "12001"}
        if unknown_phone:
            raise ValueError(
                f"unknown phone_transcript_faults {sorted(unknown_phone)}; use pending, 12000, 12001"
            )
        self.bad_values = [dict(b) for b in self.bad_values or []]
        for b in self.bad_values:
            if b.get("rows") not in BAD_VALUE_ROWS or not isinstance(b.get("field"), str) or "value" not in b:
                raise ValueError(
                    f"bad_values entry {b!r}: needs rows in {list(BAD_VALUE_ROWS)}, field, value"
                )
            if not isinstance(b.setdefault("count", 1), int) or b["count"] < 1:
                raise ValueError(f"bad_values entry {b!r}: count must be a positive integer")

    def copy(self) -> Knobs:
        return copy.deepcopy(self)

    def update(self, **changes: Any) -> None:
        """Applies knob changes, rejecting unknown names (a typo must not pass silently)."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown knob(s) {sorted(unknown)}; known: {sorted(known)}")
        for name, value in changes.items():
            setattr(self, name, value)
        self.__post_init__()

    def as_json(self) -> dict:
        d = asdict(self)
        d["now"] = self.now.isoformat().replace("+00:00", "Z") if self.now else None
        return d

    def qps(self, category: str) -> float:
        return float(self.qps_overrides.get(category, PLAN_QPS[self.plan][category]))

    def phone_qps(self, category: str) -> float:
        return float(self.phone_qps_overrides.get(category, PHONE_QPS[self.plan][category]))

    def phone_daily_caps(self) -> list[tuple[tuple[str, ...], int]]:
        return list(PHONE_DAILY_CAPS[self.plan])

    def daily_caps(self) -> list[tuple[tuple[str, ...], int]]:
        caps = list(PLAN_DAILY_CAPS[self.plan])
        if self.daily_cap is not None:
            caps = [c for c in caps if HEAVY not in c[0]] + [
                ((HEAVY, RESOURCE_INTENSIVE), int(self.daily_cap))
            ]
        return caps


DATA_KNOBS = (
    "seed",
    "users",
    "meetings_per_user",
    "instances",
    "participants",
    "webinars",
    "days_of_history",
    "channels",
    "media_bytes",
    "now",
    "plan_features",
    "webinar_licences",
    "polls_disabled_users",
    "file_faults",
    "bad_values",
    "phone_licences",
    "phone_calls_per_user",
    "phone_transcript_faults",
)
