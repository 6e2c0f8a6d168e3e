"""Zoom Phone → phone_users, phone_calls, phone_call_elements, phone_recordings, phone_transcripts,
phone_transcript_segments, phone_file_errors, and `calls` rows for Kendo (one per phone recording).

Built on the 2026 call-history API only (`/phone/call_history`, `call_elements[]`); the deprecated
`/phone/call_logs*` routes and the `call_log` / `call_path` arrays are never read.

* Account-level listings (`GET /phone/call_history`, `GET /phone/recordings`), one calendar month per
  request, from each resource's cursor minus the lag, never before Zoom's six-month horizon. A user
  without a Phone licence has no Phone data: counted once per load in the summary, never asked about.
* Transcripts: `GET /phone/recording_transcript/download/{id}` (302 to the JSON). Code 12002 (still being
  transcribed) keeps the recording in the resource's state and asks again on the next run, its `calls` row
  not ready until then; 12000/12001/12003 (and a missing file) are `phone_file_errors` rows with Zoom's
  reason, and the call goes to Kendo with its audio only.
* Requests go through the run's Phone client (phone_client.py): Phone's own rate-limit buckets.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple

import dlt
from dlt.common.typing import TDataItem, TDataItems

from . import registry, transcripts, windows
from .dates import parse_time
from .errors import (
    ZoomBadRequest,
    ZoomFeatureUnavailable,
    ZoomNotFound,
    ZoomPageTokenExpired,
    ZoomScopeError,
)
from .phone_client import phone_client
from .rejects import screened
from .rows import TIME_FIELDS, normalize_times
from .run_context import ZoomRun
from .sensitive import drop_sensitive
from .settings import PHONE_HORIZON_MONTHS
from .windows import iter_windows

logger = logging.getLogger("sources.zoom")

PHONE_TIMES = (*TIME_FIELDS, "answer_time")
# Transcript codes that mean "no transcript for this recording" (Zoom's reason is kept): cannot transcribe,
# disabled by an admin, failed to download; 404 = the file does not exist.
NO_TRANSCRIPT_CODES = (12000, 12001, 12003, 404)
STILL_TRANSCRIBING = 12002
# the key prefix of phone calls in `calls`: meeting UUIDs never contain ":"
CALL_KEY_PREFIX = "zoom_phone:"
TRANSCRIPT_THREADS = 4  # per month window
PHONE_SOURCE = "zoom_phone"
# call-level fields of a call element that repeat the call's own (phone_calls has them)
_CALL_LEVEL = ("call_id", "connect_type", "call_type", "department", "cost_center", "site_id", "site_name",
               "group_id", "hide_caller_id", "end_to_end")  # fmt: skip


def _mark(table: str, rows: Any) -> Any:
    return dlt.mark.with_hints(
        rows, dlt.mark.make_hints(**registry.table(table).side_hints()), create_table_variant=True
    )


# -- ranges and shared listings ---------------------------------------------------------------------------
def horizon(today: Any) -> datetime:
    """The first instant a Phone window may start at: six months back, with the reports' margin."""
    day = windows.horizon(today, PHONE_HORIZON_MONTHS)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def phone_range(run: ZoomRun, resource: str) -> Tuple[datetime, datetime]:
    """[start, end) of `resource` this run: its cursor minus the lag (or start_date), not before Zoom's
    six-month horizon. All its month windows are read in one run (six at most)."""
    state = dlt.current.resource_state(resource)
    cursor = None if run.explicit_range else parse_time(state.get("window_cursor"))
    lag = timedelta(seconds=run.lag_seconds)
    start = max(cursor - lag, run.range_start) if cursor else run.range_start
    return max(start, horizon(datetime.now(UTC).date())), run.range_end


def _windows(start: datetime, end: datetime) -> List[Tuple[Any, Any]]:
    return iter_windows(start, end - timedelta(microseconds=1)) if end > start else []


