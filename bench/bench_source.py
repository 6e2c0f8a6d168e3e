"""Full-load speed of the Zoom source against the emulator: wall time vs the rate-limit lower bound,
peak memory, and load throughput for a participant-heavy account.

    cd /work/main && /work/venv/bin/python bench/bench_source.py              # both parts
    /work/venv/bin/python bench/bench_source.py --part paced --users 10 --meetings-per-user 5
    /work/venv/bin/python bench/bench_source.py --part heavy --participants 500
    /work/venv/bin/python bench/bench_source.py --workers 16 --max-parallel-items 40 --windows-per-run 6

Part "paced" (default 25 users): the emulator with the Pro plan's rate limits and 100 ms latency, a full load with the
real Pro limiter (`RateLimiter("pro")`, 95 % headroom) into DuckDB in a temp dir via `load_zoom`.
Categories are paced in parallel, so the lower bound is max over categories of
(successful requests of the category ÷ its QPS); the sum is printed for reference. Target: wall ÷
bound ≤ 1.10 (≤ 1.3 for a 6-user account). A sampler polls the emulator's stats every 0.5 s to show when
each category was busy. Then an idle re-run on the same pipeline (nothing new in Zoom, entity tables not
due): its requests as % of the full load's (target ≤ 15 %), and the requests answering 404 on each run.

Part "heavy": many participants per instance, no latency, no emulator limits and the test suite's fast
limiter: rows/s into DuckDB (participant tables' rows ÷ load wall), with extract / normalize / load
step times summed over the dlt runs of `load_zoom`.

The emulator runs in a subprocess (`python -m emulators.zoom`) so its CPU does not share the GIL with
the pipeline, and peak RSS is the pipeline process's own. Extract workers come from
`.dlt/config.toml` unless `--workers` / `--max-parallel-items` are given (set as
SOURCES__ZOOM__EXTRACT__* env vars). Run from the repo root so `.dlt/config.toml` is found.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import requests  # noqa: E402

QPS = {"Light": 30.0, "Medium": 20.0, "Heavy": 10.0, "Resource-intensive": 10 / 60}  # Pro
PARTICIPANT_TABLES = (
    "meeting_participants",
    "report_meeting_participants",
    "webinar_participants",
    "report_webinar_participants",
)
FAST_LIMITS = {"Light": 500.0, "Medium": 500.0, "Heavy": 500.0, "Resource-intensive": 500.0}


# --------------------------------------------------------------------------------------- emulator
class EmulatorProcess:
    """`python -m emulators.zoom` in a subprocess; same attributes as ZoomEmulator that we need."""

    def __init__(self, **knobs: Any) -> None:
        args = [sys.executable, "-m", "emulators.zoom"]
        for k, v in knobs.items():
            if isinstance(v, (dict, list)):
                v = json.dumps(v)
            elif isinstance(v, bool):
                v = "true" if v else "false"
            args += ["--" + k.replace("_", "-"), str(v)]
        self._http = requests.Session()
        self.proc = subprocess.Popen(args, cwd=str(ROOT), stdout=subprocess.PIPE, text=True)
        try:
            self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        assert self.proc.stdout is not None
        banner = json.loads(self.proc.stdout.readline())
        self.api_base, self.token_url, self.base_url = (
            banner["api_base"],
            banner["token_url"],
            banner["server_url"],
        )
        self.account_id, self.client_id = banner["account_id"], banner["client_id"]
        self.client_secret = banner["client_secret"]
        deadline = time.monotonic() + 30
        while True:
            try:
                self.stats()
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise
                time.sleep(0.1)

    def stats(self) -> Dict[str, Any]:
        return self._http.get(f"{self.base_url}/_emulator/stats", timeout=10).json()

    def truth_counts(self) -> Dict[str, int]:
        body = self._http.get(f"{self.base_url}/_emulator/truth", timeout=120).json()
        return {t: len(rows) for t, rows in body["tables"].items()}

    def rss_mb(self) -> float:
        try:
            return psutil.Process(self.proc.pid).memory_info().rss / 2**20
        except psutil.Error:
            return float("nan")

    def close(self) -> None:
        self._http.close()
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class Sampler(threading.Thread):
    """Polls emulator stats, RSS and thread count every `every` seconds while the load runs."""

    def __init__(self, emu: EmulatorProcess, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.emu, self.every = emu, every
        self.samples: List[Dict[str, Any]] = []
        self.stop_flag = threading.Event()
        self.t0 = time.monotonic()
        self.me = psutil.Process()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.sample()
            self.stop_flag.wait(self.every)
        self.sample()

    def sample(self) -> None:
        try:
            s = self.emu.stats()
        except Exception:  # noqa: BLE001 - a missed sample is fine
            return
        self.samples.append(
            {
                "t": time.monotonic() - self.t0,
                "cat": dict(s.get("categories", {})),
                "thr": dict(s.get("throttled", {})),
                "rss": self.me.memory_info().rss / 2**20,
                "threads": threading.active_count(),
            }
        )

    def busy_span(self, cat: str) -> tuple[float, float]:
        """(first, last) sample time at which the category's counter moved."""
        first = last = None
        prev = 0
        for s in self.samples:
            n = s["cat"].get(cat, 0)
            if n > prev:
                if first is None:
                    first = s["t"] - self.every
                last = s["t"]
            prev = n
        return (max(0.0, first or 0.0), last or 0.0)

    def timeline(self, step: float) -> List[str]:
        """Requests per second per category in `step`-second buckets."""
        out, prev, prev_t = [], {}, 0.0
        next_t = step
        cats = ("Light", "Medium", "Heavy")
        for s in self.samples:
            if s["t"] >= next_t or s is self.samples[-1]:
                dt = max(1e-9, s["t"] - prev_t)
                rates = [(s["cat"].get(c, 0) - prev.get(c, 0)) / dt for c in cats]
                out.append(
                    f"  {prev_t:6.1f}-{s['t']:6.1f}s  "
                    + "  ".join(f"{c[:5]} {r:5.1f}/s" for c, r in zip(cats, rates, strict=True))
                    + f"   threads {s['threads']:3d}  rss {s['rss']:6.0f} MB"
                )
                prev, prev_t = s["cat"], s["t"]
                next_t = s["t"] + step
        return out


