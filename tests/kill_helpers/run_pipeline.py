"""Subprocess for tests/test_kill_during_load.py: one `pipeline.run()` of a stand-in merge pipeline.

Usage: run_pipeline.py <workdir> <duckdb|postgres> <dataset> <rows> <plain|safe> <version> <loader_file_format>

`version` changes the row payloads, so a second load updates rows that already exist.
`KILL_AT` (env) makes this process SIGKILL itself at an exact point of dlt's load step, by
monkeypatching dlt internals in this subprocess only:
  copy:<table>   right after a copy job into <table> (staging or destination) has committed,
                 before dlt records it (the pending transition / completed_jobs move)
  sql:<table>    right after the merge SQL job of root <table> has committed, before dlt records it
  complete_load  right after the `_dlt_loads` row is inserted, before the package is archived
"""

from __future__ import annotations

import os
import signal
import sys

workdir, dest, dataset, rows, mode, version, file_format = sys.argv[1:8]
n = int(rows)
os.environ["DLT_DATA_DIR"] = os.path.join(workdir, "dlt_data")
os.environ["DLT_PROJECT_DIR"] = workdir
os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
os.environ.setdefault("RUNTIME__LOG_LEVEL", "CRITICAL")

import dlt  # noqa: E402
from dlt.common.destination.client import RunnableLoadJob  # noqa: E402
from dlt.common.storages.load_package import ParsedLoadJobFileName  # noqa: E402
from dlt.destinations.job_client_impl import SqlJobClientBase  # noqa: E402


def _die(where: str) -> None:
    sys.stderr.write(f"KILL_AT hit: {where}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


kill_at = os.environ.get("KILL_AT", "")
if kill_at.startswith(("copy:", "sql:")):
    kind, table = kill_at.split(":", 1)
    _run_managed = RunnableLoadJob.run_managed

    def run_managed(self: RunnableLoadJob, job_client, done_event, /):  # type: ignore[no-untyped-def]
        job = ParsedLoadJobFileName.parse(self.file_name())
        is_sql = job.file_format == "sql"
        if job.table_name == table and is_sql == (kind == "sql"):
            inner_run = self.run

            def run() -> None:
                inner_run()  # returns after the job's transaction has committed
                _die(self.file_name())

            self.run = run  # type: ignore[method-assign]
        return _run_managed(self, job_client, done_event)

    RunnableLoadJob.run_managed = run_managed  # type: ignore[method-assign]
elif kill_at == "complete_load":
    _complete_load = SqlJobClientBase.complete_load

    def complete_load(self: SqlJobClientBase, load_id: str) -> None:
        _complete_load(self, load_id)
        _die("complete_load")

    SqlJobClientBase.complete_load = complete_load  # type: ignore[method-assign]


@dlt.resource(primary_key="id", write_disposition="merge")
def items():  # type: ignore[no-untyped-def]
    for i in range(n):
        yield {"id": i, "name": f"item {i} v{version}", "tags": [{"t": f"a{i}"}, {"t": f"b{i} v{version}"}]}


@dlt.resource(primary_key="uid", write_disposition="merge")
def others():  # type: ignore[no-untyped-def]
    for i in range(n // 2):
        yield {"uid": i, "v": f"{i} v{version}", "sub": [{"x": i}]}


if dest == "duckdb":
    destination = dlt.destinations.duckdb(os.path.join(workdir, "kill_pipeline.duckdb"))
else:
    destination = dlt.destinations.postgres(os.environ["KILL_TEST_POSTGRES_URL"])

pipeline = dlt.pipeline("kill_pipeline", destination=destination, dataset_name=dataset)
kwargs = {} if file_format == "default" else {"loader_file_format": file_format}
if mode == "safe":
    from pipelines.safe_load import run_idempotent

    info = run_idempotent(pipeline, [items(), others()], **kwargs)
else:
    info = pipeline.run([items(), others()], **kwargs)
print("LOADED", ",".join(info.loads_ids))
