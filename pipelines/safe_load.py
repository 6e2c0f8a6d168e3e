"""Exactly-once replay of pending load packages after a crash (dlt 1.31, DuckDB / Postgres).

The bug
-------
A SIGKILL during the load step could leave a ``merge`` table holding every row twice, with the
same ``_dlt_id`` (DuckDB), or leave the package stuck on
``duplicate key value violates unique constraint "<table>__dlt_id_key"`` (Postgres, where dlt
creates a UNIQUE index on ``_dlt_id``). Reproduced with real SIGKILLs, first load into an empty
destination included; see ``tests/test_kill_during_load.py``.

Cause
-----
The DB commit of a load job and dlt's record that the job is done are two separate, non-atomic
steps. A copy job (``insert_values`` / ``parquet`` / ``jsonl`` file -> table) runs in a worker
thread:

1. ``job.run()`` inserts the file and COMMITs (``InsertValuesLoadJob`` in one transaction,
   ``DuckDbCopyJob`` in one ``INSERT ... SELECT FROM read_parquet``);
2. ``RunnableLoadJob.run_managed`` leaves ``with job_client:``, which closes the connection. On
   DuckDB, closing the last connection checkpoints the WAL into the file, which we measured at up
   to ~300-430 ms for 20k rows, so this window is wide;
3. only then ``_release()`` writes ``.pending_transitions/<job file>``, and later the main thread
   moves the file from ``started_jobs`` to ``completed_jobs``.

If the process dies between 1 and 3, the job is still in ``started_jobs`` with no pending
transition. On the next run ``Load.resume_started_jobs`` re-submits it (``restore=True``) and the
file is inserted a second time. ``initialize_package`` does not truncate the staging tables again
on a replay (the schema update is applied only once per package).

For a ``merge`` table the rows go to ``<dataset>_staging.<table>``, so the staging table now holds
the file twice. ``SqlMergeFollowupJob.gen_merge_sql`` then:

* dedups a root table *without* nested tables inline (``ROW_NUMBER() OVER (PARTITION BY pk)``),
  so that case is safe;
* dedups nested tables by their row key (``_dlt_id``), so nested tables are safe;
* for a root table WITH nested tables (our normal case: Zoom rows have lists) builds a temp table
  of the winning ``_dlt_id`` per primary key and inserts
  ``... FROM staging.root WHERE _dlt_id IN (temp)``. Both staged copies have the same ``_dlt_id``,
  so both pass, and the root table gets every row of the replayed file twice.

The ``upsert`` strategy does not help: its ``MERGE`` inserts both unmatched copies on a first load
(DuckDB), and Postgres rejects them on the ``_dlt_id`` unique index. Tables loaded straight into the
destination (``append``, ``replace`` with truncate-and-insert, and dlt's own ``_dlt_pipeline_state``)
duplicate directly. A kill after ``complete_load`` but before the package is archived leaves a
second ``_dlt_loads`` row. The merge SQL job itself is safe: it runs in one transaction on
DuckDB and Postgres, and a replay recomputes the same result from the unchanged staging tables.

The fix
-------
:func:`repair_pending_packages` runs before dlt's loader touches a pending package. It finds every
copy job that *may* have committed without being recorded: a file in ``started_jobs`` without a
``completed``/``failed`` pending transition, or a copy job sent back to ``new_jobs`` for a retry
(``retry_count > 0``). The second case covers a plain dlt replay that failed on Postgres's
``_dlt_id`` unique index: the first attempt's rows are still in staging. The DB might hold the
job's rows or not, so the repair puts the affected table back into a known state and requeues
every copy job that wrote to it:

* a table loaded through the staging dataset (``merge`` of every strategy, ``replace`` with a
  staging strategy): TRUNCATE the staging tables of the whole table chain (root and nested) and
  move all of the chain's copy jobs back to ``new_jobs``. The chain's merge job cannot exist yet:
  dlt creates it only after every copy job of the chain has completed. So staging is rebuilt
  from scratch and holds each file exactly once;
* a root table loaded straight into the destination:
  ``DELETE FROM <table> WHERE _dlt_load_id = <this package>`` (the package is not complete, so
  those rows are exactly this package's rows for the table) and requeue all its copy jobs;
* a nested table loaded straight into the destination (append or replace with nested rows) has
  no ``_dlt_load_id``, so its rows can't be told apart. We raise :class:`UnsafeReplayError`
  instead of replaying. Fail closed: never duplicate. Our Zoom tables are all ``merge``;
* ``DELETE FROM _dlt_loads WHERE load_id = <pending package>``, because dlt inserts that row again
  when it completes the package.

File moves are ordered so the repair can itself be killed at any point and redone. The staging
truncate or delete runs first. Then each pending-transition marker is cleared before its file is
moved. The suspect files move last, so the trigger for a repair stays until the repair is done.

SQL jobs (merge / replace follow-ups) are left to dlt's replay: each runs in one transaction and
is idempotent as long as staging is unchanged, which the above guarantees. A merge that is killed
midway rolls back.

Not covered: a job that commits and then raises inside the same process (e.g. the connection
close fails after the COMMIT). dlt retries it at once, in-process, with no chance to repair.
Killing the process (SIGKILL, OOM, a lost node) is covered.

Usage
-----
::

    from pipelines.safe_load import configure_idempotent_load, run_idempotent

    pipeline = dlt.pipeline(...)
    configure_idempotent_load(pipeline)  # every pipeline.run()/load() now repairs first
    pipeline.run(source)

    # or, explicitly:
    info = run_idempotent(pipeline, source, loader_file_format="parquet")

Every process that might load a pending package of this pipeline must go through one of these.
A plain ``pipeline.run()`` on an unconfigured ``Pipeline`` object replays unprotected. Only SQL
destinations without a separate staging destination (bucket) are handled. That covers DuckDB and
Postgres, which is what we use. Relies on dlt 1.31 internals (``Pipeline._get_load_storage``,
``Pipeline._get_destination_clients``, ``PackageStorage._move_job``), so re-check it when
upgrading dlt.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Set, Tuple

from dlt.common.destination.client import WithStagingDataset
from dlt.common.pipeline import LoadInfo
from dlt.common.schema import Schema
from dlt.common.schema.utils import get_nested_tables, get_root_table, is_nested_table
from dlt.common.storages.load_package import PackageStorage, ParsedLoadJobFileName
from dlt.pipeline.pipeline import Pipeline

logger = logging.getLogger(__name__)

__all__ = [
    "RepairReport",
    "UnsafeReplayError",
    "configure_idempotent_load",
    "load_idempotent",
    "repair_pending_packages",
    "run_idempotent",
]

_STARTED = "started_jobs"
_COMPLETED = "completed_jobs"
_NEW = "new_jobs"
_LOAD_ID_COLUMN = "_dlt_load_id"


class UnsafeReplayError(RuntimeError):
    """A pending package can't be replayed without risking duplicates, so we refuse to load it."""


