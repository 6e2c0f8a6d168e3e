"""Zoom Phone in the emulated account: phone users (a Phone licence per user), their call history (the 2026
call-history API: `call_history_uuid`, `call_elements[]`), recordings and transcript JSON.

Built from the account's users after the rest of the account (knobs `phone_licences`,
`phone_calls_per_user`, `phone_transcript_faults`); nothing else in the account changes with them.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .model import User, iso, opaque_id, rng_for

SITES = [("site-hq", "Headquarters"), ("site-emea", "EMEA Office")]
OTHER_PARTIES = [
    ("Acme Corp", "+14155550123"),
    ("Globex", "+442071838750"),
    ("Initech", "+16505550199"),
    ("Umbrella Ltd", "+4930901820"),
    ("", "+13125550148"),  # caller id withheld: no name
]
LINES = [
    "Hi, thanks for taking my call.",
    "Sure, how can I help you today?",
    "We are looking at the renewal for next quarter.",
    "Let me walk you through the new pricing.",
    "That sounds reasonable, send me the proposal.",
    "Great, I will follow up by email this afternoon.",
]
# transcript states of a recording: served, still transcribing (12002), cannot transcribe (12000),
# transcription disabled by an admin (12001)
READY, PENDING, UNTRANSCRIBABLE, DISABLED = "ready", "pending", "12000", "12001"
TRANSCRIPT_FAULTS = (PENDING, UNTRANSCRIBABLE, DISABLED)


@dataclass
class PhoneUser:
    user: User
    phone_user_id: str
    extension_id: str
    extension_number: int
    number: str
    site: tuple[str, str]

    def list_json(self) -> dict:
        return {
            "id": self.user.id,
            "phone_user_id": self.phone_user_id,
            "name": self.user.name,
            "email": self.user.email,
            "extension_id": self.extension_id,
            "extension_number": self.extension_number,
            "status": "activate",
            "activation_status": "activated",
            "site": {"id": self.site[0], "name": self.site[1]},
            "phone_numbers": [{"id": opaque_id("num", self.number), "number": self.number}],
            "calling_plans": [{"name": "US/CA Unlimited Calling Plan", "type": 200}],
            "department": self.user.dept or "",
            "cost_center": "",
        }


@dataclass
class PhoneRecording:
    id: str
    file_id: str  # the download path id
    call: PhoneCall
    element_id: str
    transcript: str  # READY | PENDING | UNTRANSCRIBABLE | DISABLED
    timeline: list[dict] = field(default_factory=list)
    media_size: int = 2048

    def json(self, base_url: str) -> dict:
        c, owner = self.call, self.call.owner
        ours = {"name": owner.user.name, "extension_number": str(owner.extension_number)}
        return {
            "id": self.id,
            "call_id": c.call_id,
            "call_element_id": self.element_id,
            "caller_name": c.caller[0],
            "caller_number": c.caller[1],
            "caller_number_type": 1 if c.direction == "outbound" else 2,
            "callee_name": c.callee[0],
            "callee_number": c.callee[1],
            "callee_number_type": 2 if c.direction == "outbound" else 1,
            "direction": c.direction,
            "date_time": iso(c.answer or c.start),
            "end_time": iso(c.end),
            "duration": c.talk_seconds,
            "recording_type": "Automatic",
            "download_url": f"{base_url}/v2/phone/recording/download/{self.file_id}",
            "transcript_download_url": f"{base_url}/v2/phone/recording_transcript/download/{self.id}",
            "owner": {
                "type": "user",
                "id": owner.user.id,
                "name": owner.user.name,
                "extension_number": owner.extension_number,
            },
            "site": {"id": owner.site[0], "name": owner.site[1]},
            "outgoing_by" if c.direction == "outbound" else "accepted_by": ours,
        }

    def transcript_json(self, account_id: str) -> dict:
        c = self.call
        return {
            "type": "zoom_transcript",
            "ver": 1,
            "recording_id": self.id,
            "meeting_id": "",
            "account_id": account_id,
            "host_id": c.owner.user.id,
            "recording_start": iso(c.answer or c.start),
            "recording_end": iso(c.end),
            "timeline": self.timeline,
        }


@dataclass
class PhoneCall:
    uuid: str  # call_history_uuid
    call_id: str
    owner: PhoneUser
    direction: str  # inbound | outbound
    other: tuple[str, str]  # (name, number) of the other party
    start: datetime
    answer: datetime | None
    end: datetime
    result: str
    elements: list[dict] = field(default_factory=list)
    recording: PhoneRecording | None = None

    @property
    def ours(self) -> tuple[str, str]:
        return (self.owner.user.name, self.owner.number)

    @property
    def caller(self) -> tuple[str, str]:
        return self.ours if self.direction == "outbound" else self.other

    @property
    def callee(self) -> tuple[str, str]:
        return self.other if self.direction == "outbound" else self.ours

    @property
    def duration(self) -> int:
        return int((self.end - self.start).total_seconds())

    @property
    def talk_seconds(self) -> int:
        return int((self.end - (self.answer or self.end)).total_seconds())

    def _parties(self) -> dict:
        o = self.owner
        ours = {
            "ext_id": o.extension_id,
            "ext_number": str(o.extension_number),
            "did_number": o.number,
            "name": o.user.name,
            "email": o.user.email,
            "ext_type": "user",
            "number_type": "zoom_pstn",
            "device_type": "Mac_Client(6.3.11)",
            "country_iso_code": "US",
            "country_code": "1",
        }
        theirs = {
            "did_number": self.other[1],
            "name": self.other[0],
            "number_type": "external_pstn",
            "country_iso_code": "US" if self.other[1].startswith("+1") else "GB",
            "country_code": "1" if self.other[1].startswith("+1") else "44",
        }
        caller, callee = (ours, theirs) if self.direction == "outbound" else (theirs, ours)
        d = {f"caller_{k}": v for k, v in caller.items()}
        d.update({f"callee_{k}": v for k, v in callee.items()})
        return d

    def list_json(self) -> dict:
        d = {
            "id": self.uuid,
            "call_history_uuid": self.uuid,
            "call_id": self.call_id,
            "direction": self.direction,
            "international": not self.other[1].startswith("+1"),
            "start_time": iso(self.start),
            "end_time": iso(self.end),
            "duration": self.duration,
            "connect_type": "external",
            "call_type": "general",
            "call_result": self.result,
            "hide_caller_id": False,
            "end_to_end": False,
            **self._parties(),
            "department": self.owner.user.dept or "",
            "cost_center": "",
            "site_id": self.owner.site[0],
            "site_name": self.owner.site[1],
            "group_id": "",
            "spam": "",
            "recording_status": "recorded" if self.recording else "non_recorded",
        }
        if self.answer is not None:
            d["answer_time"] = iso(self.answer)
        return d

    def detail_json(self) -> dict:
        d = self.list_json()
        for k in ("duration", "call_result", "recording_status", "spam", "international"):
            d.pop(k, None)
        d = {k: v for k, v in d.items() if not k.endswith(("_number_type", "_device_type", "_country_code"))}
        d = {k: v for k, v in d.items() if not k.endswith("_country_iso_code")}
        d["international"] = not self.other[1].startswith("+1")
        d["call_elements"] = self.elements
        return d


@dataclass
class Phone:
    users: list[PhoneUser] = field(default_factory=list)
    calls: list[PhoneCall] = field(default_factory=list)

    def user(self, ref: str) -> PhoneUser | None:
        ref_l = ref.lower()
        return next((p for p in self.users if p.user.id == ref or p.user.email.lower() == ref_l), None)

    def call(self, ref: str) -> PhoneCall | None:
        return next((c for c in self.calls if c.uuid == ref), None)

    @property
    def recordings(self) -> list[PhoneRecording]:
        return [c.recording for c in self.calls if c.recording is not None]

    def recording(self, ref: str) -> PhoneRecording | None:
        return next((r for r in self.recordings if r.id == ref or r.file_id == ref), None)


def licensed(active: list[User], licences: float | list) -> list[User]:
    """Knob `phone_licences`: a list names the users; a share licenses that share of the active users,
    spread evenly (0.5: the 2nd, 4th, ... active user)."""
    if isinstance(licences, list):
        named = {str(x).lower() for x in licences}
        return [u for u in active if (u.id or "").lower() in named or u.email.lower() in named]
    share = float(licences)
    return [u for i, u in enumerate(active) if int((i + 1) * share) > int(i * share)]


def build_phone(seed: int, now: datetime, active: list[User], knobs) -> Phone:
    phone = Phone()
    for i, u in enumerate(licensed(active, knobs.phone_licences)):
        phone.users.append(
            PhoneUser(
                user=u,
                phone_user_id=opaque_id(seed, "phone_user", u.id),
                extension_id=opaque_id(seed, "ext", u.id),
                extension_number=1000 + 11 * (i + 1),
                number=f"+1415555{2000 + i:04d}",
                site=SITES[i % len(SITES)],
            )
        )
    n = int(knobs.phone_calls_per_user)
    days = int(knobs.days_of_history)
    for ui, pu in enumerate(phone.users):
        rng = rng_for(seed, "phone_calls", pu.user.id)
        for j in range(n):
            start = now - timedelta(days=days * (j + 0.5) / n, hours=ui + 1, minutes=rng.randint(0, 50))
            start = start.replace(microsecond=0)
            phone.calls.append(_make_call(seed, rng, pu, ui, j, start))
    _apply_transcript_faults(seed, phone, dict(knobs.phone_transcript_faults or {}))
    return phone


def _make_call(seed: int, rng, pu: PhoneUser, ui: int, j: int, start: datetime) -> PhoneCall:
    direction = "outbound" if (ui + j) % 2 == 0 else "inbound"
    other = OTHER_PARTIES[(ui * 3 + j) % len(OTHER_PARTIES)]
    answered = j % 4 != 3
    ring = timedelta(seconds=rng.randint(3, 20))
    talk = timedelta(seconds=rng.randint(45, 1500)) if answered else timedelta(0)
    answer = start + ring if answered else None
    end = start + ring + talk
    call_uuid = str(
        uuidlib.UUID(opaque_id(seed, "call_history", pu.user.id, j, length=32).encode().hex()[:32])
    )
    call = PhoneCall(
        uuid=call_uuid,
        call_id=str(7_200_000_000_000_000_000 + ui * 1_000_000 + j),
        owner=pu,
        direction=direction,
        other=other,
        start=start,
        answer=answer,
        end=end,
        result="answered" if answered else ("voicemail" if direction == "inbound" else "no_answer"),
    )
    # a forwarded inbound call has a second leg: the first rang out at the main line
    legs = 2 if direction == "inbound" and j % 3 == 1 else 1
    for leg in range(legs):
        last = leg == legs - 1
        el = {
            "call_element_id": opaque_id(seed, "element", call_uuid, leg, length=24),
            "call_id": call.call_id,
            "connect_type": "external",
            "call_type": "general",
            "direction": direction,
            "hide_caller_id": False,
            "end_to_end": False,
            **{k: v for k, v in call._parties().items()},
            "department": pu.user.dept or "",
            "cost_center": "",
            "site_id": pu.site[0],
            "site_name": pu.site[1],
            "group_id": "",
            "start_time": iso(start if leg == 0 else start + ring / 2),
            "end_time": iso(end if last else start + ring / 2),
            "event": ("incoming" if direction == "inbound" else "outgoing") if leg == 0 else "forward",
            "result": call.result if last else "overflowed",
            "segment": leg + 1,
            "node": 0,
            "is_node": 0,
            "hold_time": 0,
            "waiting_time": int(ring.total_seconds()) if last else 0,
        }
        if last and answer is not None:
            el["answer_time"] = iso(answer)
        call.elements.append(el)
    if answered and rng.random() < 0.7:
        rec_id = opaque_id(seed, "phone_rec", call_uuid, length=32)
        el = call.elements[-1]
        el["recording_id"], el["recording_type"] = rec_id, "automatic"
        speakers = [call.ours[0], other[0] or other[1]]
        timeline = []
        t = 0.0
        for k in range(3 + rng.randint(0, 3)):
            who = speakers[k % 2]
            dur = 1.5 + rng.random() * 4
            text = LINES[(j + k) % len(LINES)]
            timeline.append(
                {
                    "text": text,
                    "raw_text": text.lower(),
                    "ts": _ts(t),
                    "end_ts": _ts(t + dur),
                    "users": [{"username": who, "multiple_people": False, "user_id": "", "zoom_userid": ""}],
                    "userId": str(pu.extension_number) if k % 2 == 0 else other[1],
                    "userIds": [],
                    "channelMark": "L" if k % 2 == 0 else "R",
                }
            )
            t += dur + 0.4
        call.recording = PhoneRecording(
            id=rec_id,
            file_id=opaque_id(seed, "phone_file", rec_id, length=32),
            call=call,
            element_id=el["call_element_id"],
            transcript=READY,
            timeline=timeline,
        )
    return call


def _ts(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _apply_transcript_faults(seed: int, phone: Phone, faults: dict) -> None:
    """Knob `phone_transcript_faults` ({"pending": n, "12000": n, "12001": n}): that many recordings, the
    newest first (within the last six months, so a connector meets them), get that transcript state."""
    recs = sorted(phone.recordings, key=lambda r: r.call.start, reverse=True)
    for state in TRANSCRIPT_FAULTS:
        for _ in range(int(faults.get(state, 0))):
            target = next((r for r in recs if r.transcript == READY), None)
            if target is None:
                raise ValueError(f"phone_transcript_faults: not enough recordings for {faults}")
            target.transcript = state
