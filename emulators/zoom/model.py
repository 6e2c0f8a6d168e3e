"""The emulated account's objects (users, meetings, instances, recordings, webinars, channels) and how each
renders as Zoom JSON. Generation lives in data.py; this module only holds and shapes them."""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import files as F
from .config import UNREADABLE_FAULTS


def iso(dt: datetime) -> str:
    """Zoom's timestamp format: `2022-03-23T06:58:09Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent, deterministic random stream per entity, so one change does not ripple."""
    return random.Random(":".join([str(seed), *map(str, parts)]))


def opaque_id(*parts: object, length: int = 22) -> str:
    """A Zoom-looking id (user ids, file ids, download paths), stable for the same parts."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:length]


@dataclass
class User:
    id: str | None  # pending users have none
    email: str
    first_name: str
    last_name: str
    status: str  # active | inactive | pending
    type: int
    role_id: str
    pmi: int
    timezone: str
    created_at: datetime
    member_id: str
    dept: str | None = None
    last_login_time: datetime | None = None
    language: str | None = None
    webinar_licence: bool = True  # Zoom assigns webinar licences per user
    polls_enabled: bool = True  # an admin setting per user (knob polls_disabled_users)

    @property
    def key(self) -> str:
        return self.id or f"pending:{self.email}"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def list_json(self) -> dict:
        d: dict = {
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": self.name,
            "type": self.type,
            "status": self.status,
            "timezone": self.timezone,
            "verified": 1 if self.status == "active" else 0,
            "user_created_at": iso(self.created_at),
            "created_at": iso(self.created_at),
            "role_id": self.role_id,
            "group_ids": [],
            "im_group_ids": [],
        }
        if self.id:
            d = {"id": self.id, **d, "pmi": self.pmi}
        if self.dept is not None:
            d["dept"] = self.dept
        if self.last_login_time is not None:
            d["last_login_time"] = iso(self.last_login_time)
            d["last_client_version"] = "6.3.11.60501(mac)"
        if self.language is not None:
            d["language"] = self.language
        return d

    def detail_json(self, account_id: str, base_url: str) -> dict:
        d = self.list_json()
        d.pop("verified", None)
        d.update(
            {
                "account_id": account_id,
                "account_number": 10000001,
                "role_name": "Owner" if self.role_id == "0" else "Member",
                "use_pmi": False,
                "personal_meeting_url": f"{base_url}/j/{self.pmi}?pwd={opaque_id('pmipwd', self.pmi, length=32)}",
                "cms_user_id": "",
                "jid": f"{(self.id or 'pending').lower()}@xmpp.zoom.us",
                "login_types": [100],
                "cluster": "us06",
            }
        )
        return d


@dataclass
class RecordingFile:
    token: str  # the download path id
    file_type: str
    extension: str
    recording_type: str | None
    id: str | None  # CC and TIMELINE files have none
    status: str  # completed | processing
    start: datetime
    end: datetime | None  # None while processing
    content: bytes | None = None  # text files
    media_size: int = 0  # media stubs are generated on demand
    participant_audio: bool = False
    file_name: str = ""
    fault: str | None = None  # a `file_faults` kind injected into this file (config.FILE_FAULT_KINDS)

    @property
    def size(self) -> int:
        if self.status != "completed":
            return 0
        return len(self.content) if self.content is not None else self.media_size

    @property
    def is_media(self) -> bool:
        return self.content is None

    def body(self) -> bytes:
        if self.content is not None:
            return self.content
        return F.media_bytes(self.token, self.media_size, audio=self.file_type == "M4A")

    def key(self, meeting_uuid: str) -> str:
        """`recording_files.file_key`: the id, or uuid|type|start for files without one."""
        return self.id or f"{meeting_uuid}|{self.file_type}|{iso(self.start)}"

    def to_json(self, base_url: str, meeting_uuid: str, download_token: str | None = None) -> dict:
        d: dict = {}
        if self.participant_audio:
            d["id"] = self.id
            d["file_name"] = self.file_name
            d["file_type"] = self.file_type
        elif self.id is not None:
            d["id"] = self.id
            d["meeting_id"] = meeting_uuid
        else:
            d["meeting_id"] = meeting_uuid
        d["recording_start"] = iso(self.start)
        d["recording_end"] = iso(self.end) if self.end else ""
        if not self.participant_audio:
            d["file_type"] = self.file_type
            d["file_extension"] = self.extension
        if self.id is not None:  # Zoom omits these on CC and TIMELINE files
            d["file_size"] = self.size
            d["play_url"] = f"{base_url}/rec/play/{self.token}"
            d["status"] = self.status
            if self.recording_type:
                d["recording_type"] = self.recording_type
        d["download_url"] = f"{base_url}/rec/download/{self.token}"
        if download_token:
            d["download_url"] += f"?access_token={download_token}"
        return d


@dataclass
class Recording:
    files: list[RecordingFile]
    audio_files: list[RecordingFile]  # participant_audio_files
    password: str
    share_token: str
    # transcript (empty: no TRANSCRIPT file); with a file fault, what a correct parser still reads
    cues: list[F.Cue] = field(default_factory=list)
    captions: list[F.Cue] = field(default_factory=list)
    chat: list[F.ChatMessage] = field(default_factory=list)
    chat_unparsed: int = 0  # garbage lines mixed into the CHAT file (`chat_garbage` fault)
    chat_new_layout: bool = True
    auto_delete: bool | None = None

    def file(self, file_type: str) -> RecordingFile | None:
        return next((f for f in self.files if f.file_type == file_type), None)

    @property
    def processing(self) -> bool:
        return any(f.status != "completed" for f in self.files + self.audio_files)

    @property
    def has_transcript(self) -> bool:
        f = self.file("TRANSCRIPT")
        return f is not None and f.status == "completed"

    @property
    def transcript_readable(self) -> bool:
        """A completed TRANSCRIPT file a correct parser gets cues from (no unreadable file fault)."""
        f = self.file("TRANSCRIPT")
        return self.has_transcript and f is not None and f.fault not in UNREADABLE_FAULTS

    @property
    def has_audio(self) -> bool:
        return any(f.file_type in ("M4A", "MP4") for f in self.files)


@dataclass
class Instance:
    """One occurrence (Zoom "meeting instance", one UUID) of a meeting or webinar."""

    uuid: str
    parent: Meeting
    start: datetime
    duration: int  # minutes
    participants: list[dict]  # one row per join (rejoins make more rows)
    persons: int  # distinct people
    recording: Recording | None = None
    trashed: Recording | None = None  # in the trash (recording.trashed): recoverable, not listed
    poll_results: list[dict] = field(default_factory=list)  # one row per answer
    qa: list[dict] = field(default_factory=list)
    absentees: list[dict] = field(default_factory=list)  # webinars
    # knob `bad_values`: participant row index -> {field: malformed value} served instead of the real one
    bad_values: dict[int, dict] = field(default_factory=dict)
    # knob `bad_values` with rows "recordings": {field: malformed value} served in this recording's JSON
    recording_bad_values: dict = field(default_factory=dict)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.duration)

    def served_participants(self) -> list[dict]:
        """The participant rows as the API serves them: with any malformed values of `bad_values`."""
        return [{**r, **self.bad_values.get(i, {})} for i, r in enumerate(self.participants)]


@dataclass
class Meeting:
    """A meeting or webinar (numeric id) with its past instances."""

    id: int
    uuid: str
    host: User
    topic: str
    type: int
    kind: str  # recurring | recurring_nofixed | one_off_past | instant | upcoming | webinar
    start: datetime
    duration: int
    timezone: str
    created_at: datetime
    password: str
    agenda: str | None = None
    instances: list[Instance] = field(default_factory=list)
    registrants: list[dict] = field(default_factory=list)
    polls: list[dict] = field(default_factory=list)
    panelists: list[dict] = field(default_factory=list)
    tracking_sources: list[dict] = field(default_factory=list)
    # deleted in Zoom (admin route, meeting.deleted): no longer listed, its detail and children answer
    # 404/3001; its past instances stay readable by UUID, found through recordings and reports
    deleted: bool = False

    @property
    def is_webinar(self) -> bool:
        return self.kind == "webinar"

    @property
    def is_recurring(self) -> bool:
        return self.kind in ("recurring", "recurring_nofixed", "webinar")

    @property
    def encrypted_password(self) -> str:
        return opaque_id("pwd", self.id, length=32)

    @property
    def zak(self) -> str:
        """A host's ZAK: a JWT, as in real start links."""
        return "eyJ0eXAiOiJKV1QiLCJzdiI6IjAwMDAwMSIsImFsZyI6IkhTMjU2In0." + opaque_id(
            "zak", self.id, length=43
        )

    def latest_instance(self) -> Instance | None:
        return max(self.instances, key=lambda i: i.start, default=None)

    def list_json(self, base_url: str) -> dict:
        d: dict = {
            "uuid": self.uuid,
            "id": self.id,
            "host_id": self.host.id,
            "topic": self.topic,
            "type": self.type,
        }
        if self.type != 3:  # recurring meetings with no fixed time have no start time
            d["start_time"] = iso(self.start)
        d["duration"] = self.duration
        d["timezone"] = self.timezone
        if self.agenda is not None:
            d["agenda"] = self.agenda[:250]
        d["created_at"] = iso(self.created_at)
        d["join_url"] = f"{base_url}/j/{self.id}?pwd={self.encrypted_password}"  # the passcode, embedded
        if self.is_webinar:
            d["is_simulive"] = False
        return d

    def detail_json(self, base_url: str, now: datetime) -> dict:
        d = self.list_json(base_url)
        d.update(
            {
                "host_email": self.host.email,
                "assistant_id": "",
                "status": "waiting",
                # the zak token starts the meeting as the host, for whoever holds the link
                "start_url": f"{base_url}/s/{self.id}?zak={self.zak}",
                "password": self.password,
                "h323_password": "".join(c for c in self.password if c.isdigit()) or "123456",
                "pstn_password": "".join(c for c in self.password if c.isdigit()) or "123456",
                "encrypted_password": self.encrypted_password,
                "pre_schedule": False,
                "creation_source": "web_portal",
                "settings": {
                    "host_video": True,
                    "participant_video": False,
                    "join_before_host": False,
                    "mute_upon_entry": True,
                    "approval_type": 0 if self.registrants else 2,
                    "audio": "both",
                    "auto_recording": "cloud" if any(i.recording for i in self.instances) else "none",
                    "waiting_room": True,
                    "meeting_authentication": False,
                    "alternative_hosts": "",
                    "watermark": False,
                    "use_pmi": False,
                },
            }
        )
        if self.is_webinar:
            d.pop("pre_schedule")
            d["is_simulive"] = False
            d["record_file_id"] = ""
        else:
            d["tracking_fields"] = []
        if self.registrants or self.is_webinar:
            d["registration_url"] = f"{base_url}/meeting/register/{opaque_id('reg', self.id)}"
        if self.is_recurring:
            d["recurrence"] = {"type": 2, "repeat_interval": 1, "weekly_days": "2", "end_times": 20}
            if self.type in (8, 9):
                occ = []
                t = now + timedelta(days=1 + self.id % 6)
                for _ in range(3):
                    occ.append(
                        {
                            "occurrence_id": str(int(t.timestamp() * 1000)),
                            "start_time": iso(t),
                            "duration": self.duration,
                            "status": "available",
                        }
                    )
                    t += timedelta(days=7)
                d["occurrences"] = occ
        return d


@dataclass
class Channel:
    id: str
    name: str
    type: int
    members: list[dict]

    def to_json(self, base_url: str) -> dict:
        return {
            "id": self.id,
            "jid": f"{self.id}@conference.xmpp.zoom.us",
            "name": self.name,
            "type": self.type,
            "channel_url": f"{base_url}/launch/chat/v2/{self.id}",
            "channel_settings": {
                "add_member_permissions": 1,
                "new_members_can_see_previous_messages_files": True,
                "posting_permissions": 1,
                "mention_all_permissions": 1,
                "allow_to_add_external_users": 0,
            },
        }