# --------------------------------------------------------------------------------------- pipeline
def make_client(emu: EmulatorProcess, overrides: Optional[Dict[str, float]]) -> Any:
    from sources.zoom.auth import ZoomAuth
    from sources.zoom.client import ZoomClient
    from sources.zoom.credentials import ZoomCredentials
    from sources.zoom.ratelimit import RateLimiter

    creds = ZoomCredentials()
    creds.account_id, creds.client_id, creds.client_secret = emu.account_id, emu.client_id, emu.client_secret
    limiter = RateLimiter("pro", overrides) if overrides else RateLimiter("pro")
    return ZoomClient(ZoomAuth(creds, token_url=emu.token_url), base_url=emu.api_base, limiter=limiter)


class FeederProbe:
    """Wraps `instances.iter_instances` to time the feeder: first/last bundle per kind, and its end."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.kinds: Dict[str, List[float]] = {}
        self.ended: Optional[float] = None

    def __enter__(self) -> "FeederProbe":
        import functools

        import sources.zoom.instances as instances

        self.module, self.original = instances, instances.iter_instances
        original = self.original

        @functools.wraps(original)
        def iter_instances(run: Any) -> Any:
            for bundle in original(run):
                t = time.monotonic() - self.t0
                span = self.kinds.setdefault(bundle["kind"], [t, t, 0])
                span[1], span[2] = t, span[2] + 1
                yield bundle
            self.ended = time.monotonic() - self.t0

        instances.iter_instances = iter_instances
        return self

    def __exit__(self, *exc: Any) -> None:
        self.module.iter_instances = self.original

    def lines(self) -> List[str]:
        out = [
            f"  feeder ended at       {self.ended or float('nan'):7.1f} s; bundles per kind (first..last):"
        ]
        for kind, (first, last, n) in sorted(self.kinds.items()):
            out.append(f"    {kind:<18} {int(n):5d}   {first:6.1f}..{last:6.1f}s")
        return out


class StepTimer:
    """Wraps `pipelines.safe_load.run_idempotent` to time each dlt run of `load_zoom` and its steps."""

    def __init__(self, run_kwargs: Optional[Dict[str, Any]] = None) -> None:
        import pipelines.safe_load as safe_load

        self.run_kwargs = run_kwargs or {}

        self.module = safe_load
        self.original = safe_load.run_idempotent
        self.steps: List[Dict[str, float]] = []

    def __enter__(self) -> "StepTimer":
        def timed(pipeline: Any, data: Any = None, **kw: Any) -> Any:
            t0 = time.monotonic()
            info = self.original(pipeline, data, **{**self.run_kwargs, **kw})
            row: Dict[str, float] = {"wall": time.monotonic() - t0}
            trace = pipeline.last_trace
            for st in trace.steps if trace else []:
                if st.step in ("extract", "normalize", "load") and st.finished_at and st.started_at:
                    row[st.step] = (st.finished_at - st.started_at).total_seconds()
            norm = trace.last_normalize_info if trace else None
            row["rows"] = float(
                sum(n for t, n in (norm.row_counts.items() if norm else []) if not t.startswith("_dlt"))
            )
            self.steps.append(row)
            return info

        self.module.run_idempotent = timed  # load_zoom imports it at call time
        return self

    def __exit__(self, *exc: Any) -> None:
        self.module.run_idempotent = self.original

    def total(self, key: str) -> float:
        return sum(s.get(key, 0.0) for s in self.steps)


def run_load(
    emu: EmulatorProcess,
    overrides: Optional[Dict[str, float]],
    days: int,
    windows_per_run: int,
    tmp: str,
    loader_file_format: Optional[str] = None,
) -> Dict[str, Any]:
    from pipelines.load import load_zoom, make_pipeline

    # the product's own pipeline (exactly-once replay, Arrow id columns, extract pool defaults)
    pipeline = make_pipeline(
        "duckdb",
        "zoom",
        os.path.join(tmp, "zoom_bench.duckdb"),
        pipeline_name="zoom_bench",
        progress=None,
        pipelines_dir=os.path.join(tmp, "pipelines"),
    )
    client = make_client(emu, overrides)
    start_date = (datetime.now(UTC) - timedelta(days=days + 2)).date().isoformat()
    sampler = Sampler(emu)
    sampler.start()
    run_kwargs = {"loader_file_format": loader_file_format} if loader_file_format else {}
    with StepTimer(run_kwargs) as timer, FeederProbe() as feeder:
        t0 = time.monotonic()
        summary = load_zoom(pipeline, client, start_date=start_date, windows_per_run=windows_per_run)
        wall = time.monotonic() - t0
    sampler.stop_flag.set()
    sampler.join()
    counts: Dict[str, int] = {}
    with pipeline.sql_client() as c:
        for (table,) in c.execute_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'zoom' "
            "AND table_name NOT LIKE '_dlt%'"
        ):
            counts[table] = int(c.execute_sql(f"SELECT count(*) FROM zoom.{table}")[0][0])
    return {
        "wall": wall,
        "summary": summary,
        "steps": timer,
        "feeder": feeder,
        "sampler": sampler,
        "stats": emu.stats(),
        "counts": counts,
        "client": client,
    }


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def print_steps(timer: StepTimer) -> None:
    print("  dlt runs of load_zoom:   wall   extract  normalize   load    rows")
    for i, s in enumerate(timer.steps, 1):
        print(
            f"    step {i:<2}            {s['wall']:6.1f}s  {s.get('extract', 0):6.1f}s  "
            f"{s.get('normalize', 0):6.1f}s  {s.get('load', 0):6.1f}s  {int(s['rows']):6d}"
        )


# --------------------------------------------------------------------------------------- parts
def part_paced(a: argparse.Namespace) -> Dict[str, Any]:
    knobs = dict(
        seed=a.seed,
        users=a.users,
        meetings_per_user=a.meetings_per_user,
        instances=a.instances,
        participants=a.participants_paced,
        webinars=a.webinars,
        days_of_history=a.days,
        latency_ms=a.latency_ms,
        jitter_ms=a.jitter_ms,
        plan="pro",
        rate_limits=True,
    )
    print(f"\n== paced: Pro limits, {a.latency_ms:g} ms latency: {knobs}")
    with EmulatorProcess(**knobs) as emu, tempfile.TemporaryDirectory(prefix="zoom_bench_") as tmp:
        r = run_load(emu, None, a.days, a.windows_per_run, tmp, a.loader_file_format)
        emu_rss = emu.rss_mb()
        # an hourly run right after: nothing new in Zoom, entity tables not due (sources/zoom/refresh.py)
        idle = run_load(emu, None, a.days, a.windows_per_run, tmp, a.loader_file_format)
    stats = r["stats"]
    cats, thr = stats.get("categories", {}), stats.get("throttled", {})
    rows = []
    bounds = {}
    for cat, qps in QPS.items():
        n, t = cats.get(cat, 0), thr.get(cat, 0)
        ok = n - t
        bounds[cat] = ok / qps
        first, last = r["sampler"].busy_span(cat)
        rows.append((cat, n, t, qps, bounds[cat], first, last))
    bound = max(bounds.values())
    total = sum(bounds.values())
    wall = r["wall"]
    print_steps(r["steps"])
    print("  category             reqs   429s    QPS   reqs/QPS   busy from..to      achieved")
    for cat, n, t, qps, b, first, last in rows:
        if not n:
            continue
        span = max(1e-9, last - first)
        print(
            f"    {cat:<18} {n:6d} {t:6d} {qps:6.1f} {b:9.1f}s   {first:6.1f}..{last:6.1f}s  "
            f"{(n - t) / span:6.1f}/s"
        )
    if a.timeline:
        print("  timeline (requests/s per category):")
        print("\n".join(r["sampler"].timeline(a.timeline)))
    print("\n".join(r["feeder"].lines()))
    print(f"  downloads              {stats['requests'].get('GET /rec/download/{fileId}', 0)}")
    print(f"  peak emulator concurrency {stats.get('peak_concurrency')}")
    print(f"  rows loaded            {sum(r['counts'].values())} in {len(r['counts'])} tables")
    print(f"  wall                   {wall:7.1f} s")
    print(f"  lower bound (max)      {bound:7.1f} s   (sum over categories {total:.1f} s)")
    print(f"  RATIO wall/bound       {wall / bound:7.2f}   (target <= 1.10; 1/0.95 headroom = 1.05)")
    full_n = _api_requests(stats)
    idle_n = _api_requests(idle["stats"]) - full_n
    print(
        f"  idle re-run            {idle_n} requests = {100 * idle_n / max(full_n, 1):.1f} % of the full "
        f"load's {full_n} (target <= 15 %), {idle['wall']:.1f} s; avoided per category "
        f"{idle['summary'].avoided}"
    )
    for name, before, after in (("full load", {}, stats), ("idle re-run", stats, idle["stats"])):
        errors = {
            k: n - before.get("errors", {}).get(k, 0)
            for k, n in after.get("errors", {}).items()
            if n - before.get("errors", {}).get(k, 0)
        }
        not_found = sum(n for k, n in errors.items() if " 404/" in k)
        print(f"  404s on the {name:<11} {not_found:5d}   (target <= 5)  " + (str(errors) if errors else ""))
    print(f"  peak RSS pipeline      {peak_rss_mb():7.0f} MB   (emulator process {emu_rss:.0f} MB)")
    return {
        "wall": wall,
        "bound": bound,
        "sum": total,
        "ratio": wall / bound,
        "rss": peak_rss_mb(),
        "idle_pct": 100 * idle_n / max(full_n, 1),
    }


def _api_requests(stats: Dict[str, Any]) -> int:
    """Zoom API requests (every /v2 call, 429s included; not token requests or file downloads)."""
    return sum(n for k, n in stats.get("requests", {}).items() if " /v2/" in k)


def part_heavy(a: argparse.Namespace) -> Dict[str, Any]:
    knobs = dict(
        seed=a.seed,
        users=a.heavy_users,
        meetings_per_user=a.meetings_per_user,
        instances=a.instances,
        participants=a.participants,
        webinars=a.webinars,
        days_of_history=a.days,
        latency_ms=0,
        plan="pro",
        rate_limits=False,
    )
    print(f"\n== heavy: participant-heavy, no latency, no limits: {knobs}")
    with EmulatorProcess(**knobs) as emu, tempfile.TemporaryDirectory(prefix="zoom_bench_") as tmp:
        r = run_load(emu, FAST_LIMITS, a.days, a.windows_per_run, tmp, a.loader_file_format)
    timer: StepTimer = r["steps"]
    counts = r["counts"]
    part_rows = sum(counts.get(t, 0) for t in PARTICIPANT_TABLES)
    all_rows = sum(counts.values())
    wall = r["wall"]
    nl = timer.total("normalize") + timer.total("load")
    print_steps(timer)
    print("  participant tables     " + ", ".join(f"{t} {counts.get(t, 0)}" for t in PARTICIPANT_TABLES))
    print(f"  requests               {sum(r['stats'].get('categories', {}).values())}")
    print(
        f"  wall                   {wall:7.1f} s   (extract {timer.total('extract'):.1f} s, "
        f"normalize {timer.total('normalize'):.1f} s, load {timer.total('load'):.1f} s)"
    )
    print(f"  participant rows/s     {part_rows / wall:9.0f}   ({part_rows} rows ÷ load wall)")
    print(f"  all rows/s             {all_rows / wall:9.0f}   ({all_rows} rows)")
    print(f"  normalize+load rows/s  {all_rows / max(nl, 1e-9):9.0f}   ({nl:.1f} s)")
    print(
        f"  participant rows / (normalize+load) {part_rows / max(nl, 1e-9):9.0f} rows/s   (the README figure; "
        "normalize and load time of every table in the same runs)"
    )
    print(f"  peak RSS pipeline      {peak_rss_mb():7.0f} MB")
    return {"wall": wall, "rows": part_rows, "rps": part_rows / wall, "nl": nl, "rss": peak_rss_mb()}


# Zoom Phone's own table (Pro), paced apart from the meeting APIs' QPS above
PHONE_QPS = {"Light": 20.0, "Medium": 10.0, "Heavy": 5.0}


def part_phone(a: argparse.Namespace) -> Dict[str, Any]:
    """Zoom Phone and meetings in one load, each paced in its own buckets (Pro limits on both, with
    latency): wall ÷ the Phone bound (max over Phone buckets of requests ÷ QPS), target ≤ 1.15, and the
    429s of every bucket (target 0). The account is Phone-heavy so the Phone bound sets the wall."""
    knobs = dict(
        seed=a.seed,
        users=a.phone_users,
        meetings_per_user=1,
        instances=2,
        participants=4,
        webinars=0,
        days_of_history=a.phone_days,
        latency_ms=a.latency_ms,
        jitter_ms=a.jitter_ms,
        plan="pro",
        rate_limits=True,
        phone_licences=1.0,
        phone_calls_per_user=a.phone_calls_per_user,
    )
    print(f"\n== phone: Pro limits (Phone's table apart), {a.latency_ms:g} ms latency: {knobs}")
    with EmulatorProcess(**knobs) as emu, tempfile.TemporaryDirectory(prefix="zoom_bench_") as tmp:
        r = run_load(emu, None, a.phone_days, a.windows_per_run, tmp, a.loader_file_format)
    stats = r["stats"]
    cats, thr = stats.get("categories", {}), stats.get("throttled", {})
    bounds: Dict[str, float] = {}
    print("  bucket                 reqs   429s    QPS   reqs/QPS   busy from..to      achieved")
    for family, table in (("Phone ", PHONE_QPS), ("", QPS)):
        for cat, qps in table.items():
            name = family + cat
            n, t = cats.get(name, 0), thr.get(name, 0)
            if not n:
                continue
            bounds[name] = (n - t) / qps
            first, last = r["sampler"].busy_span(name)
            rate = (n - t) / max(1e-9, last - first)
            print(
                f"    {name:<18} {n:6d} {t:6d} {qps:6.1f} {bounds[name]:9.1f}s   "
                f"{first:6.1f}..{last:6.1f}s  {rate:6.1f}/s"
            )
    phone_bound = max(v for k, v in bounds.items() if k.startswith("Phone ")) if bounds else float("nan")
    meeting_bound = max((v for k, v in bounds.items() if not k.startswith("Phone ")), default=0.0)
    throttled = sum(thr.values())
    wall = r["wall"]
    print_steps(r["steps"])
    print(
        "  phone rows             "
        + ", ".join(f"{t} {n}" for t, n in sorted(r["counts"].items()) if t.startswith("phone"))
    )
    print(f"  wall                   {wall:7.1f} s")
    print(
        f"  Phone bound            {phone_bound:7.1f} s   (meeting APIs' bound {meeting_bound:.1f} s, in parallel)"
    )
    print(f"  RATIO wall/Phone bound {wall / phone_bound:7.2f}   (target <= 1.15)")
    print(f"  429s (all buckets)     {throttled:7d}   (target 0)")
    return {"wall": wall, "bound": phone_bound, "ratio": wall / phone_bound, "throttled": throttled}


def main(argv: Optional[List[str]] = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--part", choices=["paced", "heavy", "both", "phone"], default="both")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--users", type=int, default=25, help="paced part: account users")
    p.add_argument("--meetings-per-user", type=int, default=5)
    p.add_argument("--instances", type=int, default=3)
    p.add_argument("--webinars", type=int, default=1)
    p.add_argument("--days", type=int, default=60, help="days of history (and of backfill)")
    p.add_argument("--participants-paced", type=int, default=6, help="paced part: max people per instance")
    p.add_argument("--latency-ms", type=float, default=100)
    p.add_argument("--jitter-ms", type=float, default=0)
    p.add_argument("--heavy-users", type=int, default=6, help="heavy part: account users")
    p.add_argument("--participants", type=int, default=400, help="heavy part: max people per instance")
    p.add_argument("--windows-per-run", type=int, default=None, help="default: pipelines.load's")
    p.add_argument("--workers", type=int, default=None, help="extract workers (default: config.toml)")
    p.add_argument("--max-parallel-items", type=int, default=None)
    p.add_argument("--listing-threads", type=int, default=None, help="instances.LISTING_THREADS")
    p.add_argument("--phone-users", type=int, default=40, help="phone part: users (all with a Phone licence)")
    p.add_argument("--phone-calls-per-user", type=int, default=20, help="phone part: over --phone-days")
    p.add_argument("--phone-days", type=int, default=180, help="phone part: days of history")
    p.add_argument("--timeline", type=float, default=0, help="print request rates per N seconds")
    p.add_argument(
        "--loader-file-format",
        default=None,
        help="experiment: pass loader_file_format (e.g. parquet) to each pipeline.run of load_zoom",
    )
    a = p.parse_args(argv)

    os.chdir(ROOT)  # .dlt/config.toml
    if a.workers is not None:
        os.environ["SOURCES__ZOOM__EXTRACT__WORKERS"] = str(a.workers)
    if a.max_parallel_items is not None:
        os.environ["SOURCES__ZOOM__EXTRACT__MAX_PARALLEL_ITEMS"] = str(a.max_parallel_items)
    os.environ.setdefault("RUNTIME__LOG_LEVEL", "WARNING")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

    import pipelines.load as load_mod
    import sources.zoom.instances as instances

    if a.listing_threads is not None:
        instances.LISTING_THREADS = a.listing_threads
    if a.windows_per_run is None:
        a.windows_per_run = load_mod.DEFAULT_WINDOWS_PER_RUN
    from dlt.common.configuration.accessors import config

    workers = config.get("sources.zoom.extract.workers") or "dlt default 5"
    mpi = config.get("sources.zoom.extract.max_parallel_items") or "dlt default 20"
    print(
        f"extract workers {workers}, max_parallel_items {mpi}, LISTING_THREADS {instances.LISTING_THREADS}, "
        f"windows_per_run {a.windows_per_run}, cores {os.cpu_count()}"
    )
    results: Dict[str, Any] = {}
    if a.part in ("paced", "both"):
        results["paced"] = part_paced(a)
    if a.part in ("heavy", "both"):
        results["heavy"] = part_heavy(a)
    if a.part == "phone":
        results["phone"] = part_phone(a)
    print("\n== summary")
    if "paced" in results:
        r = results["paced"]
        print(
            f"  paced  wall {r['wall']:6.1f} s  bound {r['bound']:6.1f} s (sum {r['sum']:.1f})  "
            f"ratio {r['ratio']:.2f}  idle re-run {r['idle_pct']:.1f} % of the full load's requests  "
            f"peak RSS {r['rss']:.0f} MB"
        )
    if "phone" in results:
        r = results["phone"]
        print(
            f"  phone  wall {r['wall']:6.1f} s  Phone bound {r['bound']:6.1f} s  ratio {r['ratio']:.2f}  "
            f"429s {r['throttled']}"
        )
    if "heavy" in results:
        r = results["heavy"]
        print(
            f"  heavy  wall {r['wall']:6.1f} s  participant rows {r['rows']}  {r['rps']:.0f} rows/s  "
            f"normalize+load {r['nl']:.1f} s  peak RSS {r['rss']:.0f} MB"
        )


if __name__ == "__main__":
    main()
