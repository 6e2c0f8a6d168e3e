"""The receiver's counters and latencies, served by GET /metrics in Prometheus' text format (0.0.4).

Written by hand (a dozen lines) rather than adding prometheus_client: nothing else needs it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Callable, Dict, List, Tuple

# latency buckets, seconds: Zoom's 3 s ack deadline up to the one-minute event-to-Kendo target
BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 45, 60, 120, 300, 900, 3600)
PREFIX = "zoom_webhooks"


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)
        self.total = 0
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.total += 1
        self.sum += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1

    def lines(self, name: str) -> List[str]:
        out = [f"# TYPE {name} histogram"]
        out += [f'{name}_bucket{{le="{b}"}} {c}' for b, c in zip(BUCKETS, self.counts, strict=True)]
        out += [
            f'{name}_bucket{{le="+Inf"}} {self.total}',
            f"{name}_sum {self.sum:.3f}",
            f"{name}_count {self.total}",
        ]
        return out


class Metrics:
    """Thread-safe: the server's event loop and the worker thread both write."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received = 0
        self.duplicates = 0
        self.queued = 0
        self.processed = 0
        self.failed = 0
        self.retried = 0
        self.pruned = 0
        self.scheduled_runs = 0
        self.scheduled_failed = 0
        self.rejected: Counter = Counter()
        self.event_to_table = Histogram()
        self.event_to_kendo = Histogram()
        self.gauges: Dict[str, Tuple[str, Callable[[], float]]] = {}

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + n)

    def reject(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] += 1

    def observe(self, histogram: str, seconds: float) -> None:
        with self._lock:
            getattr(self, histogram).observe(max(0.0, seconds))

    def gauge(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.gauges[name] = (help_text, read)

    def text(self) -> str:
        with self._lock:
            out: List[str] = []

            def counter(name: str, help_text: str, value: float) -> None:
                out.extend(
                    [
                        f"# HELP {PREFIX}_{name} {help_text}",
                        f"# TYPE {PREFIX}_{name} counter",
                        f"{PREFIX}_{name} {value}",
                    ]
                )

            counter("received_total", "deliveries received (valid or not)", self.received)
            out += [
                f"# HELP {PREFIX}_rejected_total deliveries refused, by reason",
                f"# TYPE {PREFIX}_rejected_total counter",
            ]
            out += [f'{PREFIX}_rejected_total{{reason="{r}"}} {n}' for r, n in sorted(self.rejected.items())]
            counter(
                "duplicates_total",
                "verified deliveries already queued (Zoom retries, duplicates)",
                self.duplicates,
            )
            counter("queued_total", "distinct events written to the durable queue", self.queued)
            counter("processed_total", "events processed (loaded, marked or recorded)", self.processed)
            counter("retried_total", "failed batch attempts put back for a later retry", self.retried)
            counter("failed_total", "events given up after their retries", self.failed)
            counter("pruned_total", "processed events pruned from the queue file", self.pruned)
            counter("scheduled_runs_total", "scheduled runs finished (--run-every)", self.scheduled_runs)
            counter(
                "scheduled_failed_total", "scheduled runs that failed (--run-every)", self.scheduled_failed
            )
            for name, (help_text, read) in self.gauges.items():
                out += [
                    f"# HELP {PREFIX}_{name} {help_text}",
                    f"# TYPE {PREFIX}_{name} gauge",
                    f"{PREFIX}_{name} {read()}",
                ]
            out += [f"# HELP {PREFIX}_event_to_table_seconds Zoom's event_ts to its rows committed"]
            out += self.event_to_table.lines(f"{PREFIX}_event_to_table_seconds")
            out += [f"# HELP {PREFIX}_event_to_kendo_seconds Zoom's event_ts to the call accepted by Kendo"]
            out += self.event_to_kendo.lines(f"{PREFIX}_event_to_kendo_seconds")
        return "\n".join(out) + "\n"
