"""What the resources of one run share: the client, skip counters, once-per-run listings and warnings."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple

from .client import BASE_URL_SETTING, ZoomClient
from .errors import ZoomConfigError, ZoomFeatureUnavailable, ZoomNotFound, ZoomScopeError
from .refresh import RunPlan
from .registry import BY_NAME
from .settings import ENDPOINTS

logger = logging.getLogger("sources.zoom")


class _Failed:
    """A remembered error of `ZoomRun.once`."""

    def __init__(self, error: Exception) -> None:
        self.error = error


class RunStats:
    """Skips and missing features collected across runs (e.g. every step of one load); thread-safe.

    Pass one to `zoom_source(run_stats=...)`: the run's `ZoomRun` adds to it as it goes. A feature error
    (Zoom codes 200, 4400) counts against its parent (a user without a webinar licence, a meeting with polls
    off); only when every parent of a table failed that way, or the token lacks the table's scope, is the
    table reported as missing for the account.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._skipped: Counter[str] = Counter()
        self._features_missing: Dict[str, str] = {}
        # resource -> reason -> parents that lacked the feature; resources that answered for some parent
        self._feature_parents: Dict[str, Dict[str, Set[Tuple[Any, ...]]]] = {}
        self._feature_messages: Dict[str, str] = {}
        self._answered: Set[str] = set()
        self._said: Set[str] = set()
        self._rejected: Counter[str] = Counter()
        self._plans: List[RunPlan] = []

    def add_plan(self, plan: RunPlan) -> None:
        with self._lock:
            self._plans.append(plan)

    @property
    def avoided(self) -> Dict[str, int]:
        """Requests not sent per category (refresh.py: known gone or empty, entity tables not due)."""
        with self._lock:
            plans = list(self._plans)
        out: Counter[str] = Counter()
        for plan in plans:
            out.update(plan.avoided_by_category())
        return dict(out)

    @property
    def entity_refresh(self) -> Dict[str, bool]:
        """Entity families read this load: whether each was re-read in full (False: only new or changed)."""
        with self._lock:
            plans = list(self._plans)
        out: Dict[str, bool] = {}
        for plan in plans:
            out.update(plan.refreshed_families())
        return out

    def add_rejected(self, table: str, n: int) -> None:
        with self._lock:
            self._rejected[table] += n

    @property
    def rejected(self) -> Dict[str, int]:
        """Rows set aside in `rejected_rows`, per table."""
        with self._lock:
            return dict(self._rejected)

    def add_skip(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._skipped[key] += n

    def add_feature_missing(self, resource: str, message: str) -> bool:
        """Records a table missing for the whole account; False when it was already (an earlier step)."""
        with self._lock:
            if resource in self._features_missing:
                return False
            self._features_missing[resource] = message
            return True

    def is_missing(self, resource: str) -> bool:
        """Whether `resource` was found missing for the whole account (its scope) earlier in this load."""
        with self._lock:
            return resource in self._features_missing

    def add_parent_without_feature(
        self, resource: str, reason: str, parent: Tuple[Any, ...], message: str
    ) -> bool:
        """Records one parent that lacks the feature; False when it was already counted (an earlier step)."""
        with self._lock:
            self._feature_messages.setdefault(resource, message)
            parents = self._feature_parents.setdefault(resource, {}).setdefault(reason, set())
            if parent in parents:
                return False
            parents.add(parent)
            return True

    def add_answered(self, resource: str) -> None:
        with self._lock:
            self._answered.add(resource)

    def first_time(self, key: str) -> bool:
        """True the first time `key` is asked about (a message said once per load, not once per step)."""
        with self._lock:
            if key in self._said:
                return False
            self._said.add(key)
            return True

    @property
    def skipped(self) -> Dict[str, int]:
        """Skipped children per `"<resource>: <reason>"` (deleted or expired in Zoom)."""
        with self._lock:
            return dict(self._skipped)

    @property
    def parents_without_feature(self) -> Dict[str, int]:
        """Parents skipped per `"<resource>: <parents> without <feature> (code n)"`, for tables that loaded
        for other parents (e.g. `"webinars: users without a webinar licence (code 200)": 3`)."""
        with self._lock:
            return {
                f"{resource}: {reason}": len(parents)
                for resource, reasons in self._feature_parents.items()
                if resource in self._answered and resource not in self._features_missing
                for reason, parents in reasons.items()
            }

    @property
    def tables_without_feature(self) -> Dict[str, str]:
        """Resources where every parent asked lacked the feature: missing for the account, with Zoom's
        message (not warned during the run, since one parent can't tell; the caller warns once)."""
        with self._lock:
            return {
                r: self._feature_messages[r]
                for r in self._feature_parents
                if r not in self._answered and r not in self._features_missing
            }

    @property
    def features_missing(self) -> Dict[str, str]:
        """Resources skipped for the whole account (missing scope, or every parent lacked the feature)."""
        with self._lock:
            out = dict(self._features_missing)
        return {**self.tables_without_feature, **out}


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
        instance_uuids: Sequence[str] = (),
        download_tokens: Optional[Dict[str, str]] = None,
        plan: Optional[RunPlan] = None,
    ) -> None:
        self.client = client
        # download tokens that came with instances (a recording.completed event's `download_token`), by uuid
        self.download_tokens: Dict[str, str] = dict(download_tokens or {})
        # `--instances`: the ended instances to read, instead of the month windows' listings
        self.instance_uuids = tuple(instance_uuids)
        self.range_start = range_start
        self.range_end = range_end
        self.lag_seconds = lag_seconds
        # With an explicit --start-date/--end-date the run is a stateless backfill: cursors are not moved.
        self.explicit_range = explicit_range
        self.max_windows = max_windows
        self.skipped: Counter[str] = Counter()
        # shared with the caller, who reports skips after the run (and across the steps of one load)
        self.stats = stats if stats is not None else RunStats()
        # what this run re-reads and what runs remember (refresh.py); stateless unless given
        self.plan = plan or RunPlan(range_end, 0, lag_seconds, force=True, stateless=True)
        self.stats.add_plan(self.plan)
        self._warned: Set[str] = set()
        self._rejects_warned: Set[str] = set()
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
        self.stats.add_skip(key)

    def warn_once(self, resource: str, message: str) -> None:
        """Skips `resource` for the rest of the run, with one warning (for account-wide errors only)."""
        with self._lock:
            if resource in self._warned:
                return
            self._warned.add(resource)
        if self.stats.add_feature_missing(resource, message):
            logger.warning("%s skipped: %s", resource, message)

    def reject(self, table: str, n: int, reason: str) -> None:
        """Counts rows of `table` set aside in `rejected_rows`; warns once per table per run."""
        if self.stats is not None:
            self.stats.add_rejected(table, n)
        with self._lock:
            first = table not in self._rejects_warned
            self._rejects_warned.add(table)
        if first:
            logger.warning("%s: row set aside in rejected_rows (%s)", table, reason)

    def feature_disabled(self, resource: str) -> bool:
        with self._lock:
            if resource in self._warned:
                return True
        return self.stats.is_missing(resource)

    def lacks_feature(self, resource: str, exc: ZoomFeatureUnavailable, path: Dict[str, Any]) -> None:
        """Skips one parent whose feature is off (a user without a webinar licence, a meeting with polls
        off) and counts it; the table goes on for the other parents."""
        noun = _parent_noun(path)
        what = (
            "without a webinar licence"
            if "webinar plan" in (exc.zoom_message or "").lower()
            else "without the feature"
        )
        reason = f"{noun}s {what} (code {exc.code})"
        parent = tuple(sorted((k, str(v)) for k, v in path.items()))
        if self.stats.add_parent_without_feature(resource, reason, parent, str(exc)):
            logger.debug("%s: skipped %s %s: %s", resource, noun, parent, exc)

    # -- once per run -----------------------------------------------------------------------------------
    def once(self, key: Tuple[str, ...], fetch: Callable[[], Any]) -> Any:
        """Returns `fetch()` for `key`, computed once per run even when several threads ask at once.

        An error is remembered too: every caller gets it, and a slow failure (an unreachable host) is not
        retried once per caller.
        """
        with self._lock:
            if key in self._memo:
                return self._remembered(key)
            key_lock = self._memo_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._memo:
                    return self._remembered(key)
            try:
                value = fetch()
            except Exception as exc:
                with self._lock:
                    self._memo[key] = _Failed(exc)
                raise
            with self._lock:
                self._memo[key] = value
            return value

    def _remembered(self, key: Tuple[str, ...]) -> Any:
        value = self._memo[key]
        if isinstance(value, _Failed):
            raise value.error
        return value

    def claim(self, space: str, key: Any) -> bool:
        """True the first time `key` is claimed in `space` during this run (dedupe across threads)."""
        if not isinstance(key, (str, int, float, bool, tuple, type(None))):
            key = repr(key)  # a list or an object where Zoom sends an id: still one claim per value
        with self._lock:
            seen = self._claimed.setdefault(space, set())
            if key in seen:
                return False
            seen.add(key)
            return True

    # -- Zoom calls with the skip rules --------------------------------------------------------------
    def get_or_skip(
        self, resource: str, endpoint: Optional[str] = None, **kwargs: Any
    ) -> Optional[Dict[str, Any]]:
        """GETs one object for `resource` (from `endpoint`, default the table's own, see registry.py); a
        missing parent is skipped and counted, a missing feature warned once."""
        if self.feature_disabled(resource):
            return None
        endpoint = _endpoint(resource, endpoint)
        if self.plan.known(resource, endpoint, _path(kwargs)):
            return None
        try:
            self.plan.spend(resource, endpoint)
            body = self.client.get(endpoint, **kwargs)
        except ZoomNotFound as exc:
            self.skip(resource, f"not found (code {exc.code})")
            self.plan.remember(resource, _path(kwargs))
        except ZoomFeatureUnavailable as exc:
            self.lacks_feature(resource, exc, _path(kwargs))
            self.plan.remember(resource, _path(kwargs))
        except ZoomScopeError as exc:
            self.warn_once(resource, str(exc))
        else:
            self.stats.add_answered(resource)
            return body
        return None

    def pages_or_skip(
        self, resource: str, endpoint: Optional[str] = None, **kwargs: Any
    ) -> Iterator[List[Dict[str, Any]]]:
        """Pages of a list endpoint (or the list of an unpaginated one), with the same skip rules."""
        if self.feature_disabled(resource):
            return
        endpoint = _endpoint(resource, endpoint)
        facts = ENDPOINTS[endpoint]
        if self.plan.known(resource, endpoint, _path(kwargs)):
            return
        try:
            self.plan.spend(resource, endpoint)
            if facts.page_size is None:
                body = self.client.get(endpoint, **kwargs)
                self.stats.add_answered(resource)
                yield list(body.get(facts.list_key or "", []) or [])
            else:
                for i, page in enumerate(self.client.paginate(endpoint, **kwargs)):
                    if i == 0:
                        self.stats.add_answered(resource)
                    else:
                        self.plan.spend(resource, endpoint)
                    yield page
        except ZoomNotFound as exc:
            self.skip(resource, f"not found (code {exc.code})")
            self.plan.remember(resource, _path(kwargs))
        except ZoomFeatureUnavailable as exc:
            self.lacks_feature(resource, exc, _path(kwargs))
            self.plan.remember(resource, _path(kwargs))
        except ZoomScopeError as exc:
            self.warn_once(resource, str(exc))

    def list_all(self, resource: str, endpoint: Optional[str] = None, **kwargs: Any) -> List[Dict[str, Any]]:
        return [row for page in self.pages_or_skip(resource, endpoint, **kwargs) for row in page]

    # -- shared listings --------------------------------------------------------------------------------
    def users(self) -> List[Dict[str, Any]]:
        """Every user of the account in all statuses, listed once per run.

        Raises:
            ZoomConfigError: the listing is empty: every account has its owner, so the settings point
                elsewhere. The skip rules don't apply here: nothing loads without users.
        """

        def fetch() -> List[Dict[str, Any]]:
            rows: List[Dict[str, Any]] = []
            for status in ("active", "inactive", "pending"):
                for page in self.client.paginate("users", params={"status": status}):
                    self.plan.spend("users", "users")
                    rows.extend(page)
            if not any(u.get("id") for u in rows):
                raise ZoomConfigError(
                    f"Zoom listed no users at {self.client.base_url}/users, but every account has its "
                    f"owner; check {BASE_URL_SETTING} and sources.zoom.credentials.account_id",
                    setting=BASE_URL_SETTING,
                    endpoint="users",
                )
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
        """A user's webinars, listed once per run (none for a user without a webinar licence: counted)."""
        return list(
            self.once(
                ("user_webinars", user_id), lambda: self.list_all("webinars", "webinars", user_id=user_id)
            )
        )

    def summary(self) -> Dict[str, Any]:
        return {
            "skipped": self.stats.skipped,
            "parents_without_feature": self.stats.parents_without_feature,
            "features_missing": sorted(self.stats.features_missing),
        }


def _path(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The path parameters of a client call (which parent it is about), without its query."""
    return {k: v for k, v in kwargs.items() if k != "params"}


# path parameter -> what the parent is called in the summary
_PARENT_NOUNS = {
    "user_id": "user",
    "meeting_id": "meeting",
    "meeting_uuid": "meeting instance",
    "webinar_id": "webinar",
    "webinar_uuid": "webinar instance",
    "channel_id": "channel",
}


def _parent_noun(path: Dict[str, Any]) -> str:
    return next((_PARENT_NOUNS.get(k, k) for k in path), "account")


def _endpoint(resource: str, endpoint: Optional[str]) -> str:
    """The endpoint to call for `resource`: the one given, else the table's own (registry.py)."""
    if endpoint:
        return endpoint
    entry = BY_NAME.get(resource)
    return entry.endpoint if entry and entry.endpoint else resource