def _moved(run: ZoomRun, resource: str, end: datetime) -> None:
    """Moves the cursor, unless the run can't read `resource` (a missing scope, no Phone on the account):
    once the admin grants it, the next run reads the whole history, not just the lag. A window's listing
    may fail after this (the windows run in dlt's pool): `_unmove` puts the cursor back then."""
    if run.explicit_range:
        return
    state = dlt.current.resource_state(resource)  # a plain dict: workers may restore it until extract ends
    before = state.get("window_cursor")
    state["window_cursor"] = end.isoformat()
    _cursors(run)[resource] = (state, before)
    skipped = [resource, "phone_users"] + (["phone_call_elements"] if resource == "phone_calls" else [])
    if any(run.feature_disabled(r) for r in skipped):
        _unmove(run, resource)


def _cursors(run: ZoomRun) -> Dict[str, Tuple[Dict[str, Any], Any]]:
    """Each Phone table's cursor dict and its value before this run moved it."""
    return run.once(("phone_cursors",), dict)  # type: ignore[no-any-return]


def _unmove(run: ZoomRun, resource: str) -> None:
    moved = _cursors(run).get(resource)
    if moved is None:
        return  # not moved yet: `_moved` sees the table skipped
    state, before = moved
    if before is None:
        state.pop("window_cursor", None)
    else:
        state["window_cursor"] = before


def _list(run: ZoomRun, resource: str, endpoint: str, **params: Any) -> Optional[List[Dict[str, Any]]]:
    """Every record of a Phone listing; None when the account can't answer: a missing scope or feature is
    warned once for the table. The first listing (`phone_users`) also takes a 400 or 404 as "no Zoom Phone
    on this account"; a month window Zoom refuses (400) is skipped with a warning, the others load."""
    if run.feature_disabled(resource):
        return None
    try:
        rows = [r for page in phone_client(run).paginate(endpoint, params=params) for r in page]
    except (ZoomScopeError, ZoomFeatureUnavailable) as exc:
        run.warn_once(resource, str(exc))
        _unmove(run, resource)
        return None
    except (ZoomBadRequest, ZoomNotFound) as exc:
        if isinstance(exc, ZoomPageTokenExpired):
            raise
        if endpoint == "phone_users":
            run.warn_once(resource, f"Zoom Phone is not available to this app or account ({exc})")
        else:
            logger.warning("%s: Zoom refused %s: %s", resource, params, exc)
            run.skip(resource, f"window refused (code {exc.code})")
        return None
    run.stats.add_answered(resource)
    return rows


def phone_users(run: ZoomRun) -> Dict[str, Dict[str, Any]]:
    """Users with a Phone licence by id, listed once per run."""
    return run.once(
        ("phone_users",),
        lambda: {
            u["id"]: u
            for u in _list(run, "phone_users", "phone_users") or []
            if isinstance(u, dict) and u.get("id")
        },
    )  # type: ignore[no-any-return]


def _window_params(window: Tuple[Any, Any]) -> Dict[str, str]:
    return {"from": window[0].isoformat(), "to": window[1].isoformat()}


def call_history(run: ZoomRun, window: Tuple[Any, Any]) -> List[Dict[str, Any]]:
    """The account's call history of one month window, listed once per run (phone_calls and the Kendo rows
    of phone_recordings both read it)."""
    return run.once(  # type: ignore[no-any-return]
        ("phone_call_history", *map(str, window)),
        lambda: [
            r
            for r in _list(run, "phone_calls", "phone_call_history", **_window_params(window)) or []
            if isinstance(r, dict)
        ],
    )


# -- phone_users ----------------------------------------------------------------------------------------
def iter_phone_users(run: ZoomRun) -> Iterator[TDataItems]:
    users = phone_users(run)
    _count_unlicensed(run, users)
    rows = [normalize_times(u) for u in users.values()]
    yield from screened(run, "phone_users", rows)


