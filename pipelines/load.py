"""Loading Zoom into the warehouse: pipeline construction, backfill in resumable steps, run summary."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Dict, List, Optional, Sequence

import dlt
from dlt.common.configuration.providers import EnvironProvider
from dlt.common.pipeline import LoadInfo
from dlt.pipeline.pipeline import Pipeline

from sources.zoom import registry, zoom_source
from sources.zoom.client import ZoomClient
from sources.zoom.config_values import (
    parse_date,
    parse_windows_per_run,
)
from sources.zoom.dates import parse_time
from sources.zoom.factory import client_from_config
from sources.zoom.instances import unreadable
from sources.zoom.phone_client import phone_stats
from sources.zoom.run_context import RunStats
from sources.zoom.windows import after_windows

logger = logging.getLogger("pipelines")

PIPELINE_NAME = "zoom_pipeline"
# The file is named after the pipeline, not the dataset: dlt 1.31 fails on `zoom.duckdb` holding dataset `zoom`.
DEFAULT_DUCKDB_PATH = "./zoom_pipeline.duckdb"
# How many month windows one pipeline run walks; each run commits its data and cursors, so a backfill
# that stops resumes from the last finished step. Each step costs a normalize + load and re-lists users,
# meetings and webinars, so 6 (the six months reports reach back) keeps a typical backfill to one or
# two steps (bench/bench_source.py: a 4-month backfill took 25.9 s in 2 steps, 19.5 s in 1).
DEFAULT_WINDOWS_PER_RUN = 6
# dlt's extract pool for the source (`[sources.zoom.extract]`), used when nothing is configured
EXTRACT_DEFAULTS = {"workers": 96, "max_parallel_items": 256}


def all_resources() -> List[str]:
    """Names of every table resource the source offers (hidden feeders excluded)."""
    return [t.name for t in registry.resources() if not t.hidden]


def resources_for(tables: Sequence[str], known: Sequence[str]) -> List[str]:
    """The resources that build `tables` (names as `zoom-pipeline tables` lists them): a table built from
    another selects what it is built from (`calls` → `recordings` and `phone_recordings`; `rejected_rows` → every resource)."""
    choices = [t.name for t in registry.visible()]
    unknown = sorted(set(tables) - set(choices))
    if unknown:
        raise ValueError(
            f"unknown resource(s) in --resources: {', '.join(unknown)}; choose from {', '.join(choices)}"
        )
    makers = {m for t in tables for m in registry.table(t).makers}
    if "*" in makers:
        return list(known)
    return [r for r in known if r in makers]


def make_pipeline(
    destination: str = "duckdb",
    dataset: str = "zoom",
    duckdb_path: str = DEFAULT_DUCKDB_PATH,
    pipeline_name: str = PIPELINE_NAME,
    progress: Any = "log",
    pipelines_dir: Optional[str] = None,
    export_schema_path: Optional[str] = None,
) -> Pipeline:
    """Builds the warehouse pipeline: DuckDB (a local file) or Postgres (credentials the dlt way)."""
    if destination == "duckdb":
        # absolute: dlt would resolve a relative path against the dir the pipeline first ran in, not this one
        dest: Any = dlt.destinations.duckdb(os.path.abspath(duckdb_path))
    elif destination == "postgres":
        dest = dlt.destinations.postgres()
    else:
        raise ValueError(f"--destination must be duckdb or postgres, not {destination!r}")
    from .safe_load import configure_idempotent_load

    # Arrow items get `_dlt_id` / `_dlt_load_id` only with `normalize.parquet_normalizer.add_dlt_id` /
    # `add_dlt_load_id` (dlt's default: off); dict rows always get them. The participant tables load as Arrow
    # (sources/zoom/arrow_pages.py), and safe_load's replay and Postgres's NOT NULL UNIQUE `_dlt_id` need
    # both, so turn them on here too: .dlt/config.toml has them, but runs without our .dlt dir (tests,
    # another working dir) must not differ. Pipeline-scoped keys (`<PIPELINE>__NORMALIZE__PARQUET_NORMALIZER__*`,
    # which dlt looks up first) leave other pipelines in the process alone; a value already set wins. Without
    # both settings the source loads those tables as dicts, so this is about speed, not correctness.
    for key in ("add_dlt_id", "add_dlt_load_id"):
        os.environ.setdefault(
            EnvironProvider.get_key_name(key, pipeline_name, "normalize", "parquet_normalizer"), "true"
        )
    # Extract threads mostly wait on Zoom or on the rate limiter, and a category's children must not wait
    # for threads held by another category's backlog: many threads, unless configured otherwise.
    for key, value in EXTRACT_DEFAULTS.items():
        if dlt.config.get(f"sources.zoom.extract.{key}") is None:
            os.environ[EnvironProvider.get_key_name(key, "sources", "zoom", "extract")] = str(value)
    from .staging import empty_staging_after_load

    empty_staging_after_load(pipeline_name)
    pipeline = dlt.pipeline(
        pipeline_name=pipeline_name,
        destination=dest,
        dataset_name=dataset,
        progress=progress,
        pipelines_dir=pipelines_dir,
        export_schema_path=export_schema_path,
    )
    # a killed load must replay exactly once (see safe_load), whichever way the pipeline is run
    return configure_idempotent_load(pipeline)


# the CLI's client: `sources.zoom.*` config and secrets (sources/zoom/factory.py)
build_client = client_from_config


@dataclass
class LoadSummary:
    """What one `zoom-pipeline run` did."""

    rows: Dict[str, int] = field(default_factory=dict)
    requests: Dict[str, Dict[str, int]] = field(default_factory=dict)
    skipped: Dict[str, int] = field(default_factory=dict)
    parents_without_feature: Dict[str, int] = field(default_factory=dict)
    features_missing: Dict[str, str] = field(default_factory=dict)
    rejected: Dict[str, int] = field(default_factory=dict)
    # requests not sent per category (sources/zoom/refresh.py), and which entity families were re-read
    avoided: Dict[str, int] = field(default_factory=dict)
    entity_refresh: Dict[str, bool] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    load_infos: List[LoadInfo] = field(default_factory=list)

    def lines(self) -> List[str]:
        out = [f"Loaded in {self.seconds:.1f} s over {self.steps} step(s)."]
        if self.rows:
            out.append("Rows loaded this run:")
            out += [f"  {t:<32} {n:>9}" for t, n in sorted(self.rows.items())]
        if self.requests:
            out.append("Zoom requests per rate-limit category (429s; requests avoided):")
            out += [
                f"  {c:<20} {s.get('requests', 0):>7}  ({s.get('throttled', 0)} × 429)"
                + (f"  {self.avoided[c]} avoided" if self.avoided.get(c) else "")
                for c, s in self.requests.items()
            ]
            out.append(f"  avoided in all: {sum(self.avoided.values())}")
        if self.entity_refresh:
            fresh = [f for f, full in self.entity_refresh.items() if full]
            out.append(
                "Entity tables: re-read in full"
                if len(fresh) == len(self.entity_refresh)
                else "Entity tables: only new or changed ones read (not due; --refresh-entities re-reads all)"
            )
        if self.skipped:
            out.append("Skipped (deleted or expired in Zoom):")
            out += [f"  {k}: {n}" for k, n in sorted(self.skipped.items())]
        if self.parents_without_feature:
            out.append("Skipped for some parents (feature not enabled for them; the rest loaded):")
            out += [f"  {k}: {n}" for k, n in sorted(self.parents_without_feature.items())]
        if self.rejected:
            out.append("Set aside (a key, time or typed field Zoom sent could not be read):")
            out += [f"  {t}: {n} row(s) in rejected_rows" for t, n in sorted(self.rejected.items())]
        if self.features_missing:
            out.append("Skipped (feature not available to this account or app):")
            out += [f"  {k}: {msg}" for k, msg in sorted(self.features_missing.items())]
        return out


def _row_counts(pipeline: Pipeline) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    trace = pipeline.last_trace
    normalize = trace.last_normalize_info if trace else None
    if normalize is not None:
        for table, n in normalize.row_counts.items():
            if not table.startswith("_dlt"):
                counts[table] = counts.get(table, 0) + n
    return counts


def load_zoom(
    pipeline: Pipeline,
    client: ZoomClient,
    *,
    resources: Optional[Sequence[str]] = None,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    windows_per_run: int = DEFAULT_WINDOWS_PER_RUN,
    instances: Optional[Sequence[str]] = None,
    **source_kwargs: Any,
) -> LoadSummary:
    """Loads Zoom into `pipeline`, walking time-bound data in steps of `windows_per_run` month windows.

    Entities load in the first step; each step is its own dlt run, so cursors and data commit together
    and an interrupted backfill resumes from the last finished step. A pending package left by a killed
    run is finished first.

    Args:
        pipeline: the warehouse pipeline.
        client: the Zoom client (one per run, so its token and rate limiter are shared by every step).
        resources: table names to load (a derived table loads what it is built from); all when None.
        start_date: first run's backfill start, or with `end_date` a fixed range (no cursor moves).
        end_date: end of a fixed range.
        windows_per_run: month windows per step.
        instances: meeting instance UUIDs to read instead of the month windows (`--instances`): one
            step, time-bound tables only, no cursor moves.
        source_kwargs: more `zoom_source` arguments (e.g. `lag_days`).

    Returns:
        Rows per table, requests per category, skips and timing.
    """
    started = time.monotonic()
    summary = LoadSummary()
    windows_per_run = parse_windows_per_run(windows_per_run)
    known = all_resources()
    selected = resources_for(resources, known) if resources else known
    time_bound = [r for r in selected if r in registry.time_bound()]
    phone_windowed = registry.phone_windowed()
    entities = [r for r in selected if r not in registry.time_bound()]
    kwargs = dict(source_kwargs)
    # one per load: every step's ZoomRun adds its skips to it (thread-safe)
    stats: RunStats = kwargs.pop("run_stats", None) or RunStats()
    if start_date:
        kwargs["start_date"] = start_date

    from .deletion_marks import apply_marks
    from .interrupt import Interrupted
    from .safe_load import run_idempotent

    def step(names: List[str], **extra: Any) -> None:
        if client.stop.is_set():  # Ctrl-C / SIGTERM: finished steps are committed; walk no further
            raise Interrupted()
        source = zoom_source(client=client, run_stats=stats, **{**kwargs, **extra}).with_resources(*names)
        # dicts → parquet loads several times faster into DuckDB than insert_values (DLT_NOTES §6)
        fmt = (
            {"loader_file_format": "parquet"}
            if pipeline.destination.destination_type.endswith("duckdb")
            else {}
        )
        info = run_idempotent(pipeline, source, **fmt)
        apply_marks(pipeline)  # rows this step re-wrote keep their deletion marks
        summary.load_infos.append(info)
        summary.steps += 1
        for table, n in _row_counts(pipeline).items():
            summary.rows[table] = summary.rows.get(table, 0) + n

    if instances:
        if time_bound:
            step(time_bound, instances=list(instances))
    elif end_date:
        # A fixed range: walked in steps of its own, stateless (cursors don't move).
        start = _day(start_date or kwargs.get("start_date"), "start_date")
        end = _day(end_date, "end_date")
        first = True
        cur = start
        while cur < end or first:
            stop = after_windows(cur, windows_per_run)
            nxt = min(datetime(stop.year, stop.month, stop.day, tzinfo=UTC), end)
            # Zoom Phone tables read their own month windows of the step's range (phone.py)
            again = [r for r in entities if r in phone_windowed]
            step(
                (entities if first else again) + time_bound,
                start_date=cur.isoformat(),
                end_date=nxt.isoformat(),
            )
            first = False
            cur = nxt
            if not time_bound and not again:
                break
    else:
        now = datetime.now(UTC)
        names = entities + time_bound
        for _ in range(1000):  # bounded: each step moves every cursor forward by up to windows_per_run months
            step(names, max_windows=windows_per_run)
            names = time_bound
            # a table skipped for a missing scope keeps its cursor (instances.py): not one to wait for
            waiting = [r for r in time_bound if not unreadable(r, stats.is_missing)]
            if not waiting or _caught_up(pipeline, waiting, now):
                break
    summary.requests = {**client.stats(), **phone_stats(client)}
    summary.skipped = stats.skipped
    summary.parents_without_feature = stats.parents_without_feature
    summary.features_missing = stats.features_missing
    # a missing scope was warned when it happened; "every parent lacked the feature" is known only now
    for resource, message in sorted(stats.tables_without_feature.items()):
        logger.warning("%s skipped: %s", resource, message)
    summary.rejected = stats.rejected
    summary.avoided = stats.avoided
    summary.entity_refresh = stats.entity_refresh
    summary.seconds = time.monotonic() - started
    return summary


def _day(value: Any, setting: str) -> datetime:
    parsed = parse_date(value, f"--{setting.replace('_', '-')}")
    if parsed is None:
        raise ValueError(f"--{setting.replace('_', '-')}: a date is required with --end-date; use YYYY-MM-DD")
    return parsed


def _caught_up(pipeline: Pipeline, resources: Sequence[str], now: datetime) -> bool:
    state = pipeline.state.get("sources", {}).get("zoom", {}).get("resources", {})
    for name in resources:
        cursor = parse_time(state.get(name, {}).get("window_cursor"))
        if cursor is None or cursor < now - timedelta(minutes=5):
            return False
    return True
