"""What one run re-reads, and what runs remember, so an hourly run asks Zoom only about what is new.

Entity tables (meetings, webinars, channels, each with its children) are re-read in full once every
`sources.zoom.entity_refresh_hours` (default 24), or when the run is told to (`--refresh-entities`). A run
in between:
- lists each host's meetings and webinars (cheap listings) and reads the detail and children, and the past
  instances, only of those that are new or whose listing record changed (a fingerprint per id);
- reads no channels (members come with them);
- does not ask again about a parent known to be gone (404) or without the feature (a user without a
  webinar licence) until the next refresh;
- and, like every run, never asks again for a child known to be empty for an ended instance (no poll
  results, no Q&A, 404) older than the lag plus a day: a settled instance's polls and Q&A don't change.
A refresh run widens the instance tables' range back to the previous refresh (minus the lag), so an
instance only a per-meeting listing finds (one person, no recording: no report, no recording lists it) is
read then.

It all lives in the source's dlt state (`dlt.current.source_state()["run_plan"]`), so it is committed with
the load's data, like the window cursors. It is not a `dlt.sources.incremental`: nothing here follows a
cursor over the rows a resource yields; it is a set of ids and fingerprints read before any row exists,
and written by many resources (and their worker threads). The dict is taken once per run on the main
thread (`begin`, inside a resource) and mutated under a lock: dlt serializes it when extraction ends.

A stateless run (an explicit date range, `--instances`) refreshes everything and keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Dict, Mapping, Optional

import dlt

from .dates import parse_time
from .registry import BY_NAME, INSTANCES, TABLES, Refresh
from .settings import ENDPOINTS

STATE_KEY = "run_plan"


def _root(name: str) -> str:
    entry = BY_NAME.get(name)
    while entry is not None and entry.parent is not None:
        entry = BY_NAME[entry.parent]
    return entry.name if entry is not None else name


# Families refreshed on the cadence: top-level resources whose children are entities (merged, not
# time-bound): meeting_refs, webinar_refs, channels.
ENTITY_FAMILIES = tuple(
    t.name
    for t in TABLES
    if t.parent is None
    and t.name != INSTANCES
    and t.refresh is Refresh.MERGE
    and any(c.parent == t.name and c.refresh is Refresh.MERGE for c in TABLES)
)
# The family whose refresh re-lists every meeting's or webinar's past instances.
MEETINGS, WEBINARS, CHANNELS = "meeting_refs", "webinar_refs", "channels"
_UUID_PARAMS = ("meeting_uuid", "webinar_uuid")
# who reads each family's listing records (`RunPlan.changed`): the family's own resource, the instances feeder
READERS = {MEETINGS: "meetings", WEBINARS: "webinars"}
INSTANCE_READERS = {MEETINGS: "meeting_instances", WEBINARS: "webinar_instances"}


def family_of(resource: str) -> str:
    """The top-level resource a table hangs from (its family): `meeting_polls` → `meeting_refs`."""
    return _root(resource)


def fingerprint(record: Mapping[str, Any]) -> str:
    """A short hash of a listing record: a change in Zoom changes it."""
    text = json.dumps(record, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()


class RunPlan:
    """One run's decisions (which families refresh) and the memory kept across runs (module docstring)."""

    def __init__(
        self,
        now: datetime,
        refresh_hours: float,
        lag_seconds: float,
        force: bool,
        stateless: bool,
        state: Optional[Dict[str, Any]] = None,
    ) -> None:
        """`state`: a dict to keep the memory in instead of the source's dlt state (taken in `bind`)."""
        self.now = now
        self.refresh_hours = refresh_hours
        self.lag_seconds = lag_seconds
        self._settled_after = timedelta(seconds=lag_seconds, days=1)
        self.force = force
        self.stateless = stateless
        self._lock = threading.Lock()
        self._state: Optional[Dict[str, Any]] = None
        self._given = state
        self._cost_before: Dict[str, Dict[str, int]] = {}
        self.previous: Dict[str, Optional[datetime]] = {}
        self._begun: set[str] = set()
        # families of which this run loads only some tables (`--resources meetings`): read in full, remembered
        # not at all, so the next run still reads the tables left out (registrants, polls, members)
        self._partial: set[str] = set()
        self._changed: Dict[tuple[str, Any], bool] = {}
        self._lists_all: Dict[str, bool] = {}
        self.spent: Counter[tuple[str, str]] = Counter()
        self.avoided: Counter[str] = Counter()

    # -- state ------------------------------------------------------------------------------------------
    def bind(self) -> None:
        """Takes the state; each top-level resource calls it first, on the main thread (dlt's state is not
        reachable from worker threads), before any worker needs it."""
        self._bind()

    def _bind(self) -> Dict[str, Any]:
        """The state dict; taken on the first call, which must be on the main thread inside a resource."""
        with self._lock:
            if self._state is None:
                if self.stateless:
                    self._state = {}
                elif self._given is not None:
                    self._state = self._given
                else:
                    self._state = dlt.current.source_state().setdefault(STATE_KEY, {})
                for key in ("refreshed", "gone", "empty", "seen", "cost", "listed_to"):
                    self._state.setdefault(key, {})
                self._cost_before = {f: dict(c) for f, c in self._state["cost"].items()}
                self.previous = {f: parse_time(t) for f, t in self._state["refreshed"].items()}
                self._prune_empty()
            return self._state

    def _prune_empty(self) -> None:
        # an instance leaves every range after lag + two refresh periods (refresh runs widen the range)
        keep = timedelta(seconds=self.lag_seconds, hours=2 * self.refresh_hours) + timedelta(days=1)
        empty = self._state["empty"] if self._state is not None else {}
        for uuid in [u for u, v in empty.items() if (parse_time(v.get("at")) or self.now) < self.now - keep]:
            del empty[uuid]

    def refreshes(self, family: str) -> bool:
        """Whether this run re-reads `family` in full: forced, never read, stateless, or due."""
        self._bind()
        return self._refreshed_now(family)

    def begin(self, family: str) -> bool:
        """Called by the family's top-level resource on the main thread: binds the state, and when the
        family refreshes, stamps the time, forgets its gone parents and restarts its request count."""
        state = self._bind()
        partial = not _all_selected(family)
        with self._lock:
            if partial:
                self._partial.add(family)
        refresh = self.refreshes(family)
        with self._lock:
            if family in self._begun:
                return refresh
            self._begun.add(family)
            if partial:
                return True
            if refresh:
                state["refreshed"][family] = self.now.isoformat()
                state["gone"].pop(family, None)
                state["cost"][family] = {}
                # fingerprints start afresh, so ids Zoom no longer lists don't stay in the state
                state["seen"].pop(READERS.get(family, family), None)
                if family == MEETINGS:  # instance listings of gone meetings are asked again too
                    state["gone"].pop(INSTANCES, None)
        return refresh

    def widened_start(self, family: str) -> Optional[datetime]:
        """For a refresh of `family`, where the previous refresh's range began (None: no widening)."""
        self._bind()
        last = self.previous.get(family)
        if last is None or self.stateless or not self.refreshes(family):
            return None
        return last - timedelta(seconds=self.lag_seconds)

    def lists_all(self, family: str, end: datetime) -> bool:
        """Whether to list every meeting's (webinar's) past instances for a range ending at `end`: when the
        family refreshes, or when the last full listing stopped more than a refresh period before `end`
        (a backfill's later steps). Records the listing when it does."""
        state = self._bind()
        with self._lock:
            if family in self._lists_all:  # decided once per run
                return self._lists_all[family]
            listed_to = parse_time(state["listed_to"].get(family))
            full = (
                self._refreshed_now(family)
                or listed_to is None
                or listed_to < end - timedelta(hours=self.refresh_hours)
            )
            if full and (listed_to is None or listed_to < end):
                state["listed_to"][family] = end.isoformat()
            if full and self._refreshed_now(family):
                state["seen"].pop(INSTANCE_READERS.get(family, family), None)
            self._lists_all[family] = full
            return full

    # -- new or changed parents -------------------------------------------------------------------------
    def changed(self, reader: str, record: Mapping[str, Any]) -> bool:
        """Whether a listing record is new or changed since `reader` last saw it (the first answer of a run
        is kept). Each reader (the meetings resource, the instances feeder) keeps its own fingerprints, so
        a run that loads only one of them leaves the other's changes for its next run."""
        ident = record.get("id")
        with self._lock:
            if _FAMILY_OF_READER.get(reader) in self._partial:
                return True  # a subset run: the next full run must still see it as changed
            if (reader, ident) in self._changed:
                return self._changed[(reader, ident)]
        state = self._bind()
        digest = fingerprint(record)
        with self._lock:
            seen = state["seen"].setdefault(reader, {})
            result = seen.get(str(ident)) != digest
            seen[str(ident)] = digest
            return self._changed.setdefault((reader, ident), result)

    # -- gone parents and empty children ----------------------------------------------------------------
    def known(self, resource: str, endpoint: str, path: Mapping[str, Any]) -> bool:
        """Whether Zoom already said `resource` at `path` is gone or empty; counts the request avoided."""
        state = self._bind()
        key = _key(resource, path)
        uuid = _uuid(path)
        with self._lock:
            if uuid is not None:
                hit = resource in (state["empty"].get(uuid) or {}).get("tables", [])
            else:
                # a refreshing family asks its gone parents again, even before its own resource began (the
                # instances feeder lists hosts' meetings and webinars too); instance listings go with meetings
                family = family_of(resource)
                refreshing = self._refreshed_now(MEETINGS if family == INSTANCES else family)
                hit = not refreshing and key in state["gone"].get(family, {})
            if hit:
                self.avoided[ENDPOINTS[endpoint].category.value] += 1
        return hit

    def remember(self, resource: str, path: Mapping[str, Any], started_at: Optional[datetime] = None) -> None:
        """Zoom said `resource` at `path` is gone (404) or lacks the feature, or an ended instance's child
        is empty: don't ask again (an instance's child whose answer is final, `final_when_ended` in
        registry.py: ever, once the instance `started_at` is older than the lag plus a day; a parent: until
        its family refreshes)."""
        state = self._bind()
        uuid = _uuid(path)
        entry_of = BY_NAME.get(resource)
        if uuid is not None and not (entry_of and entry_of.final_when_ended):
            return  # e.g. participants: Zoom may have them later (the lag's reason)
        if uuid is not None and started_at is not None and started_at > self.now - self._settled_after:
            return  # a recent instance (a long meeting may still run, Zoom's data may lag): ask again
        with self._lock:
            if uuid is not None:
                entry = state["empty"].setdefault(uuid, {"at": self.now.isoformat(), "tables": []})
                if resource not in entry["tables"]:
                    entry["tables"].append(resource)
            elif family_of(resource) in ENTITY_FAMILIES + (INSTANCES,):  # families whose refresh forgets them
                state["gone"].setdefault(family_of(resource), {})[_key(resource, path)] = 1

    def skip_listing(self, endpoint: str) -> None:
        """Counts a listing not sent (a known meeting's past instances between refreshes)."""
        with self._lock:
            self.avoided[ENDPOINTS[endpoint].category.value] += 1

    # -- request counts ---------------------------------------------------------------------------------
    def spend(self, resource: str, endpoint: str, n: int = 1) -> None:
        """Counts requests sent for `resource`; a refreshing family keeps its cost for later runs."""
        family, category = family_of(resource), ENDPOINTS[endpoint].category.value
        with self._lock:
            self.spent[(family, category)] += n
            state = self._state
            if (
                state is not None
                and family in ENTITY_FAMILIES
                and family in self._begun
                and family not in self._partial
            ):
                cost = state["cost"].get(family)
                if cost is not None and self._refreshed_now(family):
                    cost[category] = cost.get(category, 0) + n

    def avoided_by_category(self) -> Dict[str, int]:
        """Requests not sent: the known-gone, known-empty and skipped listings, plus, for each entity family
        this run did not refresh, what its last refresh cost minus what this run spent on it."""
        with self._lock:
            out = Counter(self.avoided)
            for family in self._begun:
                if family not in ENTITY_FAMILIES or self._refreshed_now(family):
                    continue
                for category, n in self._cost_before.get(family, {}).items():
                    out[category] += max(0, n - self.spent[(family, category)])
        return {c: n for c, n in out.items() if n}

    def _refreshed_now(self, family: str) -> bool:
        last = self.previous.get(family)
        return (
            self.stateless
            or self.force
            or family in self._partial
            or last is None
            or self.now - last >= timedelta(hours=self.refresh_hours)
        )

    def refreshed_families(self) -> Dict[str, bool]:
        """Entity families this run began: whether each was refreshed."""
        with self._lock:
            return {f: self._refreshed_now(f) for f in sorted(self._begun) if f in ENTITY_FAMILIES}


_FAMILY_OF_READER = {reader: family for family, reader in READERS.items()}


def _all_selected(family: str) -> bool:
    """Whether this run loads every table of `family` (True outside a dlt source: nothing to tell)."""
    try:
        selected = set(dlt.current.source().selected_resources)
    except Exception:  # no source in context (the plan's unit tests)
        return True
    tables = [
        t.name for t in TABLES if not t.hidden and t.refresh is Refresh.MERGE and _root(t.name) == family
    ]
    return all(t in selected for t in tables)


def _uuid(path: Mapping[str, Any]) -> Optional[str]:
    for name in _UUID_PARAMS:
        if path.get(name):
            return str(path[name])
    return None


def _key(resource: str, path: Mapping[str, Any]) -> str:
    return resource + "|" + "&".join(f"{k}={path[k]}" for k in sorted(path))
