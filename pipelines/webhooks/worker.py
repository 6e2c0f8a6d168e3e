"""The worker: drains the queue in micro-batches, each one dlt run over the instances its events name,
under the same run lock as `zoom-pipeline run`, then (with --push-kendo) a Kendo push.

An event is marked done in the queue only after its batch committed; a crash in between replays the
batch on restart, which is harmless: rows merge on their keys, `webhook_events` on the event key, and
Kendo's claims and ledger never post a call twice. A batch that fails is retried with back-off and, after
`max_attempts` (`--max-attempts`, delays from `--retry-base-seconds`, doubling), its events are kept as `failed` (in the queue and in `webhook_events`), for the scheduled
run to fill the gap.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Dict, List, Optional, Set

import dlt

from sources.zoom import registry
from sources.zoom.retry import backoff

from ..deletion_marks import apply_marks
from ..interrupt import Interrupted
from ..run_lock import RunLock
from . import events as ev
from .metrics import Metrics
from .queue import DONE, FAILED, EventQueue, Item, Row

logger = logging.getLogger("pipelines.webhooks")

MAX_ATTEMPTS = 5  # defaults of `--max-attempts` and `--retry-base-seconds`
RETRY_BASE_SECONDS = 30.0  # doubled per attempt: 30 s, 1, 2, 4 min
LOCK_WAIT_SECONDS = 6 * 3600  # a scheduled run (or a backfill) may hold the lock for long
WEBHOOK_EVENTS = "webhook_events"


@dataclass
class Plan:
    """What one batch does."""

    recordings: Dict[str, Optional[str]] = field(default_factory=dict)  # uuid -> download token
    ended: Set[str] = field(default_factory=set)
    settle: Set[str] = field(default_factory=set)
    gone_recordings: Dict[str, datetime] = field(default_factory=dict)
    deleted_meetings: Dict[str, datetime] = field(default_factory=dict)
    phone_days: Set[date] = field(default_factory=set)  # Zoom Phone recordings' days

    def resources(self) -> List[str]:
        out: List[str] = []
        if self.recordings:
            out += ev.RECORDING_RESOURCES
        if self.ended:
            out += ev.ENDED_RESOURCES
        if self.settle:
            out += ev.SETTLED_RESOURCES
        return out

    def instances(self) -> List[str]:
        return list(dict.fromkeys([*self.recordings, *sorted(self.ended), *sorted(self.settle)]))


def plan(events: List[ev.Event]) -> Plan:
    p = Plan()
    # in Zoom's order: a recording trashed, then recovered in the same batch, is loaded
    for e in sorted(events, key=lambda e: e.event_ts or 0):
        when = ev.event_time(e) or datetime.now(UTC)
        if e.event in ev.RECORDING_READY and e.uuid:
            p.recordings[e.uuid] = e.download_token or p.recordings.get(e.uuid)
            p.gone_recordings.pop(e.uuid, None)
        elif e.event == ev.MEETING_ENDED and e.uuid:
            p.ended.add(e.uuid)
        elif e.event == ev.SETTLE and e.uuid:
            p.settle.add(e.uuid)
        elif e.event in ev.RECORDING_GONE and e.uuid:
            p.gone_recordings[e.uuid] = when
            p.recordings.pop(e.uuid, None)
        elif e.event == ev.MEETING_DELETED and e.object_id and e.operation != ev.SINGLE_OCCURRENCE:
            p.deleted_meetings[e.object_id] = when
        elif e.event in ev.PHONE_READY:
            p.phone_days.update(ev.phone_days(e))
    return p


class Worker(threading.Thread):
    def __init__(
        self,
        pipeline: Any,
        client: Any,
        queue: EventQueue,
        metrics: Metrics,
        stop: threading.Event,
        push_kendo: bool = False,
        settle_seconds: float = 900.0,
        batch_seconds: float = 2.0,
        batch_size: int = 500,
        push: Any = None,
        max_attempts: int = MAX_ATTEMPTS,
        retry_base_seconds: float = RETRY_BASE_SECONDS,
    ) -> None:
        super().__init__(name="webhook-worker", daemon=True)
        self.pipeline = pipeline
        self.client = client
        self.queue = queue
        self.metrics = metrics
        self.stop = stop
        self.push_kendo = push_kendo
        self.settle_seconds = settle_seconds
        self.batch_seconds = batch_seconds
        self.batch_size = batch_size
        self._push = push
        self.max_attempts = max(1, max_attempts)
        self.retry_base_seconds = retry_base_seconds
        self._wake = threading.Event()
        self.error: Optional[BaseException] = None
        self.batches = 0

    def wake(self) -> None:
        """Called by the server (from its event loop) when an event is queued."""
        self._wake.set()

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                due_in = self.queue.next_due_in()
                if due_in is None or due_in > 0:
                    self._wake.wait(timeout=min(due_in if due_in is not None else 60.0, 60.0))
                    self._wake.clear()
                    continue
                # a micro-batch: let the deliveries arriving together join it
                if self.stop.wait(self.batch_seconds):
                    break
                rows = self.queue.due(self.batch_size)
                if rows:
                    self.process(rows)
                    self.metrics.add("pruned", self.queue.prune())
        except Interrupted:
            pass
        except BaseException as exc:  # reported by /healthz and the command's exit
            self.error = exc
            logger.exception("webhook worker stopped")

    def process(self, rows: List[Row]) -> None:
        batch = [ev.from_stored(r.body, r.download_token, r.dedupe_key) for r in rows]
        received = {r.dedupe_key: r.received_at for r in rows}
        try:
            work = plan(batch)  # inside: an event of a shape no one foresaw fails its batch, not the worker
            with RunLock.for_pipeline(self.pipeline, LOCK_WAIT_SECONDS, self.stop):
                self._load(work)
                self._record(batch, received, "processed")
                if work.resources() or work.gone_recordings or work.deleted_meetings:
                    apply_marks(self.pipeline)  # this batch's deletions, and rows a load re-wrote
                sent_at = self._push_calls(work)
        except Interrupted:
            raise
        except Exception as exc:
            self._failed(rows, batch, received, exc)
            return
        now = time.time()
        for e in batch:
            if e.event_ts and e.event != ev.SETTLE:
                self.metrics.observe("event_to_table", now - e.event_ts / 1000)
                if e.uuid in sent_at and e.event in ev.RECORDING_READY:
                    self.metrics.observe("event_to_kendo", sent_at[e.uuid] - e.event_ts / 1000)
        for uuid in work.ended:  # participants once Zoom's participant data has settled
            self.queue.add(_settle_item(uuid, now + self.settle_seconds))
        self.queue.finish([r.seq for r in rows], DONE)
        self.metrics.add("processed", sum(1 for e in batch if e.event != ev.SETTLE))
        self.batches += 1
        logger.info("webhooks: batch of %d event(s) processed", len(rows))

    def _load(self, work: Plan) -> None:
        from ..load import load_zoom

        if work.phone_days:  # a fixed range around the recordings' days: no cursor moves
            first, last = min(work.phone_days), max(work.phone_days)
            load_zoom(
                self.pipeline,
                self.client,
                resources=ev.PHONE_RESOURCES,
                start_date=(first - timedelta(days=1)).isoformat(),
                end_date=(last + timedelta(days=2)).isoformat(),
            )
        resources = work.resources()
        if not resources:
            return
        load_zoom(
            self.pipeline,
            self.client,
            resources=resources,
            instances=work.instances(),
            download_tokens={u: t for u, t in work.recordings.items() if t},
        )

    def _record(
        self, batch: List[ev.Event], received: Dict[str, float], status: str, error: Optional[str] = None
    ) -> None:
        rows = [
            ev.webhook_row(e, received[e.dedupe_key], status, error) for e in batch if e.event != ev.SETTLE
        ]
        if rows:
            write_webhook_events(self.pipeline, rows)

    def _push_calls(self, work: Plan) -> Dict[str, float]:
        if not (self.push_kendo and (work.recordings or work.phone_days)):
            return {}
        if self._push is not None:
            summary = self._push(self.pipeline, self.client, self.stop)
        else:
            from ..push import push_from_config

            summary = push_from_config(self.pipeline, stop=self.stop, client=self.client).summary
        done = time.time()
        return {uuid: done for uuid in list(summary.sent) + list(summary.resent)}

    def _failed(
        self, rows: List[Row], batch: List[ev.Event], received: Dict[str, float], exc: Exception
    ) -> None:
        error = _reason(exc)
        attempts = max(r.attempts for r in rows) + 1
        if attempts < self.max_attempts:
            # the connector's one back-off rule (doubling, jittered): batches that failed together spread out
            delay = backoff(attempts, self.retry_base_seconds, self.retry_base_seconds * 2**self.max_attempts)
            logger.warning("webhooks: batch of %d failed (%s); retrying in %.1f s", len(rows), error, delay)
            self.queue.retry_later([r.seq for r in rows], delay, error)
            self.metrics.add("retried")
            return
        logger.error(
            "webhooks: batch of %d failed %d times (%s); left to the scheduled run",
            len(rows),
            attempts,
            error,
        )
        try:
            with RunLock.for_pipeline(self.pipeline, LOCK_WAIT_SECONDS, self.stop):
                self._record(batch, received, "failed", error)
        except Exception:  # the warehouse itself is down: the queue keeps the record
            logger.exception("webhooks: could not record the failed events")
        self.queue.finish([r.seq for r in rows], FAILED, error)
        self.metrics.add("failed", sum(1 for e in batch if e.event != ev.SETTLE))


def _reason(exc: BaseException) -> str:
    """The innermost error's type and first line: dlt wraps the source's error (PipelineStepFailed, then
    the resource's), and only the innermost names what Zoom answered."""
    seen = {id(exc)}
    while True:
        inner = getattr(exc, "exception", None) or exc.__cause__
        if not isinstance(inner, BaseException) or id(inner) in seen:
            break
        seen.add(id(inner))
        exc = inner
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"[:500]


def _settle_item(uuid: str, not_before: float) -> Item:
    body = ev.Event(ev.SETTLE, None, "", {"uuid": uuid}, "").stored()
    return Item(f"{ev.SETTLE}:{uuid}:{int(not_before)}", ev.SETTLE, None, time.time(), body, None, not_before)


def write_webhook_events(pipeline: Any, rows: List[Dict[str, Any]]) -> None:
    """One dlt run of `webhook_events` rows, merged on `event_key` (a replayed batch adds nothing)."""
    from ..safe_load import run_idempotent

    hints = registry.table(WEBHOOK_EVENTS).side_hints()
    run_idempotent(pipeline, dlt.resource(rows, name=WEBHOOK_EVENTS, **hints))