def _count_unlicensed(run: ZoomRun, licensed: Dict[str, Any]) -> None:
    """Active users without a Phone licence are skipped (they have no Phone data) and counted. With no
    licence at all the account has no Zoom Phone: nothing to count."""
    if not licensed:
        logger.info("Zoom Phone: no user holds a Phone licence; the phone tables stay empty")
        return
    for u in run.users():
        if u.get("id") and u.get("status") == "active" and u["id"] not in licensed:
            run.stats.add_parent_without_feature(
                "phone_users",
                "users without a Phone licence",
                (("user_id", u["id"]),),
                "this user holds no Zoom Phone licence",
            )


# -- phone_calls and phone_call_elements ----------------------------------------------------------------
def iter_phone_calls(run: ZoomRun) -> Iterator[TDataItems]:
    """Yields a deferred listing per month window: they run in dlt's pool, so the call-element reads of
    the first window start while later windows are still being listed."""
    start, end = phone_range(run, "phone_calls")
    if phone_users(run):
        for window in _windows(start, end):
            yield _calls_of(run, window)
    _moved(run, "phone_calls", end)


@dlt.defer
def _calls_of(run: ZoomRun, window: Tuple[Any, Any]) -> Iterator[TDataItems]:
    rows = [call_row(r) for r in call_history(run, window) if run.claim("phone_calls", _uuid(r))]
    return iter(screened(run, "phone_calls", rows))


def _uuid(record: Dict[str, Any]) -> Any:
    return record.get("call_history_uuid") or record.get("id")


def call_row(record: Dict[str, Any]) -> Dict[str, Any]:
    row = {k: v for k, v in record.items() if k not in ("call_log", "call_path", "call_logs")}
    row["call_history_uuid"] = _uuid(record)
    return normalize_times(row, PHONE_TIMES)


def iter_call_elements(run: ZoomRun, calls: TDataItem) -> Iterator[TDataItem]:
    """Yields a deferred detail read per call: its `call_elements[]` (the legs), which the list lacks."""
    for call in calls if isinstance(calls, list) else [calls]:
        if call.get("call_history_uuid"):
            yield _elements(run, call["call_history_uuid"])


@dlt.defer
def _elements(run: ZoomRun, uuid: str) -> Iterator[TDataItems]:
    if run.feature_disabled("phone_call_elements"):
        return iter([])
    try:
        detail = phone_client(run).get("phone_call_history_detail", call_history_uuid=uuid)
    except ZoomScopeError as exc:
        # the app lacks the call-detail scope (granular apps can): warned once; phone_calls keeps its cursor
        # (the legs hang off its rows), so every call's legs are read once the admin adds it
        run.warn_once("phone_call_elements", str(exc))
        _unmove(run, "phone_calls")
        return iter([])
    except ZoomNotFound as exc:
        run.skip("phone_call_elements", f"not found (code {exc.code})")
        return iter([])
    rows = [
        dict(
            normalize_times({k: v for k, v in e.items() if k not in _CALL_LEVEL}, PHONE_TIMES),
            call_history_uuid=uuid,
        )  # fmt: skip
        for e in detail.get("call_elements") or []
        if isinstance(e, dict)
    ]
    return iter(screened(run, "phone_call_elements", rows))


# -- phone_recordings, transcripts and Kendo calls ------------------------------------------------------
def iter_phone_recordings(run: ZoomRun) -> Iterator[TDataItems]:
    """Yields a deferred read per month window (recordings, then each one's transcript and `calls` row),
    after one for the transcripts Zoom was still making on earlier runs. They run in dlt's pool, several
    windows at once, beside the call-element reads."""
    state = dlt.current.resource_state("phone_recordings")
    pending: Dict[str, Dict[str, Any]] = state.setdefault("pending_transcripts", {})
    start, end = phone_range(run, "phone_recordings")
    retries = [(rid, dict(call)) for rid, call in pending.items()]
    if retries:
        yield _retry_pending(run, retries, pending)
    if phone_users(run):
        for window in _windows(start, end):
            yield _recordings_of(run, window, pending, {rid for rid, _ in retries})
    _moved(run, "phone_recordings", end)


