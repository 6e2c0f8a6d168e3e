"""What the resources of one run share: the client, skip counters, once-per-run listings and warnings."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from .client import ZoomClient
from .errors import ZoomFeatureUnavailable, ZoomNotFound
from .settings import ENDPOINTS

logger = logging.getLogger("sources.zoom")


class RunStats:
    """Skips and missing features collected across runs (e.g. every step of one load); thread-safe.

    Pass one to `zoom_source(run_stats=...)`: the run's `ZoomRun` adds to it as it goes.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skipped: Counter[str] = Counter()
        self._features_missing: Dict[str, str] = {}

    def add_skip(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._skipped[key] += n

    def add_feature_missing(self, resource: str, message: str) -> None:
        with self._lock:
            self._features_missing.setdefault(resource, message)

    @property
    def skipped(self) -> Dict[str, int]:
        """Skipped children per `"<resource>: <reason>"`."""
        with self._lock:
            return dict(self._skipped)

    @property
    def features_missing(self) -> Dict[str, str]:
        """Resources skipped because the account or app lacks the feature, with Zoom's message."""
        with self._lock:
            return dict(self._features_missing)


class ZoomRun:
    """State shared by every resource of one source instance (one pipeline run)."""

    def __init__(
        self,
        client: ZoomClient,
        range_start: datetime,
        range_end: datetime,
        lag_seconds: float,
        explicit_range: bool,
        max_windows: Optional[int] = None,
        stats: Optional[RunStats] = None,
    ) -> None:
        self.client = client
        self.range_start = range_start
        self.range_end = range_end
        self.lag_seconds = lag_seconds
        # With an explicit --start-date/--end-date the run is a stateless backfill: cursors are not moved.
        self.explicit_range = explicit_range
        self.max_windows = max_windows
        self.skipped: Counter[str] = Counter()
        self.stats = stats  # shared with the caller, who reports skips after the run
        self._warned: Set[str] = set()
        self._lock = threading.Lock()
        self._memo: Dict[Tuple[str, ...], Any] = {}
        self._memo_locks: Dict[Tuple[str, ...], threading.Lock] = {}
        self._claimed: Dict[str, Set[Any]] = {}
        # each time-bound resource's [start, end) for this run, set by the instances feeder
        self.ranges: Dict[str, Tuple[datetime, datetime]] = {}

    # -- skips and warnings ---------------------------------------------------------------------------
    def skip(self, resource: str, reason: str) -> None:
        """Counts a child that Zoom no longer has (deleted or expired parent)."""
        key = f"{resource}: {reason}"
        with self._lock:
            self.skipped[key] += 1
        if self.stats is not None:
            self.stats.add_skip(key)

    def warn_once(self, resource: str, message: str) -> None:
        with self._lock:
            if resource in self._warned:
                return
            self._warned.add(resource)
        if self.stats is not None:
            self.stats.add_feature_missing(resource, message)
        logger.warning("%s skipped: %s", resource, message)

    def feature_disabled(self, resource: str) -> bool:
        with self._lock:
            return resource in self._warned

    # -- once per run -----------------------------------------------------------------------------------
    def once(self, key: Tuple[str, ...], fetch: Callable[[], Any]) -> Any:
        """Returns `fetch()` for `key`, computed once per run even when several threads ask at once."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]
            key_lock = self._memo_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]
            value = fetch()
            with self._lock:
                self._memo[key] = value
            return value

    def claim(self, space: str, key: Any) -> bool:
        """True the first time `key` is claimed in `space` during this run (dedupe across threads)."""
        with self._lock:
            seen = self._claimed.setdefault(space, set())
            if key in seen:
                return False
            seen.add(key)
            return True

    # -- Zoom calls with the skip rules --------------------------------------------------------------
    def get_or_skip(self, resource: str, endpoint: str, **kwargs: Any) -> Optional[Dict[str, Any]]:
        """GETs one object; a missing parent is skipped and counted, a missing feature warned once."""
        if self.feature_disabled(resource):
            return None
        try:
            return self.client.get(endpoint, **kwargs)
        except ZoomNotFound as exc:
            self.skip(resource, f"not found (code {exc.code})")
        except ZoomFeatureUnavailable as exc:
            self.warn_once(resource, str(exc))
        return None

    def pages_or_skip(self, resource: str, endpoint: str, **kwargs: Any) -> Iterator[List[Dict[str, Any]]]:
        """Pages of a list endpoint (or the list of an unpaginated one), with the same skip rules."""
        if self.feature_disabled(resource):
            return
        facts = ENDPOINTS[endpoint]
        try:
            if facts.page_size is None:
                body = self.client.get(endpoint, **kwargs)
                yield list(body.get(facts.list_key or "", []) or [])
            else:
                yield from self.client.paginate(endpoint, **kwargs)
        except ZoomNotFound as exc:
            self.skip(resource, f"not found (code {exc.code})")
        except ZoomFeatureUnavailable as exc:
            self.warn_once(resource, str(exc))

    def list_all(self, resource: str, endpoint: str, **kwargs: Any) -> List[Dict[str, Any]]:
        return [row for page in self.pages_or_skip(resource, endpoint, **kwargs) for row in page]

    # -- shared listings --------------------------------------------------------------------------------
    def users(self) -> List[Dict[str, Any]]:
        """Every user of the account in all statuses, listed once per run."""

        def fetch() -> List[Dict[str, Any]]:
            rows: List[Dict[str, Any]] = []
            for status in ("active", "inactive", "pending"):
                rows.extend(self.list_all("users", "users", params={"status": status}))
            return rows

        return list(self.once(("users",), fetch))

    def user(self, user_id: str) -> Dict[str, Any]:
        """The user with `user_id` from this run's listing ({} when unknown), found by a dict built once."""
        by_id = self.once(("users_by_id",), lambda: {u["id"]: u for u in self.users() if u.get("id")})
        return dict(by_id.get(user_id, {}))

    def host_ids(self) -> List[str]:
        """Users who can own meetings, recordings and channels (pending users have no id)."""
        return [u["id"] for u in self.users() if u.get("id") and u.get("status") != "pending"]

    def user_meetings(self, user_id: str) -> List[Dict[str, Any]]:
        """A user's scheduled meetings plus previous ones (Zoom's default listing drops old one-off meetings)."""

        def fetch() -> List[Dict[str, Any]]:
            by_id: Dict[Any, Dict[str, Any]] = {}
            for kind in ("scheduled", "previous_meetings"):
                for m in self.list_all("meetings", "meetings", user_id=user_id, params={"type": kind}):
                    by_id.setdefault(m["id"], m)
            return list(by_id.values())

        return list(self.once(("user_meetings", user_id), fetch))

    def user_webinars(self, user_id: str) -> List[Dict[str, Any]]:
        """A user's webinars, listed once per run (a plan without webinars warns once and yields none)."""
        return list(
            self.once(
                ("user_webinars", user_id), lambda: self.list_all("webinars", "webinars", user_id=user_id)
            )
        )

    def summary(self) -> Dict[str, Any]:
        return {"skipped": dict(self.skipped), "features_missing": sorted(self._warned)}
