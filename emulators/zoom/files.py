"""Recording file contents: Zoom-style VTT transcripts and captions, chat TXT (both layouts), timeline
JSON, poll CSV and deterministic MP4/M4A stubs. Structured first (for the ground truth), rendered second."""

from __future__ import annotations

import csv
import io
import json
import random
from dataclasses import dataclass

# No colons in the sentences: a cue without a speaker must not look like "Speaker: text".
SENTENCES = [
    "Let's get started, thanks for joining.",
    "Könnten wir das nächste Woche besprechen?",
    "That sounds great 👍",
    "I'll send the deck right after the call.",
    "Pricing is $1,200 per seat – does that work for you?",
    "Oui, c'est parfait pour nous.",
    "We need the contract signed by Friday.",
    "Can everyone see my screen?",
    "The integration took about two weeks end to end.",
    "Sorry, you were on mute.",
    "我们下周再讨论这个问题。",
    "Let me check with the team and get back to you.",
    "Quick note — the demo link changed.",
    "Thanks everyone, talk soon!",
]
REACTIONS = ["👍", "❤️", "😂", "🎉"]


@dataclass(frozen=True)
class Cue:
    """One transcript or caption cue; times are offsets from the recording start."""

    sequence: int
    start_ms: int
    end_ms: int
    speaker: str | None
    text: str


@dataclass(frozen=True)
class ChatMessage:
    """One chat entry (one timestamped header line in the TXT file)."""

    sequence: int
    offset_s: int
    sender: str
    recipient: str | None  # None: everyone
    text: str
    kind: str = "message"  # message | reply | reaction
    ref: str = ""  # the message replied or reacted to


def _ts(ms: int) -> str:
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def _hms(seconds: int) -> str:
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}:{s:02d}"


def make_cues(rng: random.Random, speakers: list[str], n: int) -> list[Cue]:
    """Cues with alternating speakers (never the same speaker twice in a row) and a few unnamed ones."""
    cues: list[Cue] = []
    t = rng.randint(500, 3000)
    previous: str | None = "<start>"
    for seq in range(1, n + 1):
        candidates = [s for s in speakers if s != previous]
        # an unidentified speaker (phone user) now and then, never twice in a row
        if previous is not None and (rng.random() < 0.15 or not candidates):
            speaker = None
        else:
            speaker = rng.choice(candidates) if candidates else None
        length = rng.randint(1500, 8000)
        cues.append(Cue(seq, t, t + length, speaker, rng.choice(SENTENCES)))
        previous = speaker
        t += length + rng.randint(100, 2000)
    return cues


def render_transcript_vtt(cues: list[Cue]) -> str:
    """Zoom's transcript layout: WEBVTT, blank line, numbered cues, `Speaker Name: text`."""
    parts = ["WEBVTT", ""]
    for c in cues:
        text = f"{c.speaker}: {c.text}" if c.speaker else c.text
        parts += [str(c.sequence), f"{_ts(c.start_ms)} --> {_ts(c.end_ms)}", text, ""]
    return "\n".join(parts)


def render_captions_vtt(cues: list[Cue]) -> str:
    """Closed captions: VTT cues without speaker names."""
    parts = ["WEBVTT", ""]
    for c in cues:
        parts += [str(c.sequence), f"{_ts(c.start_ms)} --> {_ts(c.end_ms)}", c.text, ""]
    return "\n".join(parts)


def clean_transcript(cues: list[Cue]) -> str:
    """What a correct parser extracts: `Speaker: text` lines (just `text` without a speaker)."""
    return "\n".join(f"{c.speaker}: {c.text}" if c.speaker else c.text for c in cues)


