"""Ended meeting and webinar instances: the feeder of every time-bound table, a stream of instance
references (`InstanceRef`: uuid, id, host, start, kind, where found).

Instances are found three ways, because each misses some: past-instance listings of the hosts' meetings
(misses instant meetings), report listings (only meetings with two or more participants, last six
months) and recording listings. Each listing is called once per run; the feeder yields one reference
per instance and listing, and the time-bound resources (past_meetings, recordings, reports, ...) are
stateless transformers that take the kinds they need (registry.py). Another discoverer can feed the
same stream: `--instances UUID,...` (an explicit list, read by UUID; no window, no cursor moves).

Each time-bound resource keeps its own cursor (`window_cursor` in its dlt resource state). A run walks
month windows from the oldest selected cursor minus the lag, up to the end of the range; cursors move
only when the extract finishes, so a run that stops resumes from the last finished run's end.

The cursor is dlt resource state, not `dlt.sources.incremental`: an incremental follows the rows a
resource yields, but here one feeder's listings serve every time-bound table, a table's cursor must reach
the end of its range even when a month held no rows, and windows are planned from all selected cursors
before any row exists. Rows are deduplicated by merge keys (and `run.claim` within a run), not by
incremental's seen-hashes.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from collections import deque
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple, TypedDict

import dlt
from dlt.common.typing import TDataItem

from .dates import parse_time
from .errors import ZoomNotFound
from .refresh import INSTANCE_READERS, MEETINGS, WEBINARS
from .registry import (
    MEETING_INSTANCE,
    RECORDING,
    REPORT,
    WEBINAR_INSTANCE,
    reported,
    table,
    time_bound,
    wanting,
)
from .rejects import rejected_row
from .run_context import ZoomRun
from .settings import ENDPOINTS, REJECTED_ROWS_TABLE, Category
from .windows import after_windows, iter_windows, report_horizon

logger = logging.getLogger("sources.zoom")

# Listings wait in the rate limiter behind the children already queued (seconds of backlog at full pace),
# so few threads make discovery trail: with 8, a 25-user Pro account found its webinar instances at 44 s
# and their Heavy children ran 1.5 s past the last Medium request; with 32 they didn't (bench_source.py:
# wall ÷ bound 1.14 → 1.12 at 25 users, 1.34 → 1.28 at 6). Threads start only as listings need them.
LISTING_THREADS = 32


def _cursor(resource: str) -> Optional[datetime]:
    return parse_time(dlt.current.resource_state(resource).get("window_cursor"))


def plan_ranges(run: ZoomRun, selected: List[str]) -> Dict[str, Tuple[datetime, datetime]]:
    """Each selected time-bound resource's [start, end) for this run: its cursor minus the lag, or start_date."""
    lag = timedelta(seconds=run.lag_seconds)
    starts: Dict[str, datetime] = {}
    # a refresh re-lists every meeting's (webinar's) past instances: back to the previous refresh
    widened = {
        MEETING_INSTANCE: run.plan.widened_start(MEETINGS),
        WEBINAR_INSTANCE: run.plan.widened_start(WEBINARS),
    }
    for resource in selected:
        cursor = None if run.explicit_range else _cursor(resource)
        start = cursor - lag if cursor else None
        for kind, since in widened.items():
            if start and since and kind in table(resource).kinds:
                start = min(start, since)
        starts[resource] = max(start, run.range_start) if start else run.range_start
    if not starts:
        return {}
    end = run.range_end
    if run.max_windows:
        stop = after_windows(min(starts.values()), run.max_windows)
        end = min(end, datetime(stop.year, stop.month, stop.day, tzinfo=UTC))
    return {r: (s, end) for r, s in starts.items()}


