"""How close the Zoom client gets to each rate-limit category's allowed QPS, against the emulator.

    python bench/bench_client.py [--latency-ms 100] [--seconds 4] [--plan pro] [--ri-real]

For each category it starts the Zoom emulator with that latency and the plan's rate limits, runs enough
threads to saturate the category (qps x latency x 2, plus a few), and prints achieved / allowed
requests per second and the 429s the emulator answered (pacing alone should cause none).

Resource-intensive (10/min on Pro) has no endpoint in settings.py or in the emulator, so it is measured
on a bench-only endpoint (a Light path paced through the Resource-intensive lane): by default at a scaled
rate (override 10/s; the emulator's Light limit raised to match), and with --ri-real at its real 10/min
for a 4-request sample (about 20 s).
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulators.zoom import ZoomEmulator  # noqa: E402
from sources.zoom import settings  # noqa: E402
from sources.zoom.auth import ZoomAuth  # noqa: E402
from sources.zoom.client import ZoomClient  # noqa: E402
from sources.zoom.credentials import ZoomCredentials  # noqa: E402
from sources.zoom.ratelimit import RateLimiter  # noqa: E402
from sources.zoom.settings import Category, Endpoint  # noqa: E402

# bench-only: a Light path paced in the Resource-intensive lane (no RI endpoint exists in settings)
settings.ENDPOINTS["_bench_ri"] = Endpoint("_bench_ri", "/users/{user_id}", Category.RESOURCE_INTENSIVE)


def make_client(emu: ZoomEmulator, plan: str, overrides: dict[str, float], threads: int) -> ZoomClient:
    creds = ZoomCredentials(
        account_id=emu.account_id, client_id=emu.client_id, client_secret=emu.client_secret
    )
    return ZoomClient(
        ZoomAuth(creds, emu.token_url),
        base_url=emu.api_base,
        limiter=RateLimiter(plan, overrides),
        pool_size=threads + 4,
    )


def run(
    client: ZoomClient, call: Callable[[ZoomClient], Any], seconds: float, threads: int, max_requests: int = 0
) -> tuple[int, float]:
    """Runs `call` from `threads` threads for `seconds` (or `max_requests`); returns (n, span of completions)."""
    done: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    errors: list[BaseException] = []

    started = [0]

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if max_requests and started[0] >= max_requests:
                    return
                started[0] += 1
            try:
                call(client)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return
            with lock:
                done.append(time.monotonic())

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
    done.sort()
    return len(done), (done[-1] - done[0]) if len(done) > 1 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--plan", default="pro", choices=sorted(settings.RATE_LIMIT_PLANS))
    ap.add_argument("--ri-real", action="store_true", help="also sample Resource-intensive at its real rate")
    args = ap.parse_args()
    latency = args.latency_ms / 1000
    limits = settings.RATE_LIMIT_PLANS[args.plan]

    with ZoomEmulator(seed=7, users=5, latency_ms=args.latency_ms, plan=args.plan, rate_limits=True) as emu:
        probe = make_client(emu, args.plan, {}, 4)
        uid = next(u["id"] for p in probe.paginate("users", params={"status": "active"}) for u in p)
        today = datetime.now(UTC).date()
        report = {"from": (today - timedelta(days=20)).isoformat(), "to": today.isoformat()}
        calls: dict[Category, Callable[[ZoomClient], Any]] = {
            Category.LIGHT: lambda c: c.get("user", user_id=uid),
            Category.MEDIUM: lambda c: c.get("users", params={"status": "active"}),
            Category.HEAVY: lambda c: c.get("report_meetings", user_id=uid, params=report),
            Category.RESOURCE_INTENSIVE: lambda c: c.get("_bench_ri", user_id=uid),
        }
        rows = []
        plan: list[tuple[Category, float, dict[str, float], dict[str, float], int, str]] = []
        for cat in (Category.LIGHT, Category.MEDIUM, Category.HEAVY):
            plan.append((cat, limits[cat], {}, {}, 0, f"{args.seconds:g} s"))
        scaled = 10.0
        plan.append(
            (
                Category.RESOURCE_INTENSIVE,
                scaled,
                {Category.RESOURCE_INTENSIVE.value: scaled},
                {Category.LIGHT.value: 1000.0},
                0,
                f"{args.seconds:g} s, scaled to {scaled:g}/s",
            )
        )
        if args.ri_real:
            plan.append(
                (
                    Category.RESOURCE_INTENSIVE,
                    limits[Category.RESOURCE_INTENSIVE],
                    {},
                    {},
                    4,
                    "4 requests at the real rate",
                )
            )
        for cat, allowed, overrides, emu_overrides, max_req, how in plan:
            emu.reset()
            emu.configure(latency_ms=args.latency_ms, qps_overrides=emu_overrides)
            threads = math.ceil(allowed * latency * 2) + 4
            client = make_client(emu, args.plan, overrides, threads)
            client.auth.token()
            before = emu.stats()
            seconds = args.seconds if not max_req else 3600
            n, span = run(client, calls[cat], seconds, threads, max_req)
            after = emu.stats()
            achieved = (n - 1) / span if span else 0.0
            server_429 = after["status"].get("429", 0) - before["status"].get("429", 0)
            rows.append((cat.value, allowed, achieved, achieved / allowed, n, threads, server_429, how))
            client.close()

    print(f"plan={args.plan} latency={args.latency_ms:g} ms")
    print(
        f"{'category':<20} {'allowed/s':>9} {'achieved/s':>10} {'ratio':>6} {'requests':>8} {'threads':>7} {'429s':>5}  measured"
    )
    for cat_name, allowed, achieved, ratio, n, threads, s429, how in rows:
        print(
            f"{cat_name:<20} {allowed:>9.3f} {achieved:>10.3f} {ratio:>6.3f} {n:>8} {threads:>7} {s429:>5}  {how}"
        )


if __name__ == "__main__":
    main()
