"""Dagster definitions for many Zoom accounts: `dagster dev -m pipelines.dagster_defs`.

- `zoom` assets (`@dlt_assets` of dagster-dlt, one asset per table), partitioned by the configured account
  names (`[sources.zoom.accounts.<name>]`, pipelines/accounts.py): one partition = one account = one
  pipeline `zoom_<name>` into its own dataset.
- `zoom_load` job with an hourly schedule (incremental: each run resumes from the account's cursors);
  `kendo_push` job per account, requested by a sensor after each successful load of that account.
- Both call the CLI's functions (pipelines/account_runs.py), so a Dagster run and `zoom-pipeline run
  --account NAME` do the same thing, under the same per-account run lock.
- Concurrency: the ops run in pool `zoom` (how many accounts load at once on an instance); at most one
  run per account is Dagster's run-tag limit on `dagster/partition` (deploy/dagster/dagster.yaml), and the
  per-account run lock is the backstop, whoever starts the run.

The warehouse: `ZOOM_DESTINATION` (duckdb | postgres, default duckdb; Postgres credentials the dlt way) and
`ZOOM_DUCKDB_PATH` (default ./zoom_pipeline.duckdb; each account gets its own file beside it), as in
pipelines/zoom_pipeline.py. `ZOOM_WAIT_LOCK`: seconds a run waits for the account's lock (default 600).
"""

import difflib
import os
from argparse import ArgumentTypeError
from typing import Any, Iterator, Sequence

import dlt
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    AssetSpec,
    DagsterRunStatus,
    Definitions,
    MaterializeResult,
    OpExecutionContext,
    RunRequest,
    RunStatusSensorContext,
    ScheduleEvaluationContext,
    SkipReason,
    StaticPartitionsDefinition,
    define_asset_job,
    job,
    op,
    run_status_sensor,
    schedule,
)
from dagster_dlt import DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from sources.zoom import zoom_source
from sources.zoom.config_values import SettingError
from sources.zoom.credentials import ZoomCredentials
from sources.zoom.factory import make_client

from .account_runs import account_pipeline, load_account, push_account
from .accounts import account_names, get_account
from .cli import DESTINATIONS, _non_negative
from .load import DEFAULT_DUCKDB_PATH

POOL = "zoom"
PARTITION_TAG = "dagster/partition"


SETTINGS = ("ZOOM_DESTINATION", "ZOOM_DUCKDB_PATH", "ZOOM_WAIT_LOCK")


def _check_setting_names() -> None:
    """A misspelt setting would be ignored silently (a load into the wrong warehouse): name it. Only near
    misses count, so other tools' ZOOM_* variables (ZOOM_CLIENT_ID ...) pass; values are never shown."""
    for key in sorted(os.environ):
        if key.startswith("ZOOM_") and key not in SETTINGS:
            near = difflib.get_close_matches(key, SETTINGS, n=1, cutoff=0.8)
            if near:
                raise SettingError(
                    f"{key}: not a setting; did you mean {near[0]}? (one of {', '.join(SETTINGS)})"
                )


def _destination() -> str:
    _check_setting_names()
    value = os.environ.get("ZOOM_DESTINATION", "duckdb")
    if value not in DESTINATIONS:
        raise SettingError(f"ZOOM_DESTINATION: {value!r} is not {' or '.join(DESTINATIONS)}")
    return value