class InstanceRef(TypedDict):
    """One ended instance, as a listing found it (a REJECTED record has `table`, `reason`, `payload`)."""

    kind: str  # registry.MEETING_INSTANCE, RECORDING, REPORT or WEBINAR_INSTANCE
    uuid: str
    id: Any  # the meeting or webinar id
    host_id: str
    start_time: datetime
    payload: Dict[str, Any]  # the listing's record (a recording's includes its files)
    found_in: str  # the endpoint that found it, or EXPLICIT


EXPLICIT = "explicit"  # found in the run's `--instances` list


def iter_instances(run: ZoomRun) -> Iterator[TDataItem]:
    """Yields one instance reference per instance and listing (see `InstanceRef`)."""
    selected = [r for r in time_bound() if r in dlt.current.source().selected_resources]
    # tables an earlier step of this load found unreadable (a missing scope) hold no window back
    selected = [r for r in selected if not unreadable(r, run.feature_disabled)]
    run.plan.bind()
    if run.instance_uuids:
        yield from _explicit_instances(run, selected)
        return
    ranges = plan_ranges(run, selected)
    if not ranges:
        return
    run.ranges.update(ranges)
    start = min(s for s, _ in ranges.values())
    end = max(e for _, e in ranges.values())
    wanted = set(selected)
    hosts = run.host_ids()
    windows = iter_windows(start, end - timedelta(microseconds=1)) if end > start else []
    # Listings are queued per rate-limit category, each with its own threads, so a backlog in one category
    # never holds up another: the Heavy report listings (which feed the Heavy report participants) start
    # at once instead of waiting behind Medium listings that queue in a busy Medium lane.
    lanes: Dict[Category, List[Listing]] = {c: [] for c in Category}
    horizon = report_horizon(datetime.now(UTC).date())
    if any(ranges[r][0].date() < horizon for r in reported() if r in ranges):
        _log_report_horizon(run, horizon)
    # Windowed listings first: recordings start downloads and parsing, which take time but no rate-limit
    # budget, so they overlap the per-meeting instance listings instead of trailing them. Webinars before
    # meetings: their instances feed Heavy children that keep the Heavy lane busy meanwhile.
    for w in windows:
        for host in hosts:
            if wanted & set(wanting(REPORT)) and w[1] >= horizon:
                report_window = (max(w[0], horizon), w[1])
                lanes[_category("report_meetings")].append(partial(_reports, run, host, report_window))
            if wanted & set(wanting(RECORDING)):
                lanes[_category("recordings")].append(partial(_recordings, run, host, w))
    for host in hosts:
        if wanted & set(wanting(WEBINAR_INSTANCE)):
            lanes[_category("webinars")].append(partial(_webinar_instances, run, host, start, end))
    for host in hosts:
        if wanted & set(wanting(MEETING_INSTANCE)):
            lanes[_category("meetings")].append(partial(_meeting_instances, run, host, start, end))
    count = sum(len(q) for q in lanes.values())
    logger.info("instances: %d listings over %d windows for %d hosts", count, len(windows), len(hosts))
    for bundle in _run_listings(lanes):
        if bundle["kind"] == REJECTED or start <= bundle["start_time"] < end:
            yield bundle
    if not run.explicit_range:
        for resource, (_, resource_end) in ranges.items():
            if unreadable(resource, run.feature_disabled):
                continue  # once the admin grants the scope, the next run reads the history, not the lag
            dlt.current.resource_state(resource)["window_cursor"] = resource_end.isoformat()


# the listing that finds each kind of instance, where a missing scope skips it for the whole account
_KIND_LISTINGS = {RECORDING: "recordings", REPORT: "report_meetings"}


def unreadable(resource: str, skipped: Callable[[str], bool]) -> bool:
    """Whether every listing that feeds `resource` was skipped for the account (`skipped`: a missing
    scope, `ZoomRun.feature_disabled` or `RunStats.is_missing`): it read nothing, so its cursor stays."""
    kinds = table(resource).kinds
    return bool(kinds) and all(k in _KIND_LISTINGS and skipped(_KIND_LISTINGS[k]) for k in kinds)


