"""The one list of tables: each declared once, with its key, refresh rule, parent and row builder.

Everything else derives from it: the source's resources (`zoom_source`), `zoom-pipeline tables` and the
README table reference, `--resources`, the instances feeder's listings, and the tests' table lists.
Endpoint facts (path, page size, rate-limit category) stay in `settings.ENDPOINTS`; a table names the
endpoint that serves its rows. The emulator keeps its own list (emulators/zoom/truth.py); a test checks
that the two agree.

Adding a plain child table: one `Table(...)` here, plus its row builder (the `build` function).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Dict, List, Optional, Tuple

from dlt.common.schema.typing import TTableSchemaColumns

from .column_types import column_hints
from .rows import bigint_hints as _i
from .rows import text_hints as _s
from .rows import timestamp_hints as _t
from .settings import ENDPOINTS, REJECTED_ROWS_KEY, REJECTED_ROWS_TABLE, Key


class Refresh(str, Enum):
    """How a table's rows are kept current."""

    # re-read every run and merged on the key
    MERGE = "merge"
    # read for the instances whose start falls in this run's month windows (cursor per resource)
    WINDOW = "window"
    # emitted by another table's resource (`made_by`) from the data it already holds
    SIDE = "side"
    # Zoom Phone: the resource's own month windows within six months (cursor per resource, phone.py)
    PHONE_WINDOW = "phone_window"


# Where a table's rows come from, for tests and docs: a Zoom response, a downloaded file, our own record
# of a failure, or other rows.
API, FILE, ERRORS, DERIVED = "api", "file", "errors", "derived"
# Rows from the events Zoom POSTs to `zoom-pipeline webhooks serve` (pipelines/webhooks), not from the source.
EVENTS = "events"
WEBHOOKS = "webhooks"  # the `made_by` of tables only the webhook receiver writes
# Instance kinds (instances.py): the listing that found an ended instance.
MEETING_INSTANCE, RECORDING, REPORT, WEBINAR_INSTANCE = (
    "meeting_instance",
    "recording",
    "report",
    "webinar_instance",
)
MEETING_KINDS = (MEETING_INSTANCE, RECORDING, REPORT)
# The hidden feeder every time-bound table reads: a stream of instance references.
INSTANCES = "instances"
# What Zoom deletes, as a webhook says (pipelines/webhooks): a meeting instance's recording
# (recording.trashed / recording.deleted, by instance UUID) or a scheduled meeting (meeting.deleted, by id).
# Rows are marked with the event's time in DELETED_COLUMN, never dropped; a table's `marked_by` names which
# deletion marks it and the column holding that UUID or id.
RECORDING_DELETED, MEETING_DELETED = "recording_deleted", "meeting_deleted"
DELETED_COLUMN = "_zoom_deleted_at"
_DELETED_HINT: TTableSchemaColumns = {DELETED_COLUMN: {"data_type": "timestamp", "nullable": True}}


