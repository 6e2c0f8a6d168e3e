"""Calls pushed per second to the Kendo emulator (100 ms latency) from a DuckDB warehouse.

Usage: python bench/bench_kendo.py [--calls 200] [--latency-ms 100] [--high-concurrency 16] [--storm 20]

Runs `push_calls` end to end (warehouse read, claim → POST → outcome ledger writes, push pipeline, HTTP) for:
- the defaults (concurrency 4, paced at 5 calls/s: Kendo's assumed rate),
- the default concurrency, unpaced (what the concurrency alone allows at this latency),
- a higher concurrency, unpaced,
- a 429 storm: Kendo answers 429 with `Retry-After: <storm>` to everything for <storm> seconds, 50 calls at
  the defaults. One push-wide pause makes it cost about the storm plus the paced time, not calls × storm.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta

import dlt

from destinations.kendo import push_calls
from destinations.kendo.settings import DEFAULT_CONCURRENCY, DEFAULT_RATE_PER_SECOND
from emulators.kendo import KendoEmulator


def _rows(start: int, n: int) -> list[dict]:
    base = datetime(2026, 3, 1, tzinfo=UTC)
    return [
        {
            "meeting_uuid": f"bench-{i:06d}==",
            "meeting_id": 900000000 + i,
            "title": f"Bench call {i}",
            "rep_name": "Bench Rep",
            "rep_email": "rep@bench.example",
            "call_date": base + timedelta(minutes=i),
            "duration_minutes": 30,
            "audio_url": f"https://zoom.example/rec/{i}.m4a",
            "transcript": "Rep: hello\nCustomer: hi",
            "ready": True,
        }
        for i in range(start, start + n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--latency-ms", type=int, default=100)
    parser.add_argument("--high-concurrency", type=int, default=16)
    parser.add_argument("--storm", type=int, default=20, help="seconds of 429s (and their Retry-After); 0: skip")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench_kendo_")
    os.environ.setdefault("DLT_DATA_DIR", os.path.join(tmp, "dlt"))
    os.environ.setdefault("DLT_PROJECT_DIR", tmp)
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    warehouse = dlt.pipeline(
        "bench_wh",
        destination=dlt.destinations.duckdb(os.path.join(tmp, "bench_wh.duckdb")),
        dataset_name="zoom",
    )
    paced_calls = min(args.calls, 50)
    runs = [
        (
            f"concurrency={DEFAULT_CONCURRENCY}, rate={DEFAULT_RATE_PER_SECOND}/s (defaults)",
            DEFAULT_CONCURRENCY,
            DEFAULT_RATE_PER_SECOND,
            paced_calls,
        ),
        (f"concurrency={DEFAULT_CONCURRENCY}, unpaced", DEFAULT_CONCURRENCY, 0, args.calls),
        (f"concurrency={args.high_concurrency}, unpaced", args.high_concurrency, 0, args.calls),
    ]
    if args.storm:
        runs.append(
            (
                f"429 storm {args.storm} s, Retry-After {args.storm} (defaults)",
                DEFAULT_CONCURRENCY,
                DEFAULT_RATE_PER_SECOND,
                50,
            )
        )
    print(f"Kendo emulator latency {args.latency_ms} ms; warehouse DuckDB; end-to-end push_calls() wall time")
    with KendoEmulator(latency_ms=args.latency_ms) as kendo:
        start = 0
        for label, concurrency, rate, n in runs:
            warehouse.run(
                _rows(start, n), table_name="calls", write_disposition="merge", primary_key="meeting_uuid"
            )
            start += n
            if label.startswith("429 storm"):
                kendo.configure(throttle_seconds=args.storm, retry_after=args.storm)
            began = time.perf_counter()
            summary = push_calls(
                warehouse,
                api_key=kendo.api_key,
                ingest_url=kendo.ingest_url,
                concurrency=concurrency,
                rate_per_second=rate,
            )
            elapsed = time.perf_counter() - began
            assert len(summary.sent) == n, summary
            stats = kendo.stats()
            print(
                f"{label:45s} {n:4d} calls in {elapsed:6.2f} s = {n / elapsed:7.1f} calls/s"
                f" (peak in flight {stats['peak_concurrency']}, {stats['status'].get('429', 0)} × 429)"
            )
            kendo.reset()


if __name__ == "__main__":
    main()
