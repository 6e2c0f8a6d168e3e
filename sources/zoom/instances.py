"""Ended meeting and webinar instances: the feeder of every time-bound table.

Instances are found three ways, because each misses some: past-instance listings of the hosts' meetings
(misses instant meetings), report listings (only meetings with two or more participants, last six
months) and recording listings. Each listing is called once per run; the feeder yields one "bundle"
per instance and listing, and the time-bound resources (past_meetings, recordings, reports, ...) take
the bundles they need.

Each time-bound resource keeps its own cursor (`window_cursor` in its dlt resource state). A run walks
month windows from the oldest selected cursor minus the lag, up to the end of the range; cursors move
only when the extract finishes, so a run that stops resumes from the last finished run's end.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import dlt
from dlt.common.typing import TDataItem

from .rows import parse_time
from .run_context import ZoomRun
from .settings import MAX_WINDOW_DAYS
from .windows import iter_windows

logger = logging.getLogger("sources.zoom")

MEETING_INSTANCE_TABLES = ("past_meetings", "meeting_participants", "meeting_poll_results")
RECORDING_TABLES = ("recordings",)
REPORT_TABLES = ("report_meetings", "report_meeting_participants")
WEBINAR_INSTANCE_TABLES = (
    "past_webinars",
    "webinar_absentees",
    "webinar_participants",
    "report_webinar_participants",
)
TIME_BOUND = MEETING_INSTANCE_TABLES + RECORDING_TABLES + REPORT_TABLES + WEBINAR_INSTANCE_TABLES
# Zoom's reports answer only for the last six months; stay a day inside.
REPORT_HORIZON = timedelta(days=182)
LISTING_THREADS = 8


def _cursor(resource: str) -> Optional[datetime]:
    return parse_time(dlt.current.resource_state(resource).get("window_cursor"))


def plan_ranges(run: ZoomRun, selected: List[str]) -> Dict[str, Tuple[datetime, datetime]]:
    """Each selected time-bound resource's [start, end) for this run: its cursor minus the lag, or start_date."""
    lag = timedelta(seconds=run.lag_seconds)
    starts: Dict[str, datetime] = {}
    for resource in selected:
        cursor = None if run.explicit_range else _cursor(resource)
        starts[resource] = max(cursor - lag, run.range_start) if cursor else run.range_start
    if not starts:
        return {}
    end = run.range_end
    if run.max_windows:
        end = min(end, min(starts.values()) + timedelta(days=MAX_WINDOW_DAYS * run.max_windows))
    return {r: (s, end) for r, s in starts.items()}


def iter_instances(run: ZoomRun) -> Iterator[TDataItem]:
    """Yields one bundle per instance and listing: {kind, uuid, id, host_id, start_time, payload}."""
    selected = [r for r in TIME_BOUND if r in dlt.current.source().selected_resources]
    ranges = plan_ranges(run, selected)
    if not ranges:
        return
    run.ranges.update(ranges)
    start = min(s for s, _ in ranges.values())
    end = max(e for _, e in ranges.values())
    wanted = set(selected)
    tasks: List[Callable[[], List[Dict[str, Any]]]] = []
    hosts = run.host_ids()
    windows = iter_windows(start, end - timedelta(microseconds=1)) if end > start else []
    for host in hosts:
        if wanted & set(MEETING_INSTANCE_TABLES):
            tasks.append(partial(_meeting_instances, run, host, start, end))
        if wanted & set(RECORDING_TABLES + MEETING_INSTANCE_TABLES):
            tasks += [partial(_recordings, run, host, w) for w in windows]
        if wanted & set(REPORT_TABLES + MEETING_INSTANCE_TABLES):
            horizon = (datetime.now(UTC) - REPORT_HORIZON).date()
            tasks += [partial(_reports, run, host, w) for w in windows if w[1] >= horizon]
        if wanted & set(WEBINAR_INSTANCE_TABLES):
            tasks.append(partial(_webinar_instances, run, host, start, end))
    logger.info("instances: %d listings over %d windows for %d hosts", len(tasks), len(windows), len(hosts))
    with cf.ThreadPoolExecutor(max_workers=LISTING_THREADS, thread_name_prefix="zoom-listing") as pool:
        futures = [pool.submit(task) for task in tasks]
        for future in cf.as_completed(futures):
            for bundle in future.result():
                if start <= bundle["start_time"] < end:
                    yield bundle
    if not run.explicit_range:
        for resource, (_, resource_end) in ranges.items():
            dlt.current.resource_state(resource)["window_cursor"] = resource_end.isoformat()


def _bundle(kind: str, record: Dict[str, Any], host_id: str, **extra: Any) -> Optional[Dict[str, Any]]:
    start_time = parse_time(record.get("start_time"))
    if start_time is None or not record.get("uuid"):
        return None
    return {
        "kind": kind,
        "uuid": record["uuid"],
        "id": record.get("id"),
        "host_id": record.get("host_id") or host_id,
        "start_time": start_time,
        "payload": record,
        **extra,
    }


def _meeting_instances(run: ZoomRun, host: str, start: datetime, end: datetime) -> List[Dict[str, Any]]:
    out = []
    for meeting in run.user_meetings(host):
        if meeting.get("type") == 1:  # instant meetings have no past-instance listing
            continue
        for inst in run.list_all("past_meetings", "past_meeting_instances", meeting_id=meeting["id"]):
            record = dict(inst, id=meeting["id"], topic=meeting.get("topic"))
            bundle = _bundle("meeting_instance", record, host)
            if bundle and start <= bundle["start_time"] < end:
                out.append(bundle)
    return out


def _window_params(window: Tuple[Any, Any]) -> Dict[str, str]:
    return {"from": window[0].isoformat(), "to": window[1].isoformat()}


def _recordings(run: ZoomRun, host: str, window: Tuple[Any, Any]) -> List[Dict[str, Any]]:
    out = []
    for page in run.pages_or_skip("recordings", "recordings", user_id=host, params=_window_params(window)):
        echoed = getattr(page, "envelope", {}).get("from")
        if echoed and echoed > window[0].isoformat():
            # Zoom clamps wide windows silently; ours are a month at most, so this means lost data.
            logger.warning("Zoom clamped recordings window %s..%s to start %s", *window, echoed)
        out += [b for r in page if (b := _bundle("recording", r, host))]
    return out


def _reports(run: ZoomRun, host: str, window: Tuple[Any, Any]) -> List[Dict[str, Any]]:
    params = dict(_window_params(window), type="past")
    rows = run.list_all("report_meetings", "report_meetings", user_id=host, params=params)
    return [b for r in rows if (b := _bundle("report", r, host))]


def _webinar_instances(run: ZoomRun, host: str, start: datetime, end: datetime) -> List[Dict[str, Any]]:
    out = []
    for webinar in run.user_webinars(host):
        for inst in run.list_all("past_webinars", "past_webinars", webinar_id=webinar["id"]):
            record = dict(inst, id=webinar["id"], topic=webinar.get("topic"))
            bundle = _bundle("webinar_instance", record, host)
            if bundle and start <= bundle["start_time"] < end:
                out.append(bundle)
    return out


def in_range(run: ZoomRun, resource: str, bundle: Dict[str, Any]) -> bool:
    """Whether `bundle` falls in `resource`'s own range for this run (cursors differ per resource)."""
    rng = run.ranges.get(resource)
    return rng is not None and rng[0] <= bundle["start_time"] < rng[1]