@dataclass(frozen=True)
class Table:
    """One resource the source builds: a table, or a hidden feeder (`hidden`) other tables read.

    Attributes:
        name: the table (and dlt resource) name.
        build: "module:function" under sources.zoom; called as `function(run, *args, item)` for a child
            (item: the parent's item) or `function(run)` for a top-level resource.
        parent: the resource whose items this one reads (how its parents are discovered), or None.
        key: primary key (rows are merged on it).
        endpoint: the `settings.ENDPOINTS` entry serving its rows, if any.
        refresh: how rows are kept current (MERGE, WINDOW, SIDE).
        kinds: for WINDOW tables, the instance kinds it takes (which listings must run for it).
        made_by: for SIDE tables, the resource that emits its rows (`--resources` selects that one).
        also_made_by: other resources that emit rows into the same SIDE table (`calls`: Zoom Phone's
            recordings beside the meetings'); `--resources` selects them too.
        args: extra arguments passed to `build` after `run`.
        parallel: build each parent item in dlt's thread pool.
        rows: API, FILE, ERRORS or DERIVED.
        origin: the README's "from" text, when not simply `GET <endpoint path>`.
        columns: a SIDE table's column hints (a resource's come from column_types.COLUMN_TYPES).
        marked_by: (RECORDING_DELETED or MEETING_DELETED, the column holding the instance UUID or the
            meeting id): the deletion that marks its rows in DELETED_COLUMN (declared as a column hint).
        final_when_ended: a per-instance table whose empty answer for an ended instance is final.
    """

    name: str
    build: str = ""
    parent: Optional[str] = None
    key: Optional[Key] = None
    endpoint: Optional[str] = None
    refresh: Refresh = Refresh.MERGE
    kinds: Tuple[str, ...] = ()
    made_by: Optional[str] = None
    also_made_by: Tuple[str, ...] = ()
    args: Tuple[Any, ...] = ()
    parallel: bool = False
    hidden: bool = False
    rows: str = API
    origin: Optional[str] = None
    columns: Optional[TTableSchemaColumns] = None
    marked_by: Optional[Tuple[str, str]] = None
    # for a per-instance table: an ended instance's answer is final (no polls stay no polls), so an empty
    # answer or a 404 is remembered and not asked again (refresh.py); participants, by contrast, arrive late
    final_when_ended: bool = False

    @property
    def key_fields(self) -> Tuple[str, ...]:
        if self.key is None:
            return ()
        return (self.key,) if isinstance(self.key, str) else tuple(self.key)

    @property
    def makers(self) -> Tuple[str, ...]:
        """The resources that emit this table's rows: itself for a resource, `made_by` (and
        `also_made_by`) for a SIDE table."""
        return (self.made_by, *self.also_made_by) if self.made_by else (self.name,)

    def column_hints(self) -> TTableSchemaColumns:
        """Pinned column types: column_types.COLUMN_TYPES for a resource; a side table's own `columns`; and
        DELETED_COLUMN for a table a deletion marks, so dlt creates and keeps it."""
        hints = dict(self.columns or {}) if self.refresh is Refresh.SIDE else column_hints(self.name)
        return {**hints, **_DELETED_HINT} if self.marked_by else hints

    def side_hints(self) -> Dict[str, Any]:
        """dlt hints for a SIDE table's rows (`dlt.mark.make_hints`)."""
        return dict(
            table_name=self.name, primary_key=self.key, write_disposition="merge", columns=self.column_hints()
        )

    def source_text(self) -> str:
        if self.origin:
            return self.origin
        return f"GET {ENDPOINTS[self.endpoint].path}" if self.endpoint else ""


_SIDE = Refresh.SIDE


def _per_instance(name: str, build: str, key: Key, kinds: Tuple[str, ...], **kw: Any) -> Table:
    """A time-bound table: a transformer over the instance stream, built in parallel unless told not."""
    kw.setdefault("parallel", True)
    return Table(name, build, INSTANCES, key, refresh=Refresh.WINDOW, kinds=kinds, **kw)


def _rec(name: str, key: Key, columns: TTableSchemaColumns, rows: str = FILE, **kw: Any) -> Table:
    """A table the recordings resource emits for each recorded instance (marked when it is deleted)."""
    kw.setdefault("marked_by", (RECORDING_DELETED, "meeting_uuid"))
    return Table(name, key=key, refresh=_SIDE, made_by="recordings", rows=rows, columns=columns, **kw)


def _phone_rec(name: str, key: Key, columns: TTableSchemaColumns, rows: str = FILE, **kw: Any) -> Table:
    """A table the phone_recordings resource emits for each recording."""
    return Table(name, key=key, refresh=_SIDE, made_by="phone_recordings", rows=rows, columns=columns, **kw)


