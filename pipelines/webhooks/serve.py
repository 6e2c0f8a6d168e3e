"""`zoom-pipeline webhooks serve`: the aiohttp receiver, the queue worker and, with --run-every, the
scheduled incremental run, in one process.

aiohttp (already a dependency: the emulators are built on it) serves the routes from one event loop
thread; loads run in worker threads, so acknowledging never waits for a load. Signals stop all three:
the server stops accepting, the batch in progress finishes (or is replayed on the next start), exit 130.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Optional

import dlt

from sources.zoom.config_values import SettingError

from ..interrupt import Interrupted
from ..run_lock import LockHeld, _FileLock
from .app import build_app
from .metrics import Metrics
from .queue import EventQueue
from .worker import LOCK_WAIT_SECONDS, Worker

logger = logging.getLogger("pipelines.webhooks")

SECRET_SETTING = "sources.zoom.webhook_secret_token"


def webhook_secret(account: Optional[str] = None) -> str:
    """The Zoom app's Secret Token; a named account's own (its app's), never the unnamed account's: that
    would let another app's events into this account's dataset."""
    setting = f"sources.zoom.accounts.{account}.webhook_secret_token" if account else SECRET_SETTING
    value: Any = dlt.secrets.get(setting)
    if not value or not isinstance(value, str):
        raise SettingError(
            f"{setting} is not set: put your Zoom app's Secret Token in .dlt/secrets.toml or set "
            f"{setting.upper().replace('.', '__')}"
        )
    return value


class ServerRunning(LockHeld):
    """Another `webhooks serve` of the same pipeline drains this queue (exit 75, like a held run lock)."""

    def __init__(self, pipeline_name: str, holder: str) -> None:
        Exception.__init__(
            self,
            f"another webhooks server of {pipeline_name} runs since {holder}; one per account and machine",
        )
        self.pipeline_name = pipeline_name


def server_lock(pipeline: Any) -> _FileLock:
    """Held while serving: a second server would drain the same queue and load each event twice."""
    lock = _FileLock(queue_path(pipeline).with_suffix(".server.lock"))
    me = {
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }
    holder = lock.try_acquire(me)
    if holder is not None:
        raise ServerRunning(pipeline.pipeline_name, holder)
    return lock


def queue_path(pipeline: Any) -> Path:
    """Beside the pipeline's working dir: `<pipelines_dir>/<pipeline>.webhooks.sqlite`."""
    return Path(pipeline.pipelines_dir) / f"{pipeline.pipeline_name}.webhooks.sqlite"


class Scheduled(threading.Thread):
    """`--run-every`: the incremental run (and push) every N minutes, under the same lock as the worker, through
    the function behind `zoom-pipeline run` (the account's start date, the analyst views), with the server's
    client (one pacer for the process)."""

    def __init__(
        self,
        account: Any,
        pipeline: Any,
        client: Any,
        minutes: float,
        push_kendo: bool,
        stop: threading.Event,
        metrics: Metrics,
    ) -> None:
        super().__init__(name="scheduled-run", daemon=True)
        self.account = account
        self.pipeline = pipeline
        self.client = client
        self.seconds = minutes * 60
        self.push_kendo = push_kendo
        self.stop = stop
        self.metrics = metrics

    def run(self) -> None:
        from ..account_runs import load_account

        while not self.stop.is_set():
            started = time.monotonic()
            try:
                summary, report = load_account(
                    self.account,
                    self.pipeline,
                    stop=self.stop,
                    wait_lock=LOCK_WAIT_SECONDS,
                    out=lambda text: None,  # one line each below, not the whole summary
                    push={} if self.push_kendo else None,
                    client=self.client,
                )
                logger.info("scheduled run: %s", summary.lines()[0])
                if report is not None:
                    logger.info("scheduled push: %s", report.lines()[0])
                self.metrics.add("scheduled_runs")
            except Interrupted:
                return
            except Exception as exc:  # the next run retries; the events keep flowing meanwhile
                self.metrics.add("scheduled_failed")
                logger.error("scheduled run failed: %s", exc)
            self.stop.wait(max(1.0, self.seconds - (time.monotonic() - started)))


def serve(args: argparse.Namespace) -> int:
    from dlt.common.runtime.collector import NULL_COLLECTOR

    from ..account_runs import account_pipeline
    from ..accounts import get_account

    # a long-running process: no progress bars per batch, one log line each instead
    account = get_account(getattr(args, "account", None))  # --account NAME: that account's pipeline and token
    secret = webhook_secret(account.name)
    pipeline = account_pipeline(
        account, args.destination, args.duckdb_path, args.dataset, progress=NULL_COLLECTOR
    )
    # our own stop: set on Ctrl-C / SIGTERM (args.stop, seen by _serve) and when serving fails, so a failure
    # (the port taken, the worker dead) exits 1 naming it, not 130 "interrupted"
    signalled: threading.Event = args.stop
    stop = threading.Event()
    if args.push_kendo:
        from ..push import require_kendo_key

        require_kendo_key(pipeline)  # else every batch would fail at its push, retried for minutes
    lock = server_lock(pipeline)
    try:
        return _serve_locked(args, pipeline, account, secret, signalled, stop)
    finally:
        lock.release()


def _serve_locked(
    args: argparse.Namespace,
    pipeline: Any,
    account: Any,
    secret: str,
    signalled: threading.Event,
    stop: threading.Event,
) -> int:
    from ..accounts import account_client

    queue = EventQueue(queue_path(pipeline), max_pending=args.max_queued)
    metrics = Metrics()
    client = account_client(account)
    client.stop = stop
    worker = Worker(
        pipeline,
        client,
        queue,
        metrics,
        stop,
        push_kendo=args.push_kendo,
        settle_seconds=args.settle_minutes * 60,
        batch_seconds=args.batch_seconds,
        max_attempts=args.max_attempts,
        retry_base_seconds=args.retry_base_seconds,
    )
    metrics.gauge("queue_depth", "events waiting in the durable queue", lambda: queue.pending_cache)
    metrics.gauge("queue_limit", "events the queue holds before answering 503", lambda: queue.max_pending)
    if queue.pending_cache:
        logger.info("webhooks: %d queued event(s) from before the restart", queue.pending_cache)
    worker.start()
    scheduled: Optional[Scheduled] = None
    if args.run_every:
        scheduled = Scheduled(account, pipeline, client, args.run_every, args.push_kendo, stop, metrics)
        scheduled.start()
    app = build_app(
        secret,
        queue,
        metrics,
        on_queued=worker.wake,
        max_body_bytes=args.max_body_bytes,
        healthy=lambda: worker.is_alive() and worker.error is None,
    )
    try:
        asyncio.run(_serve(app, args.host, args.port, signalled, worker))
    finally:
        stop.set()
        worker.wake()
        worker.join(timeout=60)
        if scheduled is not None:
            scheduled.join(timeout=60)
        queue.close()
    if worker.error is not None:
        raise worker.error
    return 0


async def _serve(app: Any, host: str, port: int, stop: threading.Event, worker: Worker) -> None:
    from aiohttp import web

    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    # backlog: a burst of a thousand deliveries must not be refused at the socket
    site = web.TCPSite(runner, host, port, backlog=2048, reuse_address=True)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        flag = f"--port {port}" if exc.errno == errno.EADDRINUSE else f"--host {host} --port {port}"
        raise SettingError(f"{flag}: cannot listen there ({exc.strerror or exc}); pick another") from None
    print(
        f"Listening on http://{host}:{port}/zoom/webhooks (metrics: /metrics, health: /healthz)", flush=True
    )
    try:
        while not stop.is_set() and worker.is_alive():
            await asyncio.sleep(0.2)
    finally:
        await runner.cleanup()