@dlt.defer
def _retry_pending(
    run: ZoomRun, retries: List[Tuple[str, Dict[str, Any]]], pending: Dict[str, Dict[str, Any]]
) -> Iterator[TDataItems]:
    return iter([item for rid, call in retries for item in _with_transcript(run, rid, call, pending)])


@dlt.defer
def _recordings_of(
    run: ZoomRun, window: Tuple[Any, Any], pending: Dict[str, Dict[str, Any]], retried: Set[str]
) -> Iterator[TDataItems]:
    recs = _list(run, "phone_recordings", "phone_recordings", **_window_params(window)) or []
    fresh = [
        r for r in recs if isinstance(r, dict) and r.get("id") and run.claim("phone_recordings", r["id"])
    ]
    items: List[Any] = list(screened(run, "phone_recordings", [recording_row(r) for r in fresh]))
    todo = [r for r in fresh if r["id"] not in retried]

    def one(r: Dict[str, Any]) -> List[Any]:
        return _with_transcript(run, r["id"], kendo_call(run, r, window), pending)

    # a few reads at once: the last window still being read alone keeps Phone's Light bucket busy
    with cf.ThreadPoolExecutor(TRANSCRIPT_THREADS, thread_name_prefix="zoom-phone-transcripts") as pool:
        for done in pool.map(one, todo):
            items += done
    return iter(items)


def _with_transcript(
    run: ZoomRun, rid: str, call: Dict[str, Any], pending: Dict[str, Dict[str, Any]]
) -> List[Any]:
    """One recording's transcript items and its `calls` row. `pending` is the resource state's retry
    list (a plain dict, changed from dlt's pool threads: set and pop are atomic; dlt saves it once the
    extract ends)."""
    rid, call, items = _transcript(run, rid, call)
    if call["processing"]:
        pending[rid] = _jsonable(call)
    else:
        pending.pop(rid, None)
    return [*items, _mark("calls", [_typed_call(call)])]


def recording_row(record: Dict[str, Any]) -> Dict[str, Any]:
    """The recording with tokens stripped from its file URLs (and any other credential)."""
    row = drop_sensitive({k: v for k, v in record.items() if k not in ("call_log_id", "call_history_id")})
    return normalize_times(row, PHONE_TIMES)


def _title(direction: str, name: str, number: str) -> str:
    other = f"{name} ({number})" if name and number else (name or number or "unknown number")
    return f"Outbound call to {other}" if direction == "outbound" else f"Inbound call from {other}"


def kendo_call(run: ZoomRun, rec: Dict[str, Any], window: Tuple[Any, Any]) -> Dict[str, Any]:
    """The `calls` row (the Kendo payload's fields) of one phone recording, before its transcript."""
    direction = str(rec.get("direction") or "")
    outbound = direction == "outbound"
    name = rec.get("callee_name" if outbound else "caller_name") or ""
    number = rec.get("callee_number" if outbound else "caller_number") or ""
    owner = rec.get("owner") or {}
    user = phone_users(run).get(owner.get("id") or "") or run.user(owner.get("id") or "")
    call = next((c for c in call_history(run, window) if c.get("call_id") == rec.get("call_id")), None)
    start = parse_time((call or {}).get("start_time")) or parse_time(rec.get("date_time"))
    seconds = (call or {}).get("duration", rec.get("duration"))
    audio = rec.get("download_url")
    return {
        "meeting_uuid": CALL_KEY_PREFIX + str(rec["id"]),
        "source": PHONE_SOURCE,
        "zoom_call_history_id": _uuid(call) if call else None,
        "zoom_recording_id": str(rec["id"]),
        "meeting_id": None,
        "title": _title(direction, str(name), str(number)),
        "rep_name": user.get("name") or user.get("display_name") or owner.get("name"),
        "rep_email": user.get("email"),
        "host_id": owner.get("id"),
        "call_date": start,
        "duration_minutes": (int(seconds) + 30) // 60 if isinstance(seconds, (int, float)) else None,
        "recording_start": parse_time(rec.get("date_time")),
        "audio_url": drop_sensitive({"u": audio})["u"] if audio else None,
        "audio_file_id": str(rec["id"]),
        "audio_file_type": "MP3",
        "transcript": None,
        "has_transcript": False,
        "has_audio": bool(audio),
        "processing": False,
        "ready": bool(audio),
        "is_webinar": False,
    }