TABLES: List[Table] = [
    # Users. Pending users have no id: rows carry `user_key` (id, or "pending:<email>").
    Table("users", "users:iter_users", key="user_key", endpoint="users"),
    # Zoom Phone (phone.py): the 2026 call-history API, account-level month windows within six months.
    # Listed early: dlt starts resources in this order, and Phone's buckets are its own to fill at once.
    Table("phone_users", "phone:iter_phone_users", key="id", endpoint="phone_users"),
    Table(
        "phone_calls",
        "phone:iter_phone_calls",
        key="call_history_uuid",
        endpoint="phone_call_history",
        refresh=Refresh.PHONE_WINDOW,
        origin="GET /phone/call_history (month windows, last 6 months)",
    ),
    Table(
        "phone_call_elements",
        "phone:iter_call_elements",
        "phone_calls",
        ("call_history_uuid", "call_element_id"),
        "phone_call_history_detail",
        origin="call_elements[] of GET /phone/call_history/{callHistoryUuid} (the legs; call-level fields "
        "stay in phone_calls)",
    ),
    Table(
        "phone_recordings",
        "phone:iter_phone_recordings",
        key="id",
        endpoint="phone_recordings",
        refresh=Refresh.PHONE_WINDOW,
        origin="GET /phone/recordings (month windows, last 6 months; file URLs without tokens)",
    ),
    _phone_rec(
        "phone_transcripts",
        "recording_id",
        {**_s("language", "text"), **_i("speaker_count", "word_count", "segment_count")},
        origin="GET /phone/recording_transcript/download/{recordingId} (302 to JSON), cleaned",
    ),
    _phone_rec(
        "phone_transcript_segments",
        ("recording_id", "sequence"),
        {**_t("start_time"), **_s("speaker", "text"), **_i("start_ms", "end_ms")},
        origin="timeline[] of the phone transcript JSON, one row per entry",
    ),
    _phone_rec(
        "phone_file_errors",
        ("recording_id", "file_type"),
        {**_t("occurred_at"), **_s("reason"), **_i("code")},
        rows=ERRORS,
        origin="phone transcripts Zoom will not give (codes 12000, 12001, 12003), with Zoom's reason",
    ),
    # Meetings: listed per host (hidden), then one detail per meeting, then its children.
    Table("meeting_refs", "meetings:iter_meeting_refs", hidden=True),
    Table(
        "meetings",
        "meetings:iter_meeting_details",
        "meeting_refs",
        "id",
        "meeting",
        origin="GET /users/{userId}/meetings (scheduled + previous_meetings) → GET /meetings/{meetingId}",
        marked_by=(MEETING_DELETED, "id"),
    ),
    Table(
        "meeting_registrants",
        "meetings:iter_meeting_children",
        "meetings",
        ("meeting_id", "id"),
        "meeting_registrants",
        args=("meeting_registrants",),
        marked_by=(MEETING_DELETED, "meeting_id"),
    ),
    Table(
        "meeting_polls",
        "meetings:iter_meeting_children",
        "meetings",
        ("meeting_id", "id"),
        "meeting_polls",
        args=("meeting_polls",),
        marked_by=(MEETING_DELETED, "meeting_id"),
    ),
    # Webinars, the same way.
    Table("webinar_refs", "webinars:iter_webinar_refs", hidden=True),
    Table(
        "webinars",
        "webinars:iter_webinar_details",
        "webinar_refs",
        "id",
        "webinar",
        origin="GET /users/{userId}/webinars → GET /webinars/{webinarId}",
    ),
    *(
        Table(name, "webinars:iter_webinar_children", "webinars", ("webinar_id", "id"), name, args=(name,))
        for name in ("webinar_registrants", "webinar_panelists", "webinar_polls", "webinar_tracking_sources")
    ),
    # Team Chat
    Table(
        "channels",
        "team_chat:iter_channels",
        key="id",
        endpoint="channels",
        origin="GET /chat/users/{userId}/channels (deduplicated)",
    ),
    Table(
        "channel_members",
        "team_chat:iter_channel_members",
        "channels",
        ("channel_id", "member_id"),
        "channel_members",
    ),
    # Time-bound tables: transformers over the stream of ended instances (instances.py).
    Table(INSTANCES, "instances:iter_instances", hidden=True),
    _per_instance(
        "past_meetings",
        "past_meetings:iter_past_meetings",
        "uuid",
        MEETING_KINDS,
        endpoint="past_meetings",
        origin="instances from /past_meetings/{id}/instances, reports and recordings → GET /past_meetings/{uuid}",
        marked_by=(MEETING_DELETED, "id"),
    ),
    _per_instance(
        "meeting_participants",
        "past_meetings:iter_meeting_participants",
        ("meeting_uuid", "user_id", "join_time"),
        MEETING_KINDS,
        endpoint="meeting_participants",
    ),
    _per_instance(
        "meeting_poll_results",
        "past_meetings:iter_meeting_poll_results",
        # one row per answer; Zoom gives answers no id, and two guests of the same name without email
        # (or anonymous polls) can answer in the same second: `occurrence` numbers such twins 1, 2, ...
        ("meeting_uuid", "name", "email", "polling_id", "question", "date_time", "occurrence"),
        MEETING_KINDS,
        endpoint="meeting_poll_results",
        final_when_ended=True,
    ),
    _per_instance(
        "past_meeting_qa",
        "past_meetings:iter_meeting_qa",
        # one row per question; Zoom gives questions no id or time: `occurrence` numbers repeats 1, 2, ...
        ("meeting_uuid", "name", "email", "question", "occurrence"),
        MEETING_KINDS,
        endpoint="past_meeting_qa",
        final_when_ended=True,
    ),
    # Cloud recordings: one row per recorded instance; files, parsed files and calls from the same data.
    _per_instance(
        "recordings",
        "recordings:iter_recordings",
        "uuid",
        (RECORDING,),
        endpoint="recordings",
        origin="GET /users/{userId}/recordings (month windows)",
        marked_by=(RECORDING_DELETED, "uuid"),
    ),
    _rec(
        "recording_files",
        "file_key",
        {**_t("recording_start", "recording_end"), **_i("file_size", "meeting_id")},
        rows=API,
        origin="recording_files[] and participant_audio_files[] of each recording",
    ),
    _rec(
        "transcripts",
        "meeting_uuid",
        {**_s("language"), **_i("speaker_count", "word_count")},
        origin="TRANSCRIPT file (VTT), cleaned",
    ),
    _rec(
        "transcript_segments",
        ("meeting_uuid", "sequence"),
        {**_t("start_time"), **_s("speaker")},
        origin="TRANSCRIPT file (VTT), one row per cue",
    ),
    _rec(
        "caption_segments",
        ("meeting_uuid", "sequence"),
        {**_t("start_time"), **_s("speaker")},
        origin="CC file, one row per cue",
    ),
    _rec(
        "chat_messages",
        ("meeting_uuid", "sequence"),
        {**_t("sent_at"), **_s("recipient", "reply_to", "reaction")},
        origin="CHAT file (both TXT layouts), one row per line",
    ),
    _rec(
        "file_errors",
        ("meeting_uuid", "file_key"),
        {**_t("occurred_at"), **_s("file_type")},
        rows=ERRORS,
        marked_by=None,
        origin="files that failed to download or parse, or loaded after a repair (stray bytes, NULs), "
        "with the reason",
    ),
    _rec(
        "calls",
        "meeting_uuid",
        {
            **_t("call_date", "recording_start"),
            **_i("meeting_id", "duration_minutes"),
            **_s("rep_name", "rep_email", "audio_url", "audio_file_id", "audio_file_type", "transcript"),
            **{
                c: {"data_type": "bool", "nullable": True}
                for c in ("has_transcript", "has_audio", "processing", "ready")
            },
        },
        rows=DERIVED,
        # one row per recorded phone call too (phone.py; source 'zoom_phone', key "zoom_phone:<id>")
        also_made_by=("phone_recordings",),
        origin="recordings + files + transcript, and phone_recordings + phone transcript (source "
        "'zoom_phone'); no extra Zoom calls; the Kendo payload",
    ),
    # Reports (Heavy; one-month windows within the last six months)
    _per_instance(
        "report_meetings",
        "reports:iter_report_meetings",
        "uuid",
        (REPORT,),
        endpoint="report_meetings",
        origin="GET /report/users/{userId}/meetings (month windows, last 6 months)",
        parallel=False,  # the listing holds the row: no request to wait for
    ),
    _per_instance(
        "report_meeting_participants",
        "reports:iter_report_participants",
        ("meeting_uuid", "user_id", "join_time"),
        (REPORT,),
        endpoint="report_meeting_participants",
    ),
    # Webinar instances
    _per_instance(
        "past_webinars",
        "webinars:iter_past_webinars",
        "uuid",
        (WEBINAR_INSTANCE,),
        endpoint="past_webinars",
        parallel=False,
    ),
    *(
        _per_instance(
            name,
            "webinars:iter_webinar_instance_children",
            key,
            (WEBINAR_INSTANCE,),
            endpoint=name,
            args=(name,),
        )
        for name, key in (
            ("webinar_absentees", ("webinar_uuid", "id")),
            ("webinar_participants", ("webinar_uuid", "user_id", "join_time")),
            ("report_webinar_participants", ("webinar_uuid", "user_id", "join_time")),
        )
    ),
    # Every Zoom event `webhooks serve` received, processed or not (pipelines/webhooks/events.py).
    Table(
        "webhook_events",
        key="event_key",
        refresh=_SIDE,
        made_by=WEBHOOKS,
        rows=EVENTS,
        columns={
            **_t("event_time", "received_at", "participant_join_time", "participant_leave_time"),
            **_i("event_ts"),
            **_s(
                "event",
                "account_id",
                "object_uuid",
                "object_id",
                "host_id",
                "participant_user_id",
                "participant_uuid",
                "participant_name",
                "participant_email",
                "participant_leave_reason",
                "operation",
                "status",
                "error",
            ),
        },
        origin="events Zoom POSTs to `zoom-pipeline webhooks serve`: event, event_ts (as sent, ms), "
        "received_at, account, object ids, participant (joined/left), operation (all or single occurrence), "
        "status (processed or failed), error",
    ),
    # Rows of any table whose key, cursor or a typed field can't be read (rejects.py): every resource
    # emits them.
    Table(
        REJECTED_ROWS_TABLE,
        key=REJECTED_ROWS_KEY,
        refresh=_SIDE,
        made_by="*",
        rows=DERIVED,
        origin="rows of any table whose key, time or typed field could not be read: table_name, reason, "
        "row_key, payload (JSON), rejected_at",
    ),
]

