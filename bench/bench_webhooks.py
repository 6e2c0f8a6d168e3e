"""Webhooks: event-to-Kendo latency of recorded meetings, and the ack latency of a burst.

Usage: python bench/bench_webhooks.py [--meetings 20] [--every 1.0] [--burst 1000] [--zoom-latency-ms 50]
                                      [--kendo-latency-ms 100]

Starts the Zoom emulator (API latency as given), the Kendo emulator (strict: it downloads each audioUrl)
and `zoom-pipeline webhooks serve --push-kendo` (DuckDB, default micro-batch of 2 s) as a real process.
1. Adds `--meetings` recorded meetings, one every `--every` seconds; the emulator sends meeting.ended,
   recording.completed and recording.transcript_completed for each. Event-to-Kendo = the moment the call
   shows up in Kendo (polled every 0.1 s) minus the recording.completed `event_ts`. Target: p95 < 60 s.
2. Sends `--burst` distinct events at once and prints the acknowledgement latencies (Zoom wants each
   answered within 3 s) and the server's peak memory (VmHWM) before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from webhook_helpers import SECRET, Receiver, wait_for  # noqa: E402

from emulators.kendo import KendoEmulator  # noqa: E402
from emulators.zoom import ZoomEmulator  # noqa: E402


def pct(values: list, p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--meetings", type=int, default=20)
    ap.add_argument("--every", type=float, default=1.0)
    ap.add_argument("--burst", type=int, default=1000)
    ap.add_argument("--zoom-latency-ms", type=int, default=50)
    ap.add_argument("--kendo-latency-ms", type=int, default=100)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_webhooks_"))
    with (
        KendoEmulator(strict=True, latency_ms=args.kendo_latency_ms) as kendo,
        ZoomEmulator(
            seed=3, users=3, days_of_history=7, rate_limits=False, latency_ms=args.zoom_latency_ms
        ) as emu,
    ):
        env = {
            "DESTINATION__KENDO__API_KEY": kendo.api_key,
            "DESTINATION__KENDO__INGEST_URL": kendo.ingest_url,
        }
        r = Receiver(emu, tmp, "--push-kendo", "--batch-seconds", "2", env=env).start()
        try:
            emu.subscribe_webhooks(f"{r.url}/zoom/webhooks", SECRET)
            added = []
            for _ in range(args.meetings):
                added.append(emu.add_meeting(participants=4)["uuid"])
                time.sleep(args.every)
            arrived: dict = {}
            deadline = time.monotonic() + 600
            while len(arrived) < len(added) and time.monotonic() < deadline:
                now = time.time()
                for call in kendo.received():
                    arrived.setdefault(call["metadata"]["zoomMeetingUuid"], now)
                time.sleep(0.1)
            events = {
                e["uuid"]: e["event_ts"] / 1000
                for e in emu.webhook_deliveries()["log"]
                if e["event"] == "recording.completed" and e["kind"] == "original"
            }
            lat = [arrived[u] - events[u] for u in added if u in arrived and u in events]
            print(
                f"event-to-Kendo over {len(lat)}/{len(added)} recorded meetings (one every {args.every} s):"
            )
            if lat:
                print(
                    f"  p50 {statistics.median(lat):.1f} s  p95 {pct(lat, 95):.1f} s  max {max(lat):.1f} s"
                    f"  (target p95 < 60 s: {'met' if pct(lat, 95) < 60 else 'MISSED'})"
                )
            assert r.proc is not None
            before = peak_kib(r.proc.pid)
            started = time.monotonic()
            burst = emu.webhook_burst(args.burst)
            secs = burst["seconds"]
            print(
                f"burst of {args.burst}: statuses {burst['statuses']}, ack p50 {statistics.median(secs):.3f} s"
                f"  p95 {pct(secs, 95):.3f} s  max {max(secs):.3f} s  (Zoom's limit 3 s); wall {burst['wall']:.2f} s"
            )
            total = args.meetings * 3 + args.burst
            wait_for(lambda: r.metrics().get("processed_total", 0) >= total, 600, r.output)
            print(
                f"  all {args.burst} processed {time.monotonic() - started:.1f} s after the burst began;"
                f" server peak RSS {before / 1024:.0f} MiB before, {peak_kib(r.proc.pid) / 1024:.0f} MiB after"
            )
        finally:
            r.stop()


if __name__ == "__main__":
    main()