def make_chat(rng: random.Random, people: list[str], n: int, new_layout: bool) -> list[ChatMessage]:
    """Chat messages; the new layout adds replies, reactions, private and multi-line messages."""
    msgs: list[ChatMessage] = []
    t = rng.randint(5, 60)
    for seq in range(1, n + 1):
        sender = rng.choice(people)
        kind, ref, recipient = "message", "", None
        text = rng.choice(SENTENCES)
        if new_layout and msgs:
            roll = rng.random()
            if roll < 0.2:
                kind, ref = "reply", msgs[-1].text.split("\n")[0]
            elif roll < 0.35:
                kind, ref, text = "reaction", msgs[-1].text.split("\n")[0], rng.choice(REACTIONS)
            elif roll < 0.45 and len(people) > 1:
                recipient = rng.choice([p for p in people if p != sender])
            elif roll < 0.55:
                text = text + "\n" + rng.choice(SENTENCES)
        msgs.append(ChatMessage(seq, t, sender, recipient, text, kind, ref))
        t += rng.randint(3, 240)
    return msgs


def render_chat_txt(msgs: list[ChatMessage], new_layout: bool) -> str:
    """Old layout: `HH:MM:SS\\tSender:\\tmessage`; new: `HH:MM:SS From X To Everyone:` + indented lines."""
    lines: list[str] = []
    for m in msgs:
        if not new_layout:
            lines.append(f"{_hms(m.offset_s)}\t{m.sender}:\t{m.text.replace(chr(10), ' ')}")
            continue
        to = "Everyone" if m.recipient is None else f"{m.recipient}(privately)"
        lines.append(f"{_hms(m.offset_s)} From {m.sender} To {to}:")
        if m.kind == "reply":
            lines.append(f'\tReplying to "{m.ref}":')
        if m.kind == "reaction":
            lines.append(f'\tReacted to "{m.ref}" with {m.text}')
        else:
            lines += [f"\t{line}" for line in m.text.split("\n")]
    return "\n".join(lines) + "\n"


# Lines of a damaged chat export: neither a message header nor an indented body line.
CHAT_GARBAGE_LINES = [
    "#### 3 messages could not be exported ####",
    "<<chat fragment lost: 9f 3a 7c>>",
    "=?utf-8?q?broken=20line?=",
]
# Names and sentences that cp1252 can encode (the `cp1252` file fault re-renders cues with these).
CP1252_SPEAKERS = ["Björn Åström", "Zoë Müller", "José Núñez", "Chloé Dubois", "Søren O'Brien"]
CP1252_SENTENCES = [s for s in SENTENCES if s.encode("cp1252", errors="ignore").decode("cp1252") == s]


def render_chat_with_garbage(msgs: list[ChatMessage], new_layout: bool, after: list[int]) -> str:
    """The CHAT file with one garbage line after each message index in `after` (`chat_garbage` fault)."""
    out: list[str] = []
    for i, m in enumerate(msgs):
        out.append(render_chat_txt([m], new_layout))
        out += [CHAT_GARBAGE_LINES[n % len(CHAT_GARBAGE_LINES)] + "\n" for n, a in enumerate(after) if a == i]
    return "".join(out)


def cp1252_cues(cues: list[Cue]) -> list[Cue]:
    """The cues with every speaker and text cp1252 can encode, non-ASCII kept (`cp1252` file fault)."""
    names: dict[str, str] = {}
    out = []
    for c in cues:
        speaker = c.speaker
        if speaker is not None:
            speaker = names.setdefault(speaker, CP1252_SPEAKERS[len(names) % len(CP1252_SPEAKERS)])
        text = c.text if c.text in CP1252_SENTENCES else CP1252_SENTENCES[c.sequence % len(CP1252_SENTENCES)]
        out.append(Cue(c.sequence, c.start_ms, c.end_ms, speaker, text))
    return out


# A Windows "smart quote" (cp1252 0x92) pasted into UTF-8 text: a lone continuation byte, never valid UTF-8.
STRAY_BYTE = b"\x92"


