"""A dlt source for Zoom: users, meetings and their instances, webinars, recordings and transcripts,
reports and Team Chat. See README "Table reference" for every table's key, cursor and endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import import_module
from typing import Any, Dict, Iterable, Optional

import dlt
from dlt.extract.items import TableNameMeta
from dlt.sources import DltResource

from . import instances, registry
from .account_column import account_id_of, propagate_to_nested, stamper
from .client import ZoomClient
from .config_values import (
    SettingError,
    parse_date,
    parse_entity_refresh_hours,
    parse_flag,
    parse_lag_days,
    parse_rate_limit_overrides,
    parse_rate_limit_plan,
    parse_uuid_list,
)
from .credentials import TZoomCredentials
from .factory import make_client
from .refresh import RunPlan
from .rejects import REJECTED_ROWS_HINTS
from .run_context import RunStats, ZoomRun
from .sensitive import drop_sensitive
from .settings import REJECTED_ROWS_TABLE
from .windows import default_start_date

__all__ = ["zoom_source", "ZoomRun", "RunStats"]


@dlt.source(name="zoom", section="zoom", max_table_nesting=2)
def zoom_source(
    credentials: Optional[TZoomCredentials] = dlt.secrets.value,
    base_url: Optional[str] = None,
    token_url: Optional[str] = None,
    start_date: Any = None,
    end_date: Any = None,
    lag_days: Any = None,
    rate_limit_plan: Any = None,
    rate_limit_overrides: Any = None,
    max_windows: Optional[int] = None,
    instances: Any = None,
    download_tokens: Optional[Dict[str, str]] = None,
    keep_sensitive_fields: Any = False,
    entity_refresh_hours: Any = None,
    refresh_entities: Any = False,
    client: Optional[ZoomClient] = None,
    run_stats: Optional[RunStats] = None,
    account_id: Optional[str] = None,
) -> Iterable[DltResource]:
    """Zoom account data as dlt resources.

    Args:
        credentials: Server-to-Server OAuth (`account_id`, `client_id`, `client_secret`) or user OAuth
            (`client_id`, `client_secret`, `refresh_token`), from `sources.zoom.credentials`.
        base_url: API base; default `https://api.zoom.us/v2`, or the regional `api_url` of the token.
        token_url: OAuth token endpoint; default `https://zoom.us/oauth/token`.
        start_date: where the first run's backfill of time-bound tables starts (UTC); default one year
            before today, computed at run time.
        end_date: with `start_date`, a fixed range loaded without moving the cursors (a backfill).
        lag_days: how far behind each cursor a run re-reads, for late recordings and participant data
            (default 2).
        rate_limit_plan: `free`, `pro` (default) or `business`: Zoom's per-category limits to pace to.
        rate_limit_overrides: requests per second per category, e.g. `{"Heavy": 5}` (JSON in an env var).

    The settings are untyped for dlt, so a bad value fails in `config_values` with the setting's name.
        max_windows: at most this many month windows per run (the CLI loops runs to backfill in steps).
        instances: meeting instance UUIDs (a list, or comma-separated) to read instead of the month
            windows' listings: time-bound tables for just these, whatever their date; no cursor moves.
        download_tokens: with `instances`, a recording download token per UUID (from a recording.completed
            webhook), used for that recording's files instead of the API token.
        keep_sensitive_fields: store start links, passwords, passcodes and URL tokens as Zoom sends them
            (default: dropped and stripped; see sensitive.py).
        entity_refresh_hours: hours between full re-reads of meetings, webinars and channels with their
            children (default 24); runs in between read only what is new (refresh.py).
        refresh_entities: re-read them in full in this run, whenever they were last read.
        client: a ready `ZoomClient` (tests, or sharing one across sources); built from the above if None.
        run_stats: a `RunStats` the run adds its skips (deleted or expired parents) and missing features to.
        account_id: Zoom's account id, stamped on every row of every table (account_column.py); default
            the `account_id` of the Server-to-Server credentials. User OAuth without it: no column.

    Yields:
        One resource per table; time-bound ones hang off the hidden `instances` feeder.
    """
    now = datetime.now(UTC)
    start = parse_date(start_date, "sources.zoom.start_date") or parse_date(
        default_start_date(now.date()), "start_date"
    )
    end = parse_date(end_date, "sources.zoom.end_date")
    lag = parse_lag_days(lag_days)
    plan = parse_rate_limit_plan(rate_limit_plan)
    overrides = parse_rate_limit_overrides(rate_limit_overrides)
    keep_sensitive_fields = parse_flag(keep_sensitive_fields, "sources.zoom.keep_sensitive_fields")
    refresh_hours = parse_entity_refresh_hours(entity_refresh_hours)
    force_refresh = parse_flag(refresh_entities, "--refresh-entities")
    assert start is not None
    if start > now:
        raise SettingError(f"sources.zoom.start_date: {start_date!r} is in the future")
    if end is not None and end <= start:
        raise SettingError(f"sources.zoom.end_date: {end_date!r} must be after start_date {start_date!r}")
    if client is None:
        if credentials is None:
            raise ValueError(
                "missing Zoom credentials: set sources.zoom.credentials.account_id, client_id and client_secret "
                "(Server-to-Server OAuth) or client_id, client_secret and refresh_token (user OAuth), in "
                ".dlt/secrets.toml or as SOURCES__ZOOM__CREDENTIALS__* environment variables"
            )
        client = make_client(credentials, base_url, token_url, plan, overrides)
    uuids = parse_uuid_list(instances)
    run_plan = RunPlan(
        now, refresh_hours, lag * 86400, force=force_refresh, stateless=end is not None or bool(uuids)
    )
    run = ZoomRun(
        client,
        range_start=start,
        range_end=min(end or now, now),
        lag_seconds=lag * 86400,
        explicit_range=end is not None,
        max_windows=max_windows,
        instance_uuids=uuids,
        download_tokens=download_tokens,
        stats=run_stats,
        plan=run_plan,
    )
    account_id = account_id or account_id_of(client)
    if account_id:
        propagate_to_nested(dlt.current.source_schema())
    for resource in _resources(run):
        if not resource.selected:  # hidden feeders keep Zoom's payloads whole: recordings download with their tokens
            yield resource
            continue
        if not keep_sensitive_fields:
            resource.add_map(_scrubbed)
        yield resource.add_map(stamper(account_id)) if account_id else resource


def _scrubbed(item: Any) -> Any:
    return drop_sensitive(item) if isinstance(item, dict) else item  # Arrow pages hold no credentials


def _tables(resource: DltResource, entry: registry.Table, *variants: Dict[str, Any]) -> DltResource:
    """Gives `resource` its pinned column types, and its side tables (`rejected_rows`, and any `variants`)
    their own hints. The variants are made first: dlt starts a table variant from a copy of the
    resource's hints, and the resource's columns must not become always-NULL columns of its side tables."""
    for hints in (REJECTED_ROWS_HINTS, *variants):
        resource.apply_hints(**hints, create_table_variant=True)
    return resource.apply_hints(columns=entry.column_hints())


def _rejected(meta: Any) -> bool:
    return isinstance(meta, TableNameMeta) and meta.table_name == REJECTED_ROWS_TABLE


def _resources(run: ZoomRun) -> Iterable[DltResource]:
    """One dlt resource per registry entry (registry.py), parents first; SIDE tables ride on theirs."""
    built: Dict[str, DltResource] = {}
    for entry in registry.resources():
        fn = _builder(entry)
        hints: Dict[str, Any] = {"name": entry.name}
        if entry.hidden:
            hints["selected"] = False
        else:
            hints.update(write_disposition="merge", primary_key=_key(entry))
        if entry.parallel:
            hints["parallelized"] = True
        if entry.parent is None:
            resource = dlt.resource(_bind(fn, run, *entry.args), **hints)()
        else:
            resource = dlt.transformer(_child(run, entry, fn), data_from=built[entry.parent], **hints)
        if not entry.hidden:
            sides = [t.side_hints() for t in registry.side_tables(entry.name)]
            resource = _tables(resource, entry, *sides)
        built[entry.name] = resource
        yield resource


def _key(entry: registry.Table) -> Any:
    return list(entry.key) if isinstance(entry.key, tuple) else entry.key


def _builder(entry: registry.Table) -> Any:
    module, function = entry.build.split(":")
    return getattr(import_module(f"{__name__}.{module}"), function)


def _child(run: ZoomRun, entry: registry.Table, fn: Any) -> Any:
    """The transformer of a child table: skips parent rows set aside, and turns an unplaceable instance
    into the `rejected_rows` row of the table it feeds."""
    name = entry.name

    def transform(item: Any, meta: Any = None) -> Any:
        if _rejected(meta):  # a parent row set aside has no children to fetch
            return
        if isinstance(item, dict) and item.get("kind") == instances.REJECTED:  # an unplaceable instance
            yield from instances.rejected_bundle_items(run, name, item)
            return
        yield from fn(run, *entry.args, item)

    transform.__name__ = getattr(fn, "__name__", "transform")
    return transform


def _bind(fn: Any, *args: Any) -> Any:
    """A generator function that yields from `fn(*args)`.

    It must be a generator function: for a plain function that returns a generator, dlt's `parallelized`
    only creates the generator in the pool and iterates it on the main thread, so requests run serially.
    """

    def resource() -> Any:
        yield from fn(*args)

    resource.__name__ = getattr(fn, "__name__", "resource")
    return resource