def _explicit_instances(run: ZoomRun, selected: List[str]) -> Iterator[Dict[str, Any]]:
    """References for the run's `--instances` UUIDs: each read by UUID as a past meeting (and its
    recording, when `recordings` is selected; its report-listing row, when a report table is), whatever
    its date; no cursor moves."""
    if not selected:
        return
    everything = (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC))
    run.ranges.update({r: everything for r in selected})
    wanted = set(selected)
    lanes: Dict[Category, List[Listing]] = {c: [] for c in Category}
    kinds = [k for k in (MEETING_INSTANCE, REPORT) if wanted & set(wanting(k))]
    for uuid in dict.fromkeys(run.instance_uuids):
        if kinds:
            lanes[_category("past_meetings")].append(partial(_explicit_meeting, run, uuid, kinds))
        if wanted & set(wanting(RECORDING)):
            lanes[_category("meeting_recordings")].append(partial(_explicit_recording, run, uuid))
    logger.info("instances: %d given with --instances", len(set(run.instance_uuids)))
    yield from _run_listings(lanes)


def _explicit_meeting(run: ZoomRun, uuid: str, kinds: List[str]) -> ListingResult:
    """The past meeting's reference (MEETING_INSTANCE) and/or its report reference (REPORT), from one
    detail read."""
    detail = run.get_or_skip("past_meetings", meeting_uuid=uuid)
    if detail is None:
        return [], []
    record = dict(detail, uuid=detail.get("uuid") or uuid)
    refs: List[Dict[str, Any]] = []
    if MEETING_INSTANCE in kinds and (ref := _bundle(MEETING_INSTANCE, record, "", EXPLICIT)):
        refs.append(ref)
    if REPORT in kinds:
        refs += _explicit_report(run, record)
    return refs, []


