"""Deterministic generation of the emulated Zoom account from `seed` and the size knobs, plus the
runtime additions (`add_meeting`, `complete_recording`)."""

from __future__ import annotations

import base64
import random
import unicodedata
from datetime import datetime, timedelta

from . import files as F
from .config import CHAT_FAULTS, FILE_FAULT_KINDS, Knobs
from .model import Channel, Instance, Meeting, Recording, RecordingFile, User, iso, opaque_id, rng_for
from .phone_data import Phone, build_phone

FIRST_NAMES = [
    "Ana",
    "Björn",
    "Zoë",
    "José",
    "Ngozi",
    "Wei",
    "Aarav",
    "Chloé",
    "Søren",
    "Yuki",
    "Łukasz",
    "Fatima",
]
LAST_NAMES = [
    "Silva",
    "Åström",
    "Núñez",
    "O'Brien",
    "Okafor",
    "李",
    "Sharma",
    "Dubois",
    "Müller",
    "Tanaka",
    "Kowalski",
]
TOPICS = [
    "Weekly pipeline review 🚀",
    "Quarterly business review – Q1",
    "Démo client 🇫🇷",
    "Kundengespräch Müller GmbH",
    "1:1 Zoë / Björn",
    "会議 planning",
    "Standup ☕",
    "Discovery call",
    "Renewal negotiation 💼",
    "Onboarding session",
]
TIMEZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC", "America/Los_Angeles"]
# Per recorded-or-not instance, in generation order, so every variant appears even in small accounts.
RECORDING_VARIANTS = ["full", None, "no_transcript", "full_old_chat", "no_audio", None, "processing", "full"]
MEETING_KINDS = ["recurring", "one_off_past", "instant", "upcoming", "recurring_nofixed", "one_off_past"]
MEETING_TYPES = {"recurring": 8, "recurring_nofixed": 3, "one_off_past": 2, "instant": 1, "upcoming": 2}


def ascii_slug(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if c.isascii() and c.isalnum()).lower()


def make_uuid(rng: random.Random, style: str = "plain") -> str:
    """A meeting-instance UUID: base64 of 16 bytes; `slash` begins with "/", `double` holds "//",
    `plus` holds "+" (all of which need care when put in a URL path)."""
    while True:
        raw = base64.b64encode(rng.randbytes(16)).decode()
        if style == "slash":
            return "/" + raw[1:].replace("//", "/A")
        if style == "double":
            return raw[:5].replace("/", "A") + "//" + raw[7:].replace("//", "/A")
        if style == "plus":
            raw = raw[:9] + "+" + raw[10:]
        if not raw.startswith("/") and "//" not in raw:
            return raw


