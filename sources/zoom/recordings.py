"""Cloud recordings → recordings, recording_files, parsed transcripts, captions, chat, and call rows.

One recorded instance is handled in one place, from the listing payload the instances feeder already
fetched: the only extra Zoom traffic is the download of the TRANSCRIPT, CC and CHAT files. `calls`
is built from the same data, so it never calls Zoom again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Dict, Iterator, List, Optional, Tuple

import dlt
from dlt.common.typing import TDataItem

from . import chat, registry, transcripts
from .dates import parse_time
from .errors import ZoomDownloadError, ZoomError, ZoomNotFound
from .file_errors import FileParseError
from .file_text import decode_file
from .instances import takes
from .rejects import rejected_row, screened
from .rows import file_key, normalize_times
from .run_context import ZoomRun
from .settings import REJECTED_ROWS_TABLE

logger = logging.getLogger("sources.zoom")

# Transcripts and chats are text; anything larger than this is not what Zoom serves for them.
MAX_TEXT_FILE_BYTES = 50 * 1024 * 1024
WEBINAR_TYPES = {5, 6, 9}


def _mark(table: str, rows: Any) -> Any:
    return dlt.mark.with_hints(
        rows, dlt.mark.make_hints(**registry.table(table).side_hints()), create_table_variant=True
    )


def iter_recordings(run: ZoomRun, bundle: TDataItem) -> Iterator[TDataItem]:
    """Yields the rows of one recorded instance to all recording tables.

    Args:
        run: the run's shared context.
        bundle: an instance bundle from the instances feeder.

    Yields:
        The `recordings` row, then marked rows for recording_files, transcripts, transcript_segments,
        caption_segments, chat_messages, file_errors and calls.
    """
    if not takes(run, "recordings", bundle):
        return
    payload: Dict[str, Any] = bundle["payload"]
    uuid = bundle["uuid"]
    files: List[Dict[str, Any]] = []
    junk: List[Dict[str, Any]] = []
    for field, is_audio in (("recording_files", False), ("participant_audio_files", True)):
        for f in _as_list(payload.get(field)):
            if isinstance(f, dict):
                files.append(dict(f, is_participant_audio=is_audio))
            else:
                junk.append(
                    rejected_row(
                        "recording_files", f"{field}: not a file object", {"meeting_uuid": uuid, field: f}, ()
                    )
                )
    if junk:
        run.reject("recording_files", len(junk), junk[0]["reason"])
        yield dlt.mark.with_table_name(junk, REJECTED_ROWS_TABLE)
    recording = {k: v for k, v in payload.items() if k not in ("recording_files", "participant_audio_files")}
    recording = normalize_times(recording)
    recording.pop("download_access_token", None)
    # `type` is a string in REST lists, an int elsewhere: rejects converts it to the pinned bigint
    yield from screened(run, "recordings", [recording])

    file_rows = [
        dict(normalize_times(f), file_key=file_key(f, uuid), meeting_uuid=uuid, meeting_id=payload.get("id"))
        for f in files
    ]
    for item in screened(run, "recording_files", file_rows, registry.table("recording_files").key):
        yield item if not isinstance(item, list) else _mark("recording_files", item)

    token = payload.get("download_access_token")
    recording_start = parse_time(payload.get("start_time")) or bundle["start_time"]
    cues: Optional[List[transcripts.Cue]] = None
    errors: List[Dict[str, Any]] = []
    for f in files:
        kind = (f.get("file_type") or "").upper()
        if (
            kind not in ("TRANSCRIPT", "CC", "CHAT")
            or f.get("status") == "processing"
            or not f.get("download_url")
        ):
            continue
        start = parse_time(f.get("recording_start")) or recording_start
        repairs = None
        try:
            decoded = decode_file(
                run.client.download_bytes(
                    f["download_url"], access_token=token, max_bytes=MAX_TEXT_FILE_BYTES
                )
            )
            repairs, data = decoded.repairs, decoded.text
            if kind == "TRANSCRIPT":
                parsed = transcripts.parse_vtt(data)
                if parsed:  # a header-only file has no transcript to keep
                    cues = parsed
                    yield _mark("transcript_segments", transcripts.transcript_rows(cues, uuid, start))
                    yield _mark("transcripts", transcripts.transcript_summary_row(cues, uuid))
            elif kind == "CC":
                captions = transcripts.parse_captions(data)
                yield _mark("caption_segments", transcripts.caption_rows(captions, uuid, start))
            else:
                messages = chat.parse_chat(data)
                yield _mark("chat_messages", chat.chat_rows(messages, uuid, start))
        except (FileParseError, ZoomError) as exc:
            if isinstance(exc, ZoomError) and not _file_level(exc):
                raise
            reason = getattr(exc, "reason", None) or str(exc)
            logger.warning("recording %s: %s file not loaded: %s", uuid, kind, reason)
            errors.append(
                _file_error(uuid, f, kind, reason + (f" (after decoding: {repairs})" if repairs else ""))
            )
        else:
            if repairs:  # loaded, but a reader should know which characters are not Zoom's
                logger.warning("recording %s: %s file loaded with repairs: %s", uuid, kind, repairs)
                errors.append(_file_error(uuid, f, kind, f"file loaded; {repairs}"))
    if errors:
        yield _mark("file_errors", errors)
    yield _mark("calls", call_row(run, bundle, files, cues))


def _file_error(uuid: str, f: Dict[str, Any], kind: str, reason: str) -> Dict[str, Any]:
    return {
        "meeting_uuid": uuid,
        "file_key": file_key(f, uuid),
        "file_type": kind,
        "reason": reason,
        "occurred_at": datetime.now(UTC),
    }


def _file_level(exc: ZoomError) -> bool:
    # A bad or missing file is recorded and the rest loads; auth failures and the daily cap stop the run.
    return isinstance(exc, (ZoomDownloadError, ZoomNotFound))


def _as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _int_or_none(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return None


def pick_audio(files: List[Dict[str, Any]]) -> Tuple[Optional[Dict[str, Any]], bool]:
    """The file Kendo should fetch (M4A preferred, else MP4), and whether any file is still processing."""
    processing = any(f.get("status") == "processing" for f in files)
    ready = [f for f in files if not f.get("is_participant_audio") and f.get("download_url")]
    ready = [f for f in ready if f.get("status") in (None, "completed")]
    for kind in ("M4A", "MP4"):
        for f in ready:
            if (f.get("file_type") or "").upper() == kind:
                return f, processing
    return None, processing


def call_row(
    run: ZoomRun, bundle: Dict[str, Any], files: List[Dict[str, Any]], cues: Optional[List[transcripts.Cue]]
) -> Dict[str, Any]:
    """One call-shaped row (the Kendo payload's fields) for a recorded instance."""
    payload = bundle["payload"]
    host = run.user(bundle["host_id"])
    audio, processing = pick_audio(files)
    text = transcripts.clean_transcript(cues) if cues else None
    has_transcript = bool(text)
    name = host.get("display_name") or " ".join(
        p for p in (host.get("first_name"), host.get("last_name")) if p
    )
    return {
        "meeting_uuid": bundle["uuid"],
        "meeting_id": payload.get("id"),
        "title": payload.get("topic") or "",
        "rep_name": name or None,
        "rep_email": payload.get("host_email") or host.get("email"),
        "host_id": bundle["host_id"],
        "call_date": bundle["start_time"],
        "duration_minutes": _int_or_none(payload.get("duration")),
        "recording_start": parse_time(payload.get("start_time")),
        "audio_url": audio.get("download_url") if audio else None,
        "audio_file_id": audio.get("id") if audio else None,
        "audio_file_type": audio.get("file_type") if audio else None,
        "transcript": text,
        "has_transcript": has_transcript,
        # an audio file exists (it may still be processing); `audio_url` is set once it is downloadable
        "has_audio": any(
            (f.get("file_type") or "").upper() in ("M4A", "MP4") and not f.get("is_participant_audio")
            for f in files
        ),
        "processing": processing,
        "ready": (audio is not None or has_transcript) and not processing,
        "is_webinar": _int_or_none(payload.get("type")) in WEBINAR_TYPES,
    }