def _duckdb_path() -> str:
    return os.environ.get("ZOOM_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)


def _wait_lock() -> float:
    """Seconds a run waits for the account's lock, read as `--wait-lock` is (0 or more)."""
    try:
        return _non_negative(os.environ.get("ZOOM_WAIT_LOCK", "600"))
    except ArgumentTypeError as exc:
        raise SettingError(f"ZOOM_WAIT_LOCK: {exc} (seconds a run waits for the account's lock)") from None


class ZoomTranslator(DagsterDltTranslator):
    """Asset `zoom/<table>` per table; the hidden feeders (`instances`) are not assets."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        return spec.replace_attributes(key=AssetKey(["zoom", data.resource.name]), deps=[])


def _shape_source() -> Any:
    """The source's shape for the asset specs (no request is made: the client is never used)."""
    creds = ZoomCredentials()
    creds.account_id, creds.client_id, creds.client_secret = "definitions", "definitions", "definitions"
    return zoom_source(credentials=creds, client=make_client(creds))


def build_definitions(names: Sequence[str]) -> Definitions:
    """The assets, jobs, schedule and sensor for these account names (tests pass their own)."""
    accounts = StaticPartitionsDefinition(list(names))

    @dlt_assets(
        dlt_source=_shape_source(),
        dlt_pipeline=dlt.pipeline("zoom_dagster_definitions", destination="duckdb", dataset_name="zoom"),
        name="zoom",
        partitions_def=accounts,
        dagster_dlt_translator=ZoomTranslator(),
        pool=POOL,
    )
    def zoom_assets(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        """Loads the partition's account with `load_account`, the function behind `zoom-pipeline run`."""
        account = get_account(context.partition_key)
        tables = sorted(key.path[-1] for key in context.selected_asset_keys)
        everything = set(context.selected_asset_keys) == set(zoom_assets.keys)
        pipeline = account_pipeline(account, _destination(), _duckdb_path())
        summary, _ = load_account(
            account,
            pipeline,
            wait_lock=_wait_lock(),
            out=context.log.info,
            resources=None if everything else tables,
        )
        for table in tables:
            yield MaterializeResult(
                asset_key=AssetKey(["zoom", table]),
                metadata={"rows_loaded": summary.rows.get(table, 0), "dataset": pipeline.dataset_name},
            )

    zoom_load = define_asset_job(
        "zoom_load", selection=AssetSelection.assets(zoom_assets), partitions_def=accounts
    )

    @op(pool=POOL)
    def kendo_push_op(context: OpExecutionContext) -> None:
        """Pushes the partition's account to its Kendo team with `push_account` (`zoom-pipeline push`)."""
        account = get_account(context.partition_key)
        pipeline = account_pipeline(account, _destination(), _duckdb_path())
        report = push_account(account, pipeline, wait_lock=_wait_lock(), out=context.log.info)
        left = report.unfinished()
        if left:  # pending calls are retried by the next push; say so without failing the run
            context.log.warning(f"calls not sent: {left}; see them: {report.see_command}")

    @job(partitions_def=accounts)
    def kendo_push() -> None:
        kendo_push_op()

    @schedule(cron_schedule="0 * * * *", job=zoom_load)
    def zoom_hourly(context: ScheduleEvaluationContext) -> Iterator[RunRequest]:
        """Every hour, an incremental load of each account (one run per account)."""
        hour = context.scheduled_execution_time.strftime("%Y%m%dT%H")
        for name in accounts.get_partition_keys():
            yield RunRequest(run_key=f"{name}-{hour}", partition_key=name)

    @run_status_sensor(run_status=DagsterRunStatus.SUCCESS, request_job=kendo_push)
    def push_after_load(context: RunStatusSensorContext) -> Any:
        """After an account's load succeeds, push its new calls to Kendo."""
        run = context.dagster_run
        name = run.tags.get(PARTITION_TAG)
        if run.job_name == kendo_push.name or name not in accounts.get_partition_keys():
            return SkipReason("not a load of a configured account")
        return RunRequest(run_key=f"push-{run.run_id}", partition_key=name)

    return Definitions(
        assets=[zoom_assets],
        jobs=[zoom_load, kendo_push],
        schedules=[zoom_hourly],
        sensors=[push_after_load],
    )


def check_dagster_home() -> None:
    """Dagster reads only $DAGSTER_HOME/dagster.yaml and ignores its absence (or a dagster.yml): then one
    account's runs overlap and pool `zoom` is unbounded, silently. Without DAGSTER_HOME (a bare `dagster
    dev`) the instance is temporary: nothing to check."""
    home = os.environ.get("DAGSTER_HOME")
    if home and os.path.isdir(home) and not os.path.isfile(os.path.join(home, "dagster.yaml")):
        raise SettingError(
            f"DAGSTER_HOME: {home} has no dagster.yaml (Dagster reads only that name): "
            "copy deploy/dagster/dagster.yaml there"
        )


check_dagster_home()
defs = build_definitions(account_names())