@dataclass
class RepairReport:
    """What :func:`repair_pending_packages` did, per load id."""

    truncated_staging: Dict[str, List[str]] = field(default_factory=dict)
    deleted_by_load_id: Dict[str, List[str]] = field(default_factory=dict)
    requeued_jobs: Dict[str, List[str]] = field(default_factory=dict)
    cleared_loads_rows: List[str] = field(default_factory=list)

    @property
    def repaired(self) -> bool:
        return bool(self.truncated_staging or self.deleted_by_load_id or self.requeued_jobs)


def _is_copy_job(job: ParsedLoadJobFileName) -> bool:
    """Copy jobs insert a file's rows. ``sql`` follow-up jobs are transactional and idempotent."""
    return job.file_format != "sql"


def _has_recorded_outcome(packages: PackageStorage, load_id: str, file_name: str) -> bool:
    pending = packages.load_pending_transition(load_id, file_name)
    return pending is not None and pending[0] in ("completed", "failed")


def _is_suspect(packages: PackageStorage, load_id: str, state: str, job: ParsedLoadJobFileName) -> bool:
    """A copy job that ran before and may have committed without dlt recording it: killed while in
    ``started_jobs``, or sent back to ``new_jobs`` for a retry (e.g. by a replay that failed on the
    rows its first run had already committed)."""
    if not _is_copy_job(job):
        return False
    if state == _STARTED:
        return not _has_recorded_outcome(packages, load_id, job.file_name())
    return state == _NEW and job.retry_count > 0