BY_NAME: Dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The registry entry of `name`, with a clear error for a typo."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known: {', '.join(sorted(BY_NAME))}") from None


def key_of(name: str) -> Tuple[str, ...]:
    """Primary-key fields of a table, () for none or an unknown name."""
    entry = BY_NAME.get(name)
    return entry.key_fields if entry else ()


def resources() -> List[Table]:
    """Entries the source builds as dlt resources (hidden feeders included), parents first."""
    return [t for t in TABLES if t.refresh is not Refresh.SIDE]


def visible() -> List[Table]:
    """Every table a load can write, in the table reference's order."""
    return [t for t in TABLES if not t.hidden]


def side_tables(made_by: str) -> List[Table]:
    """The SIDE tables `made_by` emits rows into (`calls` for both recordings resources)."""
    return [t for t in TABLES if t.refresh is Refresh.SIDE and made_by in t.makers]


def time_bound() -> List[str]:
    """Tables read from the instance stream (each keeps its own window cursor)."""
    return [t.name for t in TABLES if t.parent == INSTANCES]


def phone_windowed() -> List[str]:
    """Zoom Phone resources that walk their own month windows (Refresh.PHONE_WINDOW), and their children."""
    walking = {t.name for t in TABLES if t.refresh is Refresh.PHONE_WINDOW}
    return [t.name for t in resources() if t.name in walking or t.parent in walking]


def wanting(kind: str) -> List[str]:
    """Time-bound tables that take instances of `kind` (so its listing must run when one is selected)."""
    return [t.name for t in TABLES if kind in t.kinds]


def marked_by(deletion: str) -> List[Tuple[str, str]]:
    """(table, column holding the UUID or id) of every table `deletion` marks (RECORDING_DELETED, ...)."""
    return [(t.name, t.marked_by[1]) for t in TABLES if t.marked_by and t.marked_by[0] == deletion]


def reported() -> List[str]:
    """Time-bound tables read from a /report/ endpoint (Zoom keeps six months of them)."""
    return [
        n for n in time_bound() if (e := BY_NAME[n].endpoint) and ENDPOINTS[e].path.startswith("/report/")
    ]
