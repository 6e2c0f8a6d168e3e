"""`push_calls`: the dual-write step. Reads ready calls from the warehouse and loads the ones Kendo has not
accepted yet into the `kendo_destination` (its own small dlt pipeline), which keeps the `kendo_sync` ledger.

The push pipeline never blocks anything: per-call problems end in the ledger, not in a failed package. A
package left by a push that was killed is loaded again by the next push; the ledger's claims make that
harmless (calls it sent, or may have sent, are skipped), so nothing is ever discarded.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import dlt
from dlt.pipeline.exceptions import PipelineStepFailed

from sources.zoom.dates import parse_instant

from .audio_urls import AudioUrlProvider
from .decide import decide
from .destination import kendo_destination
from .errors import KendoAuthError, KendoConfigError, KendoError
from .ledger import Ledger, LedgerEntry
from .payload import build_payload, payload_hash, redacted_payload
from .sender import KendoPush, TAudioUrlFn, settle_stale_claims
from .settings import CALL_COLUMNS, CALL_SOURCES, CALLS_TABLE, PHONE_SOURCE, SOURCES_SETTING
from .summary import PushSummary

# columns only Zoom Phone calls fill: null in every row of a meetings-only push
PHONE_ONLY_COLUMNS = ("source", "zoom_call_history_id", "zoom_recording_id")

logger = logging.getLogger("destinations.kendo")

TDateLike = date | datetime | str


def _without_audio(
    rows: list[dict[str, Any]], summary: PushSummary, provider: AudioUrlProvider | None = None
) -> list[dict[str, Any]]:
    """Rows that get no audioUrl (mode `none`; phone calls unless staged) lose their audio URL; the ones
    without a transcript are skipped (not failed). With a provider, only the rows it has no audio for."""
    kept = []
    for row in rows:
        if provider is not None and provider.sends_audio_for(row):
            kept.append(row)
        elif row.get("transcript"):
            kept.append({**row, "audio_url": None})
        else:
            summary.add("skipped_no_transcript", str(row["meeting_uuid"]))
    return kept


def call_sources(value: Any) -> tuple[str, ...]:
    """`destination.kendo.sources`: "meetings", "phone", both (a list or comma-separated); default both."""
    if value is None or value == "":
        return CALL_SOURCES
    if isinstance(value, str) and value.strip().startswith("["):  # a TOML / JSON list from an env var
        try:
            value = json.loads(value)
        except ValueError:
            pass
    if not isinstance(value, (str, list, tuple)):  # `sources = true`, a number or a table in TOML
        raise KendoConfigError(f"{SOURCES_SETTING} must list {' and/or '.join(CALL_SOURCES)}, not {value!r}")
    items = value.split(",") if isinstance(value, str) else list(value)
    chosen = tuple(dict.fromkeys(str(v).strip().lower() for v in items if str(v).strip()))
    unknown = [v for v in chosen if v not in CALL_SOURCES]
    if unknown or not chosen:
        raise KendoConfigError(f"{SOURCES_SETTING} must list {' and/or '.join(CALL_SOURCES)}, not {value!r}")
    return chosen


def push_calls(
    warehouse_pipeline: dlt.Pipeline,
    *,
    api_key: str | None = None,
    ingest_url: str | None = None,
    concurrency: int | None = None,
    rate_per_second: float | None = None,
    since: TDateLike | None = None,
    until: TDateLike | None = None,
    rep_emails: Iterable[str] | None = None,
    dry_run: bool = False,
    resend_changed: bool = False,
    resend_uncertain: bool = False,
    audio_url_fn: TAudioUrlFn | None = None,
    max_attempts: int | None = None,
    backoff_seconds: float | None = None,
    push_pipeline_name: str | None = None,
    max_seconds: float | None = None,
    stop: threading.Event | None = None,
    request_timeout: float | None = None,
    sources: Iterable[str] | str | None = None,
) -> PushSummary:
    """Pushes the warehouse's ready calls to Kendo, once each, and records them in `kendo_sync`.

    Settings left None come from `destination.kendo.*` (config, secrets, env), else the defaults of
    `config.KendoDestinationConfiguration`.

    Args:
        warehouse_pipeline: the pipeline that loaded `calls` (DuckDB or Postgres); the ledger goes next to it.
        api_key: Kendo push key; default: `destination.kendo.api_key` from secrets / env.
        ingest_url: default: `destination.kendo.ingest_url`, else Kendo's production endpoint.
        concurrency: maximum POSTs in flight (default 4). Also the most calls a crash can leave uncertain.
        rate_per_second: pacing of POSTs (default 5; 0: unpaced).
        since: only calls with `call_date >= since` (a date is midnight UTC).
        until: only calls with `call_date < until`.
        rep_emails: only calls whose `rep_email` is in this list (case-insensitive), e.g. the Kendo
            team's members; None: every rep.
        dry_run: post nothing and write nothing; return the bodies that would be posted (no key, audio
            URL tokens masked). `audio_url_fn` is not called.
        resend_changed: re-post calls that were sent but whose content changed since (Kendo creates a new
            call; the ledger then holds the new callId).
        resend_uncertain: re-post calls left `uncertain` (posted, no answer). Kendo may hold them already,
            so this can duplicate them: use it after checking Kendo, or when a duplicate beats a missing call.
        audio_url_fn: `fn(row) -> url` or `fn(row) -> (url, expires_at)` giving the audioUrl to send;
            called right before each POST, so short-lived URLs are fresh; `expires_at` goes to the ledger
            (`audio_url_expires_at`). An `AudioUrlProvider` (audio_urls.py) implements the
            `destination.kendo.audio_url_mode` settings; in mode `none` no audioUrl is sent and calls
            without a transcript are skipped (`summary.skipped_no_transcript`). None: `calls.audio_url`.
        max_attempts: tries per call for 429 / 5xx / refused connects (default 5); then the call stays pending.
        backoff_seconds: first retry back-off (doubles, with jitter); it pauses every sender.
        push_pipeline_name: default `<warehouse pipeline name>_kendo_push`.
        max_seconds: time budget; past it no new POST starts and what is left stays pending.
        stop: an event set on Ctrl-C / SIGTERM: no new POST starts, the ones in flight finish.
        request_timeout: seconds to wait for Kendo's answer (default 120). A POST that times out is
            `uncertain`.
        sources: which calls to push: "meetings", "phone" (Zoom Phone, `calls.source = 'zoom_phone'`)
            or both; default `destination.kendo.sources`, else both.

    Returns:
        PushSummary of this run.

    Raises:
        KendoAuthError: the key is missing or Kendo refused it (no call is marked sent).
        KendoEndpointError: the ingest URL is not the Push API (404, 405, ...; no call is marked failed).
    """
    summary = PushSummary(dry_run=dry_run)
    with warehouse_pipeline.sql_client() as sql_client:
        ledger = Ledger(sql_client)
        rows = read_ready_calls(
            warehouse_pipeline,
            sql_client,
            since=since,
            until=until,
            rep_emails=rep_emails,
            sources=call_sources(sources if sources is not None else dlt.config.get(SOURCES_SETTING)),
        )
        if isinstance(audio_url_fn, AudioUrlProvider) and not audio_url_fn.sends_audio:
            rows, audio_url_fn = _without_audio(rows, summary), None
        elif isinstance(audio_url_fn, AudioUrlProvider):
            rows = _without_audio(rows, summary, audio_url_fn)
        if not dry_run:
            settle_stale_claims(ledger)
        to_push = plan_push(rows, ledger.entries(), resend_changed, resend_uncertain, summary)
    if dry_run:
        summary.dry_run_payloads = [redacted_payload(build_payload(row)) for row in to_push]
        logger.info("%s", summary)
        return summary
    explicit = {
        "api_key": api_key,
        "ingest_url": ingest_url,
        "concurrency": concurrency,
        "rate_per_second": rate_per_second,
        "max_attempts": max_attempts,
        "backoff_seconds": backoff_seconds,
        "max_seconds": max_seconds,
        "request_timeout": request_timeout,
        "resend_changed": resend_changed,
        "resend_uncertain": resend_uncertain,
    }
    config: dict[str, Any] = {k: v for k, v in explicit.items() if v is not None}
    # the ledger's location is a real config value: the warehouse's own credentials object and dataset
    config["ledger_credentials"] = warehouse_pipeline.destination_client().config.credentials
    config["ledger_dataset_name"] = warehouse_pipeline.dataset_name
    push = KendoPush(audio_url_fn=audio_url_fn, summary=summary, stop=stop)
    destination = kendo_destination(push, **config)
    # resolved once up front, so a missing key or a bad setting fails before any package is built
    key = destination.configuration(None).api_key
    if key is None or not key.api_key:
        raise KendoAuthError.missing()
    name = push_pipeline_name or f"{warehouse_pipeline.pipeline_name}_kendo_push"
    _run_push_pipeline(warehouse_pipeline, name, destination, push, to_push)
    for uuid, message in summary.failed.items():
        logger.warning("Kendo refused call %s: %s", uuid, message)
    if summary.changed_not_resent:
        logger.warning(
            "%d call(s) changed after they were sent to Kendo and were not re-sent (resend_changed=False): %s",
            len(summary.changed_not_resent),
            ", ".join(summary.changed_not_resent[:20]),
        )
    logger.info("%s", summary)
    return summary


def _as_utc(value: TDateLike) -> datetime:
    moment = parse_instant(value)  # the connector's one date parser (sources/zoom/dates.py)
    if moment is None:
        raise ValueError(f"not a date: {value!r}; use YYYY-MM-DD")
    return moment


def _calls_columns(warehouse_pipeline: dlt.Pipeline) -> set[str]:
    for attempt in range(2):
        for schema in warehouse_pipeline.schemas.values():
            if CALLS_TABLE in schema.tables:
                return set(schema.get_table_columns(CALLS_TABLE))
        if attempt == 0:
            # a fresh working dir (another host, a new CI runner): the schema is in the warehouse
            warehouse_pipeline.sync_destination()
    raise KendoError(
        f"the warehouse pipeline {warehouse_pipeline.pipeline_name!r} has no `{CALLS_TABLE}` table yet;"
        " load Zoom into the warehouse before pushing to Kendo"
    )


def read_ready_calls(
    warehouse_pipeline: dlt.Pipeline,
    sql_client: Any,
    *,
    since: TDateLike | None = None,
    until: TDateLike | None = None,
    rep_emails: Iterable[str] | None = None,
    sources: Iterable[str] = CALL_SOURCES,
) -> list[dict[str, Any]]:
    """Ready calls (`ready` true) from the warehouse, oldest first, after the date, rep and source filters."""
    available = _calls_columns(warehouse_pipeline)
    if "ready" not in available or "meeting_uuid" not in available:
        raise KendoError(f"the warehouse `{CALLS_TABLE}` table has no `ready` / `meeting_uuid` column")
    columns = [c for c in CALL_COLUMNS if c in available]
    where: list[str] = ["ready = TRUE"]
    args: list[Any] = []
    if since is not None:
        where.append("call_date >= %s")
        args.append(_as_utc(since))
    if until is not None:
        where.append("call_date < %s")
        args.append(_as_utc(until))
    if rep_emails is not None:
        emails = sorted({e.strip().lower() for e in rep_emails if e and e.strip()})
        if not emails:
            return []
        where.append(f"LOWER(rep_email) IN ({', '.join(['%s'] * len(emails))})")
        args.extend(emails)
    chosen = set(sources)
    if "phone" not in chosen:  # a warehouse without the column holds meetings only
        where.append("(source IS NULL OR source <> %s)" if "source" in available else "TRUE")
        args.extend([PHONE_SOURCE] if "source" in available else [])
    if "meetings" not in chosen:
        if "source" not in available:
            return []
        where.append("source = %s")
        args.append(PHONE_SOURCE)
    order = "call_date, meeting_uuid" if "call_date" in available else "meeting_uuid"
    sql = (
        f"SELECT {', '.join(columns)} FROM {sql_client.make_qualified_table_name(CALLS_TABLE)}"
        f" WHERE {' AND '.join(where)} ORDER BY {order}"
    )
    result = sql_client.execute_sql(sql, *args) or []
    return [{**dict.fromkeys(CALL_COLUMNS), **dict(zip(columns, r, strict=True))} for r in result]


def plan_push(
    rows: list[dict[str, Any]],
    entries: Mapping[str, LedgerEntry],
    resend_changed: bool,
    resend_uncertain: bool,
    summary: PushSummary,
) -> list[dict[str, Any]]:
    """The rows to post; the ones the ledger says to skip are counted in `summary`. Each posted row is
    decided again, on a fresh ledger read, right before its claim (sender.KendoPush.push_call)."""
    to_push: list[dict[str, Any]] = []
    for row in rows:
        uuid = str(row["meeting_uuid"])
        decision = decide(
            entries.get(uuid),
            payload_hash(build_payload(row)),
            resend_changed=resend_changed,
            resend_uncertain=resend_uncertain,
        )
        if decision.post:
            to_push.append(row)
        else:
            summary.add(decision.bucket, uuid)
    return to_push


def _run_push_pipeline(
    warehouse_pipeline: dlt.Pipeline, name: str, destination: Any, push: KendoPush, rows: list[dict[str, Any]]
) -> None:
    """Loads `rows` into the Kendo destination; a package left by a killed push is loaded first."""
    push_pipeline = dlt.pipeline(
        pipeline_name=name, pipelines_dir=warehouse_pipeline.pipelines_dir, destination=destination
    )
    if not rows and not push_pipeline.has_pending_data:
        return
    # optional text columns may be null in every row of a push: hint them, so dlt neither warns nor drops them
    optional = (
        "rep_name",
        "rep_email",
        "audio_url",
        "audio_file_id",
        "transcript",
        "account_id",
        *PHONE_ONLY_COLUMNS,
    )
    columns: Any = {c: {"data_type": "text", "nullable": True} for c in optional}
    calls = (
        dlt.resource(rows, name=CALLS_TABLE, write_disposition="append", columns=columns) if rows else None
    )
    try:
        if push_pipeline.has_pending_data:
            # a killed push's package: replayed, not discarded (dlt's run() loads only it, then returns)
            logger.info("loading the package of an earlier, interrupted Kendo push first")
            push_pipeline.run()
        if calls is not None and push.fatal_error is None:
            push_pipeline.run(calls)
    except PipelineStepFailed as exc:
        if push.fatal_error is not None:
            raise push.fatal_error from None
        raise KendoError(f"the Kendo push pipeline failed at the {exc.step} step: {exc.exception}") from exc
    finally:
        push.close()
        warehouse_pipeline.activate()
    # a refused key or a wrong URL is raised here, after the run: one line, no dlt job traceback
    if push.fatal_error is not None:
        raise push.fatal_error