def _existing_tables(job_client: Any, names: List[str]) -> List[str]:
    return [name for name, columns in job_client.get_storage_tables(names) if columns]


def _requeue(
    packages: PackageStorage,
    load_id: str,
    jobs: List[Tuple[str, ParsedLoadJobFileName]],
    report: RepairReport,
) -> None:
    """Move copy jobs back to ``new_jobs``. Jobs in ``started_jobs`` without a recorded outcome
    move last, and each marker is cleared before its file moves, so a kill here is redone by the
    next repair."""
    ordered = sorted(jobs, key=lambda sj: _is_suspect(packages, load_id, sj[0], sj[1]))
    for state, job in ordered:
        file_name = job.file_name()
        packages.clear_pending_transition(load_id, file_name)
        if state != _NEW:
            packages._move_job(load_id, state, _NEW, file_name)  # type: ignore[arg-type]
        report.requeued_jobs.setdefault(load_id, []).append(file_name)


def _repair_package(pipeline: Pipeline, packages: PackageStorage, load_id: str, report: RepairReport) -> None:
    all_jobs = packages.list_all_jobs_with_states(load_id)
    suspects = [job for state, job in all_jobs if _is_suspect(packages, load_id, state, job)]
    # a stale _dlt_loads row (killed after complete_load) is harmless to remove: dlt re-inserts it
    loads_row_stale = not any(state in (_NEW, _STARTED) for state, _ in all_jobs)
    if not suspects and not loads_row_stale:
        return

    schema: Schema = packages.load_schema(load_id)
    tables = schema.tables
    job_client = pipeline._get_destination_clients(schema)[0]
    with job_client:
        if loads_row_stale:
            sql = job_client.sql_client  # type: ignore[attr-defined]
            if _existing_tables(job_client, [schema.loads_table_name]):
                sql.execute_sql(
                    f"DELETE FROM {sql.make_qualified_table_name(schema.loads_table_name)}"
                    " WHERE load_id = %s",
                    load_id,
                )
                report.cleared_loads_rows.append(load_id)
        if not suspects:
            return

        staged_roots: Set[str] = set()
        direct_tables: Set[str] = set()
        for job in suspects:
            table = tables[job.table_name]
            uses_staging = isinstance(
                job_client, WithStagingDataset
            ) and job_client.should_load_data_to_staging_dataset(job.table_name)
            if uses_staging:
                staged_roots.add(get_root_table(tables, job.table_name)["name"])
            elif is_nested_table(table) or _LOAD_ID_COLUMN not in table.get("columns", {}):
                raise UnsafeReplayError(
                    f"Load package {load_id}: copy job {job.file_name()} into `{job.table_name}` "
                    "was interrupted after it may have committed. The table is loaded directly "
                    f"(not through staging) and has no `{_LOAD_ID_COLUMN}`, so its rows from this "
                    "package can't be removed before the replay. Refusing to replay rather than "
                    "duplicate rows. Load this table with `merge`, or inspect the table and then "
                    f"run `dlt pipeline {pipeline.pipeline_name} drop-pending-packages`."
                )
            else:
                direct_tables.add(job.table_name)

        # 1. staging chains: truncate the staging tables of the chain, requeue all its copy jobs
        for root in sorted(staged_roots):
            chain = [t["name"] for t in get_nested_tables(tables, root)]
            chain_set = set(chain)
            chain_jobs = [(s, j) for s, j in all_jobs if j.table_name in chain_set]
            if any(not _is_copy_job(j) for _, j in chain_jobs):
                # dlt creates the chain's follow-up only after all its copy jobs completed
                raise UnsafeReplayError(
                    f"Load package {load_id}: table chain `{root}` has a follow-up job while a copy"
                    " job is unrecorded. This state is not expected; refusing to replay."
                )
            with job_client.with_staging_dataset():  # type: ignore[attr-defined]
                existing = _existing_tables(job_client, chain)
                if existing:
                    job_client.sql_client.truncate_tables(*existing)  # type: ignore[attr-defined]
            report.truncated_staging.setdefault(load_id, []).extend(existing)
            _requeue(
                packages,
                load_id,
                [(s, j) for s, j in chain_jobs if s in (_STARTED, _COMPLETED, _NEW)],
                report,
            )

        # 2. root tables loaded in place: delete this package's rows, requeue all their copy jobs
        for name in sorted(direct_tables):
            sql = job_client.sql_client  # type: ignore[attr-defined]
            if _existing_tables(job_client, [name]):
                sql.execute_sql(
                    f"DELETE FROM {sql.make_qualified_table_name(name)}"
                    f" WHERE {sql.escape_column_name(_LOAD_ID_COLUMN)} = %s",
                    load_id,
                )
            report.deleted_by_load_id.setdefault(load_id, []).append(name)
            _requeue(
                packages,
                load_id,
                [
                    (s, j)
                    for s, j in all_jobs
                    if j.table_name == name and s in (_STARTED, _COMPLETED, _NEW) and _is_copy_job(j)
                ],
                report,
            )