class Dataset:
    """The whole account: users, meetings (with instances and recordings), webinars, channels."""

    def __init__(self, knobs: Knobs) -> None:
        self.knobs = knobs
        self.seed = knobs.seed
        self.now: datetime = knobs.now  # type: ignore[assignment]
        self.users: list[User] = []
        self.meetings: list[Meeting] = []  # meetings and webinars
        self.channels: list[Channel] = []
        self.instances: dict[str, Instance] = {}
        self.files: dict[str, tuple[Instance, RecordingFile]] = {}
        self._ids: set[int] = set()
        self._pid = 16778240  # participant user_id counter (Zoom uses numbers like this)
        self._variant = 0
        self._forced_rejoin = False
        self._forced_alone = False
        self._forced_poll_twins = False
        self._added = 0
        self.phone = Phone()  # Zoom Phone (phone_data.py), built after the rest
        self._vanished: tuple[tuple[int, int] | None, set[int]] = (None, set())

    # ---------------------------------------------------------------- lookups
    @property
    def owner(self) -> User:
        return self.users[0]

    @property
    def active_users(self) -> list[User]:
        return [u for u in self.users if u.status == "active"]

    def user(self, ref: str) -> User | None:
        """userId accepts the id, the email or "me" (the account owner)."""
        if ref == "me":
            return self.owner
        ref_l = ref.lower()
        return next((u for u in self.users if u.id == ref or u.email.lower() == ref_l), None)

    def meeting(self, meeting_id: int, webinar: bool | None = None) -> Meeting | None:
        for m in self.meetings:
            if m.id == meeting_id and (webinar is None or m.is_webinar == webinar):
                return m
        return None

    def instance(self, ref: str, webinar: bool) -> Instance | None:
        """An instance by UUID, or the latest instance when given a numeric meeting id."""
        if ref.isdigit():
            m = self.meeting(int(ref), webinar)
            return m.latest_instance() if m else None
        inst = self.instances.get(ref)
        if inst is None or inst.parent.is_webinar != webinar:
            return None
        return inst

    # ---------------------------------------------------------------- helpers
    def _new_id(self, rng: random.Random) -> int:
        while True:
            i = rng.randint(81_000_000_000, 99_999_999_999)
            if i not in self._ids:
                self._ids.add(i)
                return i

    def _next_pid(self) -> str:
        self._pid += 1 + (self._pid % 7)
        return str(self._pid)

    def _index(self, inst: Instance) -> None:
        assert inst.uuid not in self.instances, inst.uuid
        self.instances[inst.uuid] = inst
        if inst.recording:
            for f in inst.recording.files + inst.recording.audio_files:
                self.files[f.token] = (inst, f)

    # ---------------------------------------------------------------- generation
    def generate(self) -> Dataset:
        k = self.knobs
        self._make_users(k.users)
        self._assign_webinar_licences()
        self._disable_polls()
        for ui, host in enumerate(self.active_users):
            for j in range(k.meetings_per_user):
                self._make_meeting(host, ui, j)
            if k.plan_features.get("webinars", True) and host.webinar_licence:
                for w in range(k.webinars):
                    self._make_webinar(host, ui, w)
        self._make_channels(k.channels)
        self._apply_file_faults()
        self._apply_bad_values()
        return self

    def _assign_webinar_licences(self) -> None:
        """Knob `webinar_licences`: a list names the licensed users; a share below 1 licenses that share of
        the active users, spread evenly (with 0.25: the 4th, 8th, ... active user), and nobody else."""
        licences = self.knobs.webinar_licences
        if isinstance(licences, list):
            named = {str(x).lower() for x in licences}
            for u in self.users:
                u.webinar_licence = (u.id or "").lower() in named or u.email.lower() in named
            return
        share = float(licences)
        if share >= 1:
            return
        for u in self.users:
            u.webinar_licence = False
        for i, u in enumerate(self.active_users):
            u.webinar_licence = int((i + 1) * share) > int(i * share)

    def _disable_polls(self) -> None:
        """Knob `polls_disabled_users`: that many active users, picked from the seed, have polls off."""
        active = self.active_users
        n = min(int(self.knobs.polls_disabled_users or 0), len(active))
        for u in rng_for(self.seed, "polls_off").sample(active, n):
            u.polls_enabled = False

    def _apply_bad_values(self) -> None:
        """Serves malformed values (knob `bad_values`) in distinct participant rows of meeting instances with
        two or more people and an active host, or in recordings of active hosts, chosen from the seed. The
        clean data stays; `inst.bad_values` / `inst.recording_bad_values` hold what is served instead."""
        if not self.knobs.bad_values:
            return
        rng = rng_for(self.seed, "bad_values")
        rows = [
            (inst, i)
            for inst in self.instances.values()
            if not inst.parent.is_webinar and inst.persons >= 2 and inst.parent.host.status == "active"
            for i in range(len(inst.participants))
        ]
        recorded = [
            i for i in self.instances.values() if i.recording is not None and i.parent.host.status == "active"
        ]
        rng.shuffle(rows)
        rng.shuffle(recorded)
        for entry in self.knobs.bad_values:
            for _ in range(entry["count"]):
                if entry["rows"] == "recordings":
                    if not recorded:
                        raise ValueError("bad_values: not enough recordings to corrupt")
                    recorded.pop().recording_bad_values[entry["field"]] = entry["value"]
                    continue
                if not rows:
                    raise ValueError("bad_values: not enough participant rows to corrupt")
                inst, i = rows.pop()
                inst.bad_values[i] = {entry["field"]: entry["value"]}

    def _apply_file_faults(self) -> None:
        """Damages the TRANSCRIPT or CHAT file of `file_faults` recordings (distinct ones, from the seed).

        Only recordings of active hosts are picked (the ones a connector lists). `rec.cues` then holds what
        a correct parser still reads (fewer cues after a cut, cp1252-safe text, U+FFFD for a stray byte);
        unreadable kinds keep
        them, and `Recording.transcript_readable` turns false.
        """
        wanted = {kind: n for kind, n in self.knobs.file_faults.items() if n}
        if not wanted:
            return
        rng = rng_for(self.seed, "file_faults")
        recorded = [
            i for i in self.instances.values() if i.recording is not None and i.parent.host.status == "active"
        ]
        rng.shuffle(recorded)
        used: set[str] = set()
        for kind in FILE_FAULT_KINDS:
            file_type = "CHAT" if kind in CHAT_FAULTS else "TRANSCRIPT"
            for _ in range(wanted.get(kind, 0)):
                inst = next(
                    (
                        i
                        for i in recorded
                        if i.uuid not in used
                        and (f := i.recording.file(file_type)) is not None  # type: ignore[union-attr]
                        and f.status == "completed"
                    ),
                    None,
                )
                if inst is None:
                    raise ValueError(f"file_faults: not enough recordings with a {file_type} file for {kind}")
                used.add(inst.uuid)
                self._damage(inst, kind, file_type, rng)

    def _damage(self, inst: Instance, kind: str, file_type: str, rng: random.Random) -> None:
        rec = inst.recording
        assert rec is not None
        f = rec.file(file_type)
        assert f is not None and f.content is not None
        f.fault = kind
        if kind == "chat_garbage":
            after = sorted({0, len(rec.chat) // 2, len(rec.chat) - 1})
            f.content = F.render_chat_with_garbage(rec.chat, rec.chat_new_layout, after).encode()
            rec.chat_unparsed = len(after)
        elif kind == "truncated_vtt":
            f.content = F.truncated_vtt(rec.cues, 0).encode()
        elif kind == "truncated_tail":
            keep = max(1, len(rec.cues) // 2)
            f.content = F.truncated_vtt(rec.cues, keep).encode()
            rec.cues = rec.cues[:keep]
        elif kind == "empty_file":
            f.content = b""
        elif kind == "garbage_bytes":
            f.content = F.garbage_bytes(rng)
        elif kind == "bom_crlf":
            f.content = F.bom_crlf(F.render_transcript_vtt(rec.cues))
        elif kind == "cp1252":
            rec.cues = F.cp1252_cues(rec.cues)
            f.content = F.render_transcript_vtt(rec.cues).encode("cp1252")
        elif kind == "stray_byte":
            rec.cues = F.stray_byte_cues(rec.cues)
            f.content = F.stray_byte_vtt(rec.cues)
        elif kind == "nul_byte":
            f.content = F.nul_byte_vtt(rec.cues)
        # html_page: the content stays; downloads answer Zoom's HTML page instead

    def vanished_meeting_ids(self) -> set[int]:
        """Meetings deleted mid-sync (knob `vanish_meetings`): still listed, but detail, registrants and
        polls answer 404/3001. Picked from the seed among active hosts' scheduled meetings."""
        n = self.knobs.vanish_meetings
        if n <= 0:
            return set()
        key = (n, len(self.meetings))
        if self._vanished[0] != key:
            candidates = [
                m.id
                for m in self.meetings
                if m.kind in ("recurring", "recurring_nofixed", "upcoming") and m.host.status == "active"
            ]
            chosen = rng_for(self.seed, "vanish").sample(candidates, min(n, len(candidates)))
            self._vanished = (key, set(chosen))
        return set(self._vanished[1])

    def _make_users(self, n: int) -> None:
        rng = rng_for(self.seed, "users")
        for i in range(n):
            first = FIRST_NAMES[i % len(FIRST_NAMES)]
            last = LAST_NAMES[(i * 3) % len(LAST_NAMES)]
            status = "active"
            if n >= 4 and i == n - 1:
                status = "pending"
            elif n >= 4 and i == n - 2:
                status = "inactive"
            slug = ascii_slug(first) + "." + (ascii_slug(last) or f"user{i}")
            created = self.now - timedelta(days=400 + rng.randint(0, 900))
            u = User(
                id=None if status == "pending" else opaque_id(self.seed, "user", i),
                email=f"{slug}{i}@emu-corp.example.com",
                first_name=first,
                last_name=last,
                status=status,
                type=1 if i % 5 == 4 else 2,
                role_id="0" if i == 0 else ("1" if i == 1 else "2"),
                pmi=5_000_000_000 + rng.randint(0, 999_999_999),
                timezone=TIMEZONES[i % len(TIMEZONES)],
                created_at=created,
                member_id=opaque_id(self.seed, "member", i, length=32),
                # optional fields missing on some users
                dept=None if i % 3 == 2 else ["Sales", "Customer Success", "Ventes"][i % 3],
                last_login_time=None
                if status != "active"
                else self.now - timedelta(hours=rng.randint(1, 300)),
                language=None if i % 2 else "en-US",
            )
            self.users.append(u)

    def _make_people(self, rng: random.Random, host: User, n: int) -> list[dict]:
        """The distinct people of one instance: the host, colleagues, then external guests."""
        people = [{"id": host.id, "name": host.name, "email": host.email, "internal": True}]
        colleagues = [u for u in self.active_users if u is not host]
        rng.shuffle(colleagues)
        for u in colleagues[: max(0, min(len(colleagues), n - 1, 3))]:
            people.append({"id": u.id, "name": u.name, "email": u.email, "internal": True})
        g = 0
        while len(people) < n:
            g += 1
            first = rng.choice(FIRST_NAMES)
            name = f"{first} Guest{g}" if g % 4 else f"📞 {first}"  # a dial-in style name now and then
            email = "" if g % 3 == 0 else f"{ascii_slug(first)}.guest{g}@client.example.org"
            people.append({"id": "", "name": name, "email": email, "internal": False})
        return people

    def _participant_rows(
        self, rng: random.Random, people: list[dict], start: datetime, minutes: int
    ) -> list[dict]:
        end = start + timedelta(minutes=minutes)
        rows: list[dict] = []
        for pi, p in enumerate(people):
            join = start + timedelta(seconds=0 if pi == 0 else rng.randint(0, 180))
            leave = end - timedelta(seconds=0 if pi == 0 else rng.randint(0, 120))
            rejoin = pi > 0 and (rng.random() < 0.15 or not self._forced_rejoin) and minutes >= 10
            if rejoin:
                self._forced_rejoin = True
                gap_start = join + (leave - join) / 2
                rows.append(self._row(p, join, gap_start))
                rows.append(self._row(p, gap_start + timedelta(seconds=rng.randint(5, 60)), leave))
            else:
                rows.append(self._row(p, join, leave))
        return rows

    def _row(self, p: dict, join: datetime, leave: datetime) -> dict:
        return {
            "id": p["id"] or "",
            "name": p["name"],
            "user_id": self._next_pid(),
            "user_email": p["email"],
            "join_time": iso(join),
            "leave_time": iso(leave),
            "duration": int((leave - join).total_seconds()),
            "failover": False,
            "status": "in_meeting",
            "internal_user": p["internal"],
        }

    def _make_instance(
        self,
        parent: Meeting,
        rng: random.Random,
        start: datetime,
        style: str = "plain",
        variant: object = "auto",
        persons: int | None = None,
    ) -> Instance:
        k = self.knobs
        if persons is None:
            if not self._forced_alone and parent.kind == "one_off_past":
                persons, self._forced_alone = 1, True
            elif rng.random() < 0.1 and not parent.is_webinar:
                persons = 1
            else:
                top = max(2, k.participants)
                persons = rng.randint(max(2, top // 2), top)
        minutes = rng.choice([15, 25, 30, 45, 60])
        people = self._make_people(rng, parent.host, persons)
        rows = self._participant_rows(rng, people, start, minutes)
        inst = Instance(make_uuid(rng, style), parent, start, minutes, rows, persons)
        while inst.uuid in self.instances:
            inst.uuid = make_uuid(rng, style)
        if variant == "auto":
            variant = RECORDING_VARIANTS[self._variant % len(RECORDING_VARIANTS)]
            self._variant += 1
        if variant is not None and not parent.is_webinar:
            inst.recording = self._make_recording(inst, str(variant), rng)
        if parent.polls:
            inst.poll_results = self._poll_results(inst, rng)
        if rng.random() < 0.5:
            asker = rng.choice(people)
            inst.qa = [
                {
                    "name": asker["name"],
                    "email": asker["email"],
                    "question_details": [
                        {"question": "Will the slides be shared?", "answer": "Yes, by email."}
                    ],
                }
            ]
        return inst

    def _poll_results(self, inst: Instance, rng: random.Random) -> list[dict]:
        """One row per answer, `respondent` numbering the people (Zoom lists each person once, with their
        answers). Signed-in people and a guest without email vote; the first polled instance also gets two
        guests with the same name and no email who answer in the same second (Zoom gives answers no id)."""
        rows: list[dict] = []
        poll = inst.parent.polls[0]
        seen: set[tuple] = set()
        voters = [r for r in inst.participants if r["user_email"]][:3]
        voters += [r for r in inst.participants if not r["user_email"]][:1]
        for r in voters:
            if (r["name"], r["user_email"]) in seen:  # a rejoining person answers once
                continue
            seen.add((r["name"], r["user_email"]))
            for qi, q in enumerate(poll["questions"]):
                t = inst.start + timedelta(minutes=5 + qi, seconds=rng.randint(0, 59))
                rows.append(
                    self._answer(len(seen), r["name"], r["user_email"], poll, q, rng.choice(q["answers"]), t)
                )
        if not self._forced_poll_twins:
            self._forced_poll_twins = True
            twins = rng_for(self.seed, "poll_twins", inst.uuid)
            q = poll["questions"][0]
            t = inst.start + timedelta(minutes=9, seconds=twins.randint(0, 59))
            for n in range(2):
                rows.append(self._answer(len(seen) + 1 + n, "iPhone", "", poll, q, q["answers"][n], t))
        return rows

    @staticmethod
    def _answer(
        respondent: int, name: str, email: str, poll: dict, q: dict, answer: str, t: datetime
    ) -> dict:
        return {
            "respondent": respondent,
            "name": name,
            "email": email,
            "question": q["name"],
            "answer": answer,
            "polling_id": poll["id"],
            "date_time": iso(t),
        }

    def _make_recording(self, inst: Instance, variant: str, rng: random.Random) -> Recording:
        k = self.knobs
        uuid = inst.uuid
        start = inst.start + timedelta(seconds=rng.randint(5, 90))
        end = inst.end
        processing = variant == "processing"
        speakers = list(dict.fromkeys(r["name"] for r in inst.participants))[:4]
        names = speakers or [inst.parent.host.name]
        rec = Recording(
            files=[],
            audio_files=[],
            password=opaque_id("recpwd", uuid, length=10),
            share_token=opaque_id("share", uuid, length=40),
            chat_new_layout=variant != "full_old_chat",
            auto_delete=None if rng.random() < 0.3 else False,
        )

        def add(
            file_type: str, ext: str, rtype: str | None, content: bytes | None = None, has_id: bool = True
        ):
            token = opaque_id(self.seed, "file", uuid, file_type, length=43)
            size = k.media_bytes + rng.randint(0, max(1, k.media_bytes // 4)) if content is None else 0
            f = RecordingFile(
                token=token,
                file_type=file_type,
                extension=ext,
                recording_type=rtype,
                id=opaque_id(self.seed, "fileid", uuid, file_type, length=36) if has_id else None,
                status="processing" if processing and content is None else "completed",
                start=start,
                end=None if processing else end,
                content=content,
                media_size=size,
            )
            rec.files.append(f)

        if variant != "no_audio":
            add("MP4", "MP4", "shared_screen_with_speaker_view")
            add("M4A", "M4A", "audio_only")
        if variant in ("full", "full_old_chat", "no_audio"):
            rec.cues = F.make_cues(rng, names, rng.randint(6, 14))
            add("TRANSCRIPT", "VTT", "audio_transcript", F.render_transcript_vtt(rec.cues).encode())
            rec.captions = F.make_cues(rng, [], rng.randint(4, 8))
            add("CC", "VTT", "closed_caption", F.render_captions_vtt(rec.captions).encode(), has_id=False)
        if variant in ("full", "full_old_chat", "no_transcript", "no_audio"):
            rec.chat = F.make_chat(rng, names, rng.randint(3, 8), rec.chat_new_layout)
            add("CHAT", "TXT", "chat_file", F.render_chat_txt(rec.chat, rec.chat_new_layout).encode())
        if variant == "full":
            add(
                "TIMELINE",
                "JSON",
                "timeline",
                F.render_timeline(rng, inst.participants, inst.duration * 60).encode(),
                has_id=False,
            )
            if inst.poll_results:
                add("CSV", "CSV", "poll", F.render_poll_csv(inst.poll_results).encode())
            # per-participant audio ("Record a separate audio file of each participant")
            for pi, r in enumerate(inst.participants[:2]):
                token = opaque_id(self.seed, "paudio", uuid, pi, length=43)
                rec.audio_files.append(
                    RecordingFile(
                        token=token,
                        file_type="M4A",
                        extension="M4A",
                        recording_type=None,
                        id=opaque_id(self.seed, "paudioid", uuid, pi, length=36),
                        status="completed",
                        start=start,
                        end=end,
                        media_size=max(256, k.media_bytes // 2) + pi,
                        participant_audio=True,
                        file_name=f"Audio only - {r['name']}",
                    )
                )
        return rec

    def complete_recording(self, inst: Instance, transcript: bool = True) -> Recording:
        """Finishes a processing recording: files completed, and a transcript (+ captions) appears."""
        rec = inst.recording
        assert rec is not None
        rng = rng_for(self.seed, "complete", inst.uuid)
        for f in rec.files + rec.audio_files:
            f.status, f.end = "completed", inst.end
        if transcript and rec.file("TRANSCRIPT") is None:
            names = list(dict.fromkeys(r["name"] for r in inst.participants))[:4]
            rec.cues = F.make_cues(rng, names, rng.randint(6, 12))
            start = rec.files[0].start if rec.files else inst.start
            for ftype, rtype, content, has_id in (
                ("TRANSCRIPT", "audio_transcript", F.render_transcript_vtt(rec.cues), True),
            ):
                f = RecordingFile(
                    token=opaque_id(self.seed, "file", inst.uuid, ftype, length=43),
                    file_type=ftype,
                    extension="VTT",
                    recording_type=rtype,
                    id=opaque_id(self.seed, "fileid", inst.uuid, ftype, length=36) if has_id else None,
                    status="completed",
                    start=start,
                    end=inst.end,
                    content=content.encode(),
                )
                rec.files.append(f)
                self.files[f.token] = (inst, f)
        return rec

    def _make_meeting(self, host: User, ui: int, j: int) -> Meeting:
        k = self.knobs
        rng = rng_for(self.seed, "meeting", ui, j)
        kind = MEETING_KINDS[j % len(MEETING_KINDS)]
        hour = rng.randint(7, 18)
        span = max(2, k.days_of_history)
        if kind == "upcoming":
            start = (self.now + timedelta(days=rng.randint(1, 20))).replace(hour=hour)
        else:
            start = (self.now - timedelta(days=rng.randint(1, span - 1))).replace(hour=hour)
        topic = TOPICS[(ui * 7 + j) % len(TOPICS)]
        m = Meeting(
            id=self._new_id(rng),
            uuid=make_uuid(rng, "plus" if j % 2 else "plain"),
            host=host,
            topic=f"{host.first_name}'s {topic}" if kind == "instant" else topic,
            type=MEETING_TYPES[kind],
            kind=kind,
            start=start,
            duration=rng.choice([30, 45, 60]),
            timezone=host.timezone,
            created_at=start - timedelta(days=rng.randint(1, 30)),
            password=opaque_id("pw", ui, j, length=8),
            agenda=None if j % 3 == 1 else f"Agenda for {topic}. " + "Details follow. " * (j % 40),
        )
        if kind in ("recurring", "upcoming"):
            m.registrants = self._registrants(rng, m, rng.randint(1, 3))
        if kind in ("recurring", "recurring_nofixed"):
            m.polls = [self._poll(rng, m.id)]
        if kind in ("recurring", "recurring_nofixed"):
            n = max(1, k.instances)
            spacing = max(1, (span - 1) // (n + 1))
            for i in range(n):
                when = (self.now - timedelta(days=(i + 1) * spacing, hours=rng.randint(0, 6))).replace(
                    minute=0, second=0
                )
                style = {1: "slash", 2: "double"}.get(i, "plain")
                m.instances.append(self._make_instance(m, rng, when, style))
            m.start = self.now + timedelta(days=1 + m.id % 6)
        elif kind in ("one_off_past", "instant"):
            inst_rng = rng
            variant: object = "auto"
            if kind == "instant":
                variant = RECORDING_VARIANTS[self._variant % len(RECORDING_VARIANTS)] or "full"
                self._variant += 1
            m.instances.append(self._make_instance(m, inst_rng, start, variant=variant))
        for inst in m.instances:
            self._index(inst)
        self.meetings.append(m)
        return m

    def _registrants(self, rng: random.Random, m: Meeting, n: int) -> list[dict]:
        out = []
        for r in range(n):
            first = rng.choice(FIRST_NAMES)
            reg = {
                "id": opaque_id("registrant", m.id, r),
                "email": f"{ascii_slug(first)}.reg{r}.{m.id % 1000}@client.example.org",
                "first_name": first,
                "last_name": rng.choice(LAST_NAMES),
                "status": "approved",
                "create_time": iso(m.created_at + timedelta(hours=r + 1)),
                "join_url": f"https://emu.zoom.test/w/{m.id}?tk={opaque_id('tk', m.id, r)}",
                "custom_questions": [],
            }
            if r % 2 == 0:  # optional fields only on some registrants
                reg.update({"org": "Client Corp", "job_title": "Buyer", "country": "US", "comments": ""})
            out.append(reg)
        return out

    def _poll(self, rng: random.Random, meeting_id: int) -> dict:
        return {
            "id": opaque_id("poll", meeting_id, length=22),
            "title": "Quick pulse check 📊",
            "status": "ended",
            "anonymous": False,
            "poll_type": 1,
            "questions": [
                {
                    "name": "How useful was this session?",
                    "type": "single",
                    "answer_required": True,
                    "answers": ["Very", "Somewhat", "Not really"],
                },
                {
                    "name": "Which topics next?",
                    "type": "multiple",
                    "answer_required": False,
                    "answers": ["Pricing", "Roadmap", "Integrations"],
                },
            ],
        }

    def _make_webinar(self, host: User, ui: int, w: int) -> Meeting:
        k = self.knobs
        rng = rng_for(self.seed, "webinar", ui, w)
        topic = ["Product webinar 🎥", "Customer AMA", "Trends 2026 – live"][(ui + w) % 3]
        m = Meeting(
            id=self._new_id(rng),
            uuid=make_uuid(rng),
            host=host,
            topic=topic,
            type=9,
            kind="webinar",
            start=self.now + timedelta(days=3 + w),
            duration=60,
            timezone=host.timezone,
            created_at=self.now - timedelta(days=k.days_of_history),
            password=opaque_id("wpw", ui, w, length=8),
            agenda="Webinar agenda",
        )
        m.registrants = self._registrants(rng, m, rng.randint(3, 5))
        m.polls = [self._poll(rng, m.id)]
        m.panelists = [
            {
                "id": opaque_id("panelist", m.id, p),
                "email": f"panelist{p}.{m.id % 1000}@emu-corp.example.com",
                "name": f"Panelist {FIRST_NAMES[p]}",
                "join_url": f"https://emu.zoom.test/w/{m.id}?tk={opaque_id('ptk', m.id, p)}",
            }
            for p in range(rng.randint(1, 2))
        ]
        m.tracking_sources = [
            {
                "id": opaque_id("ts", m.id, t),
                "source_name": name,
                "tracking_url": f"https://emu.zoom.test/w/{m.id}?ts={t}",
                "registration_count": rng.randint(0, 20),
                "visitor_count": rng.randint(0, 50),
            }
            for t, name in enumerate(["LinkedIn", "Newsletter ✉️"][: rng.randint(1, 2)])
        ]
        span = max(2, k.days_of_history)
        for i in range(min(2, max(1, k.instances))):
            when = (self.now - timedelta(days=(i + 1) * max(1, span // 3) - 1)).replace(
                hour=15, minute=0, second=0
            )
            inst = self._make_instance(m, rng, when, "slash" if i == 1 else "plain", variant=None)
            attended = {r["user_email"] for r in inst.participants}
            inst.absentees = [r for r in m.registrants if r["email"] not in attended][: rng.randint(1, 3)]
            m.instances.append(inst)
            self._index(inst)
        self.meetings.append(m)
        return m

    def _make_channels(self, n: int) -> None:
        rng = rng_for(self.seed, "channels")
        names = ["deal-desk 💸", "Équipe Ventes", "general", "support-escalations", "营销"]
        active = self.active_users
        for c in range(n):
            members_users = [u for u in active if rng.random() < 0.7] or active[:1]
            if len(members_users) < 2 and len(active) >= 2:
                members_users = active[:2]
            members = []
            for mi, u in enumerate(members_users):
                members.append(
                    {
                        "id": u.id,
                        "member_id": u.member_id,
                        "email": u.email,
                        "first_name": u.first_name,
                        "last_name": u.last_name,
                        "name": u.name,
                        "role": "owner" if mi == 0 else ("admin" if mi == 1 else "member"),
                        "is_external": False,
                    }
                )
            if c == 0:  # an external member: Zoom blanks their fields
                members.append(
                    {
                        "id": "",
                        "member_id": opaque_id(self.seed, "extmember", c, length=32),
                        "email": "",
                        "first_name": "",
                        "last_name": "",
                        "name": "",
                        "role": "member",
                        "is_external": True,
                    }
                )
            self.channels.append(
                Channel(
                    id=opaque_id(self.seed, "channel", c, length=32).replace("-", "a").replace("_", "b"),
                    name=names[c % len(names)] + ("" if c < len(names) else f" {c}"),
                    type=[1, 2, 3, 5][c % 4],
                    members=members,
                )
            )

    # ---------------------------------------------------------------- runtime additions
    def add_meeting(
        self,
        user: str | None = None,
        topic: str | None = None,
        start_time: datetime | None = None,
        duration: int = 30,
        participants: int = 3,
        transcript: bool = True,
        audio: bool = True,
        processing: bool = False,
        recorded: bool = True,
        meeting_id: int | None = None,
        late_joiners: int = 0,
    ) -> Instance:
        """Adds a new ended instance (recorded unless told otherwise) and returns it.

        `late_joiners`: this many people (never the host) first join 6, 7, … minutes after the start.
        """
        self._added += 1
        rng = rng_for(self.seed, "added", self._added)
        host = self.user(user) if user else self.owner
        if host is None or host.status != "active":
            raise ValueError(f"no active user {user!r}")
        start = start_time or (self.now - timedelta(hours=2))
        parent = self.meeting(meeting_id) if meeting_id else None
        if meeting_id and parent is None:
            raise ValueError(f"no meeting {meeting_id}")
        if parent is None:
            parent = Meeting(
                id=self._new_id(rng),
                uuid=make_uuid(rng),
                host=host,
                topic=topic or "Added call 📞",
                type=2,
                kind="one_off_past",
                start=start,
                duration=duration,
                timezone=host.timezone,
                created_at=start - timedelta(days=1),
                password=opaque_id("apw", self._added, length=8),
            )
            self.meetings.append(parent)
        variant: str | None = None
        if recorded:
            if processing:
                variant = "processing"
            elif transcript and audio:
                variant = "full"
            elif transcript:
                variant = "no_audio"
            else:
                variant = "no_transcript"
        inst = self._make_instance(parent, rng, start, variant=variant, persons=participants)
        inst.duration = duration
        if late_joiners:
            self._join_late(inst, int(late_joiners))
        parent.instances.append(inst)
        self._index(inst)
        return inst

    def _join_late(self, inst: Instance, n: int) -> None:
        """Moves the first join of the last `n` people other than the host to 6+ minutes after the start."""
        firsts: dict[str, dict] = {}
        for row in inst.participants:
            firsts.setdefault(row["user_email"] or row["name"], row)
        people = [r for r in firsts.values() if r["user_email"] != inst.parent.host.email]
        if n > len(people):
            raise ValueError(f"late_joiners={n} but only {len(people)} people besides the host")
        for i, row in enumerate(people[len(people) - n :]):
            join = inst.start + timedelta(minutes=6 + i)
            leave = datetime.fromisoformat(row["leave_time"].replace("Z", "+00:00"))
            if join >= leave:
                raise ValueError(f"late_joiners={n}: a late join would come after that person's leave")
            row["join_time"] = iso(join)
            row["duration"] = int((leave - join).total_seconds())


def generate(knobs: Knobs) -> Dataset:
    """Builds the account for `knobs` (same knobs, same account)."""
    ds = Dataset(knobs).generate()
    ds.phone = build_phone(ds.seed, ds.now, ds.active_users, knobs)
    return ds