def _explicit_report(run: ZoomRun, detail: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The instance's row of its host's report listing around the day it started: the same record the
    windowed listing finds, so the report tables build the same rows from it. None when Zoom has no
    report for it (fewer than two participants, older than six months, no report yet, no Reports)."""
    start, host = parse_time(detail.get("start_time")), detail.get("host_id")
    if start is None or not isinstance(host, str) or not host:
        return []
    day, horizon = start.astimezone(UTC).date(), report_horizon(datetime.now(UTC).date())
    if day < horizon:
        return []
    # a day either side: Zoom may read the dates in the account's time zone; the UUID picks the row
    found, _ = _reports(run, host, (max(day - timedelta(days=1), horizon), day + timedelta(days=1)))
    return [b for b in found if b["kind"] == REPORT and b["uuid"] == detail["uuid"]]


def _explicit_recording(run: ZoomRun, uuid: str) -> ListingResult:
    try:
        body = run.client.get("meeting_recordings", meeting_uuid=uuid)
    except ZoomNotFound:  # no recording (3301) or no such meeting: nothing to read
        return [], []
    if run.download_tokens.get(uuid) and not body.get("download_access_token"):
        body = dict(body, download_access_token=run.download_tokens[uuid])  # files are read with it
    ref = _bundle(RECORDING, dict(body, uuid=body.get("uuid") or uuid), "", EXPLICIT)
    return [ref] if ref else [], []


def _log_report_horizon(run: ZoomRun, horizon: Any) -> None:
    """Says once per load (every step shares `run.stats`) that reports start later than the other tables."""
    if run.stats is None or run.stats.first_time("report horizon"):
        logger.info(
            "reports: Zoom keeps six months of them; report tables load from %s (the other tables from "
            "the start date)",
            horizon.isoformat(),
        )


# A listing returns its bundles and its follow-up listings (a host's meetings -> one listing per meeting).
ListingResult = Tuple[List[Dict[str, Any]], List[Tuple[Category, Callable[[], Any]]]]
Listing = Callable[[], ListingResult]


def _category(endpoint: str) -> Category:
    return ENDPOINTS[endpoint].category


def _run_listings(lanes: Dict[Category, List[Listing]]) -> Iterator[Dict[str, Any]]:
    """Runs the listings, up to LISTING_THREADS at a time per category, and yields their bundles as each
    listing finishes.

    Follow-up listings go to the front of their category's queue (depth first), so a host's per-meeting
    listings finish early instead of queueing behind every other host's. Threads are refilled before
    bundles are yielded, so they keep calling Zoom while dlt consumes the bundles.
    """
    pending = {c: deque(q) for c, q in lanes.items()}
    running: Dict[cf.Future, Category] = {}
    in_flight = {c: 0 for c in lanes}

    def fill() -> None:
        for c, queue in pending.items():
            while queue and in_flight[c] < LISTING_THREADS:
                running[pool.submit(queue.popleft())] = c
                in_flight[c] += 1

    with cf.ThreadPoolExecutor(
        max_workers=LISTING_THREADS * len(lanes), thread_name_prefix="zoom-listing"
    ) as pool:
        try:
            fill()
            while running:
                done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
                ready: List[Dict[str, Any]] = []
                for future in done:
                    in_flight[running.pop(future)] -= 1
                    bundles, follow_ups = future.result()
                    for c, task in reversed(follow_ups):
                        pending[c].appendleft(task)
                    ready += bundles
                fill()
                yield from ready
        finally:
            for queue in pending.values():
                queue.clear()
            for future in running:
                future.cancel()


# A listing record whose UUID or start time can't be read: the table it feeds sets it aside in
# `rejected_rows` (see rejected_bundle_items) instead of it vanishing.
REJECTED = "rejected"
# the table each kind of listing record becomes
_LISTING_TABLES = {
    "recording": "recordings",
    "report": "report_meetings",
    "meeting_instance": "past_meetings",
    "webinar_instance": "past_webinars",
}


def _bundle(kind: str, record: Dict[str, Any], host_id: str, found_in: str) -> Optional[Dict[str, Any]]:
    start_time = parse_time(record.get("start_time")) if isinstance(record.get("start_time"), str) else None
    uuid = record.get("uuid")
    if start_time is None or not isinstance(uuid, str) or not uuid:
        reason = "uuid: missing or not text" if not isinstance(uuid, str) or not uuid else "start_time"
        if reason == "start_time":
            reason = f"start_time: not a timestamp: {record.get('start_time')!r}"[:120]
        return {"kind": REJECTED, "table": _LISTING_TABLES[kind], "reason": reason, "payload": record}
    ref = InstanceRef(
        kind=kind,
        uuid=uuid,
        id=record.get("id"),
        host_id=record.get("host_id") or host_id,
        start_time=start_time,
        payload=record,
        found_in=found_in,
    )
    return dict(ref)


def _meeting_instances(run: ZoomRun, host: str, start: datetime, end: datetime) -> ListingResult:
    """A host's meetings (listed once per run), then one follow-up listing of past instances per meeting."""
    lane = _category("past_meeting_instances")
    follow_ups: List[Tuple[Category, Callable[[], Any]]] = [
        (
            lane,
            partial(
                _past_instances, run, host, "meeting_instance", "past_meeting_instances", meeting, start, end
            ),
        )
        # instant meetings have no past-instance listing
        for meeting in _to_list(
            run, MEETINGS, [m for m in run.user_meetings(host) if m.get("type") != 1], end
        )
    ]
    return [], follow_ups


def _to_list(run: ZoomRun, family: str, parents: List[Dict[str, Any]], end: datetime) -> List[Dict[str, Any]]:
    """The parents whose past instances to list: all when `family` refreshes (or a backfill needs them),
    else only new or changed ones (refresh.py); a new instance of a known meeting is found by the report
    and recording listings, or at the next refresh."""
    reader = INSTANCE_READERS[family]
    if run.plan.lists_all(family, end):
        for parent in parents:
            run.plan.changed(reader, parent)  # keep the fingerprints current
        return parents
    chosen = [p for p in parents if run.plan.changed(reader, p)]
    for _ in range(len(parents) - len(chosen)):
        run.plan.skip_listing("past_meeting_instances" if family == MEETINGS else "past_webinars")
    return chosen


# the instances listing of each kind of parent: (resource it counts under, id path parameter)
_INSTANCE_LISTINGS = {
    "past_meeting_instances": ("past_meetings", "meeting_id"),
    "past_webinars": ("past_webinars", "webinar_id"),
}


def _past_instances(
    run: ZoomRun,
    host: str,
    kind: str,
    endpoint: str,
    parent: Dict[str, Any],
    start: datetime,
    end: datetime,
) -> ListingResult:
    """Ended instances of one meeting or webinar that start in [start, end), as bundles."""
    resource, id_param = _INSTANCE_LISTINGS[endpoint]
    out = []
    for inst in run.list_all(resource, endpoint, **{id_param: parent["id"]}):
        record = dict(inst, id=parent["id"], topic=parent.get("topic"))
        bundle = _bundle(kind, record, host, endpoint)
        if bundle and (bundle["kind"] == REJECTED or start <= bundle["start_time"] < end):
            out.append(bundle)
    return out, []


def _window_params(window: Tuple[Any, Any]) -> Dict[str, str]:
    return {"from": window[0].isoformat(), "to": window[1].isoformat()}


def _recordings(run: ZoomRun, host: str, window: Tuple[Any, Any]) -> ListingResult:
    out = []
    for page in run.pages_or_skip("recordings", user_id=host, params=_window_params(window)):
        echoed = getattr(page, "envelope", {}).get("from")
        if echoed and echoed > window[0].isoformat():
            # Zoom narrows windows over a calendar month silently; ours never are, so this means lost data.
            logger.warning("Zoom clamped recordings window %s..%s to start %s", *window, echoed)
        out += [b for r in page if (b := _bundle(RECORDING, r, host, "recordings"))]
    return out, []


def _reports(run: ZoomRun, host: str, window: Tuple[Any, Any]) -> ListingResult:
    params = dict(_window_params(window), type="past")
    rows = run.list_all("report_meetings", user_id=host, params=params)
    return [b for r in rows if (b := _bundle(REPORT, r, host, "report_meetings"))], []


def _webinar_instances(run: ZoomRun, host: str, start: datetime, end: datetime) -> ListingResult:
    """A host's webinars (listed once per run), then one follow-up listing of instances per webinar."""
    lane = _category("past_webinars")
    follow_ups: List[Tuple[Category, Callable[[], Any]]] = [
        (lane, partial(_past_instances, run, host, "webinar_instance", "past_webinars", webinar, start, end))
        for webinar in _to_list(run, WEBINARS, run.user_webinars(host), end)
    ]
    return [], follow_ups


def rejected_bundle_items(run: ZoomRun, resource: str, bundle: Dict[str, Any]) -> List[Any]:
    """For a listing record that couldn't be placed (REJECTED), the `rejected_rows` item of the table it
    feeds; nothing for other resources."""
    if bundle["table"] != resource:
        return []
    row = rejected_row(resource, bundle["reason"], bundle["payload"], ("uuid",))
    run.reject(resource, 1, bundle["reason"])
    return [dlt.mark.with_table_name([row], REJECTED_ROWS_TABLE)]


def takes(run: ZoomRun, resource: str, bundle: Dict[str, Any]) -> bool:
    """Whether `resource` handles `bundle`: one of the kinds it takes (registry.py), in the resource's own
    range for this run (cursors differ per resource), and the first bundle of this instance it sees
    (listings overlap)."""
    rng = run.ranges.get(resource)
    return (
        bundle["kind"] in table(resource).kinds
        and rng is not None
        and rng[0] <= bundle["start_time"] < rng[1]
        and run.claim(resource, bundle["uuid"])
    )