def repair_pending_packages(pipeline: Pipeline) -> RepairReport:
    """Make every pending (normalized) package of ``pipeline`` safe to replay. See the module docstring.

    Idempotent, and cheap when nothing was interrupted: no destination connection is opened
    unless a package has an unrecorded copy job or is fully done. Raises
    :class:`UnsafeReplayError` when a package can't be replayed without risking duplicates.
    """
    report = RepairReport()
    load_ids = pipeline.list_normalized_load_packages()
    if not load_ids:
        return report
    if pipeline.staging is not None:
        logger.warning(
            "safe_load: pipeline %s has a staging destination; replay repair is not implemented for it",
            pipeline.pipeline_name,
        )
        return report
    packages = pipeline._get_load_storage().normalized_packages
    for load_id in load_ids:
        if packages.has_abort_flag(load_id):
            continue
        _repair_package(pipeline, packages, load_id, report)
    if report.repaired or report.cleared_loads_rows:
        logger.warning("safe_load: repaired interrupted load packages before replay: %s", report)
    return report


def configure_idempotent_load(pipeline: Pipeline) -> Pipeline:
    """Wrap ``pipeline.load`` on this instance so every load, including the one inside
    ``pipeline.run()``, first calls :func:`repair_pending_packages`. Safe to call twice."""
    if getattr(pipeline.load, "_safe_load_wrapped", False):
        return pipeline
    original = pipeline.load

    @functools.wraps(original)
    def load(*args: Any, **kwargs: Any) -> LoadInfo:
        repair_pending_packages(pipeline)
        return original(*args, **kwargs)

    load._safe_load_wrapped = True  # type: ignore[attr-defined]
    pipeline.load = load  # type: ignore[method-assign]
    return pipeline


def run_idempotent(pipeline: Pipeline, data: Any = None, **run_kwargs: Any) -> LoadInfo:
    """``pipeline.run(data, **run_kwargs)`` with pending packages repaired first.

    As with plain dlt, if a pending package exists, ``run`` loads it and returns without
    extracting ``data``, so call it again to load new data.
    """
    configure_idempotent_load(pipeline)
    return pipeline.run(data, **run_kwargs)


def load_idempotent(pipeline: Pipeline, **load_kwargs: Any) -> LoadInfo:
    """``pipeline.load(**load_kwargs)`` with pending packages repaired first."""
    configure_idempotent_load(pipeline)
    return pipeline.load(**load_kwargs)