def stray_byte_cues(cues: list[Cue]) -> list[Cue]:
    """The cues with one character (an apostrophe if any, else a letter) turned into U+FFFD, the mark a
    correct decoder leaves where `stray_byte_vtt` puts the stray byte (`stray_byte` file fault)."""
    out = list(cues)
    if not any(ord(ch) > 127 for c in cues for ch in (c.speaker or "") + c.text):
        # the file must be UTF-8 beyond doubt: give it one non-ASCII sentence
        first = out[0]
        out[0] = Cue(first.sequence, first.start_ms, first.end_ms, first.speaker, SENTENCES[1])
    at = next((i for i, c in enumerate(out) if "'" in c.text), None)
    if at is None:
        at = next(i for i, c in enumerate(out) if any(ch.isascii() and ch.isalpha() for ch in c.text))
    c = out[at]
    pos = (
        c.text.find("'")
        if "'" in c.text
        else next(i for i, ch in enumerate(c.text) if ch.isascii() and ch.isalpha())
    )
    out[at] = Cue(c.sequence, c.start_ms, c.end_ms, c.speaker, c.text[:pos] + "\ufffd" + c.text[pos + 1 :])
    return out


def stray_byte_vtt(cues: list[Cue]) -> bytes:
    """The UTF-8 transcript of `stray_byte_cues` output, with its one U+FFFD written as the stray byte."""
    data = render_transcript_vtt(cues).encode("utf-8")
    assert data.count("\ufffd".encode()) == 1
    return data.replace("\ufffd".encode(), STRAY_BYTE)


def nul_byte_vtt(cues: list[Cue]) -> bytes:
    """The UTF-8 transcript with a NUL byte inside the middle cue's text (`nul_byte` file fault)."""
    mid = cues[len(cues) // 2]
    text = render_transcript_vtt(cues)
    at = text.index(f"\n{mid.sequence}\n")  # the cue id line, then timing, then the text
    at = text.index("\n", text.index("-->", at)) + 2  # after the first character of the text line
    return text[:at].encode() + b"\x00" + text[at:].encode()


def truncated_vtt(cues: list[Cue], keep: int) -> str:
    """A transcript download cut off inside the timing line of cue `keep + 1` (`keep` cues stay whole)."""
    full = render_transcript_vtt(cues[:keep])
    cut = cues[keep]
    return full + f"\n{cut.sequence}\n{_ts(cut.start_ms)[:8]}"


def garbage_bytes(rng: random.Random, size: int = 600) -> bytes:
    """Binary junk served as a VTT (a gzip header, then noise)."""
    return b"\x1f\x8b\x08\x00" + rng.randbytes(size)


def bom_crlf(text: str) -> bytes:
    """The same text as a Windows tool writes it: UTF-8 BOM and CRLF line endings."""
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def render_timeline(rng: random.Random, people: list[dict], duration_s: int) -> str:
    """Timeline JSON: who was speaking when (Zoom's "Add a timestamp" setting)."""
    entries, t = [], 0
    while t < duration_s and len(entries) < 50:
        p = rng.choice(people)
        entries.append(
            {
                "ts": _ts(t * 1000),
                "users": [
                    {
                        "username": p["name"],
                        "multiple_people": False,
                        "user_id": p["user_id"],
                        "zoom_userid": p.get("id", ""),
                        "email_address": p.get("user_email", ""),
                    }
                ],
            }
        )
        t += rng.randint(20, 300)
    return json.dumps({"timeline": entries}, ensure_ascii=False)


def render_poll_csv(rows: list[dict]) -> str:
    """Poll report CSV (one line per answer)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["#", "User Name", "Email Address", "Submitted Date/Time", "Question", "Answer"])
    for i, r in enumerate(rows, 1):
        w.writerow([i, r["name"], r["email"], r["date_time"], r["question"], r["answer"]])
    return out.getvalue()


def media_bytes(key: str, size: int, audio: bool) -> bytes:
    """Deterministic pseudo-random media stub of exactly `size` bytes with an ISO-BMFF `ftyp` header."""
    brand = b"M4A " if audio else b"mp42"
    header = b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00" + brand + b"isom"
    body = random.Random(key).randbytes(max(0, size - len(header)))
    return (header + body)[:size]


def html_denied_page() -> str:
    """What Zoom answers (HTTP 200!) when a download is not authorised."""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Error - Zoom</title></head><body>"
        "<div class='error-message'>Only the host can download this recording, or you do not have "
        "permission to access this recording.</div></body></html>"
    )