def _transcript(run: ZoomRun, rid: str, call: Dict[str, Any]) -> Tuple[str, Dict[str, Any], List[Any]]:
    """(recording id, its `calls` row with the transcript, the transcript / segment / error items)."""
    call = dict(call, processing=False)
    waiting = dict(call, processing=True, ready=False)
    if run.feature_disabled("phone_transcripts"):
        return rid, waiting, []
    try:
        body = phone_client(run).get("phone_transcript", recording_id=rid)
    except ZoomScopeError as exc:
        # the app lacks the transcript scope (granular apps can): warned once; the calls wait like a 12002,
        # so their transcripts land once the admin adds it
        run.warn_once("phone_transcripts", str(exc))
        return rid, waiting, []
    except (ZoomBadRequest, ZoomNotFound, ZoomFeatureUnavailable) as exc:
        if exc.code == STILL_TRANSCRIBING:
            logger.info("phone recording %s: transcript still being made; asked again next run", rid)
            return rid, waiting, []
        if exc.code not in NO_TRANSCRIPT_CODES and not isinstance(exc, ZoomNotFound):
            raise
        reason = f"code {exc.code}: {exc.zoom_message or exc.message}"
        error = {
            "recording_id": rid,
            "file_type": "TRANSCRIPT",
            "code": exc.code,
            "reason": reason,
            "occurred_at": datetime.now(UTC),
        }
        return rid, call, [_mark("phone_file_errors", [error])]
    cues = timeline_cues(body.get("timeline"))
    if not cues:
        return rid, call, []
    start = (
        parse_time(body.get("recording_start"))
        or parse_time(call.get("recording_start"))
        or datetime.now(UTC)
    )
    segments = transcripts.transcript_rows(cues, rid, start)
    for s in segments:
        s["recording_id"] = s.pop("meeting_uuid")
    summary = transcripts.transcript_summary_row(cues, rid)
    summary["recording_id"] = summary.pop("meeting_uuid")
    text = summary["text"]
    call.update(transcript=text, has_transcript=bool(text), ready=True)
    items = [_mark("phone_transcript_segments", segments), _mark("phone_transcripts", [summary])]
    return rid, call, items


def timeline_cues(timeline: Any) -> List[transcripts.Cue]:
    """Zoom's phone transcript `timeline[]` as cues: speaker from `users[0].username`, offsets from `ts`."""
    cues: List[transcripts.Cue] = []
    for entry in timeline if isinstance(timeline, list) else []:
        if not isinstance(entry, dict):
            continue
        users = entry.get("users") or []
        speaker = (users[0].get("username") or None) if users and isinstance(users[0], dict) else None
        cues.append(
            transcripts.Cue(
                len(cues) + 1,
                _ms(entry.get("ts")),
                _ms(entry.get("end_ts")),
                speaker,
                str(entry.get("text") or ""),
            )
        )
    return cues


def _ms(ts: Any) -> int:
    """`hh:mm:ss.fff` as milliseconds (0 when unreadable)."""
    try:
        h, m, s = str(ts).split(":")
        return int(round((int(h) * 3600 + int(m) * 60 + float(s)) * 1000))
    except (TypeError, ValueError):
        return 0


def _jsonable(call: Dict[str, Any]) -> Dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in call.items()}


def _typed_call(call: Dict[str, Any]) -> Dict[str, Any]:
    """A row restored from state has its times as text again."""
    return {k: parse_time(v) if k in ("call_date", "recording_start") and isinstance(v, str) else v
            for k, v in call.items()}  # fmt: skip
