"""Load and push one account: the functions behind `zoom-pipeline run/push` and the Dagster assets and jobs
(pipelines/dagster_defs.py), so there is one code path whichever way a run starts."""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, List, Optional

from dlt.pipeline.pipeline import Pipeline

from .accounts import Account, account_client
from .load import DEFAULT_DUCKDB_PATH, LoadSummary, load_zoom, make_pipeline

Out = Callable[[str], None]


def account_pipeline(
    account: Account,
    destination: str = "duckdb",
    duckdb_path: str = DEFAULT_DUCKDB_PATH,
    dataset: Optional[str] = None,
    **kwargs: Any,
) -> Pipeline:
    """The account's warehouse pipeline: `zoom_<name>` into dataset `zoom_<name>` (its own DuckDB file)."""
    return make_pipeline(
        destination,
        dataset or account.dataset,
        account.duckdb_path(duckdb_path),
        pipeline_name=account.pipeline_name,
        **kwargs,
    )


def load_account(
    account: Account,
    pipeline: Pipeline,
    *,
    stop: Optional[threading.Event] = None,
    wait_lock: float = 0,
    out: Out = print,
    push: Optional[Dict[str, Any]] = None,
    client: Any = None,
    **load_kwargs: Any,
) -> tuple[LoadSummary, Optional[Any]]:
    """Under the run lock: loads Zoom, refreshes the analyst views and, with `push` (push_account's
    arguments), pushes new calls to Kendo with the same client. Returns the load summary and the push report.

    `client`: a long-running caller's own (the webhook server's, shared with its worker: one pacer); else
    the account's, made here and closed after."""
    from .analyst.views import create_views
    from .push import require_kendo_key
    from .run_lock import RunLock

    stop = stop or threading.Event()
    if push is not None and not push.get("dry_run"):
        require_kendo_key(pipeline)  # not after an hour of backfill
    own_client = client is None
    with RunLock.for_pipeline(pipeline, wait_lock, stop):
        if own_client:
            client = account_client(account)
            client.stop = stop
        try:
            if account.start_date and not load_kwargs.get("start_date"):
                load_kwargs["start_date"] = account.start_date
            summary = load_zoom(pipeline, client, **load_kwargs)
            out("\n".join(summary.lines()))
            out(f"Analyst views: {', '.join(create_views(pipeline))} (docs/ANALYST.md)")
            report = None
            if push is not None:
                report = _push(account, pipeline, stop=stop, client=client, out=out, **push)
            return summary, report
        finally:
            if own_client and account.name is not None:
                client.close()


def push_account(
    account: Account,
    pipeline: Pipeline,
    *,
    stop: Optional[threading.Event] = None,
    wait_lock: float = 0,
    out: Out = print,
    **push_kwargs: Any,
) -> Any:
    """Under the run lock: pushes the account's ready calls to its Kendo team (push_from_config)."""
    from .run_lock import RunLock

    stop = stop or threading.Event()
    with RunLock.for_pipeline(pipeline, wait_lock, stop):
        return _push(account, pipeline, stop=stop, out=out, **push_kwargs)


def _push(account: Account, pipeline: Pipeline, *, stop: threading.Event, out: Out, **kwargs: Any) -> Any:
    from .interrupt import Interrupted
    from .push import push_from_config

    if stop.is_set():
        raise Interrupted()
    # the account's Kendo key and Zoom client come with its pipeline (push_from_config)
    report = push_from_config(pipeline, stop=stop, **kwargs)
    out("\n".join(report.lines()))
    return report


def last_runs(accounts: List[Account], destination: str, duckdb_path: str) -> List[str]:
    """One line per account: name, pipeline, dataset and when its last load finished (from local state)."""
    import dlt

    lines = []
    for account in accounts:
        when = "never"
        try:
            pipeline = dlt.attach(account.pipeline_name)
            trace = pipeline.last_trace
            if trace is not None and trace.finished_at is not None:
                when = f"{trace.finished_at.isoformat(timespec='seconds')}"
                when += " (failed)" if any(s.step_exception for s in trace.steps) else ""
        except Exception:  # never run on this machine
            pass
        where = account.duckdb_path(duckdb_path) if destination == "duckdb" else "postgres"
        lines.append(
            f"{account.name:<20} {account.pipeline_name:<26} {account.dataset:<26} {where}  last run: {when}"
        )
    return lines
