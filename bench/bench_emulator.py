"""Benchmarks the Zoom emulator: request rate at zero latency, wall time of 200 concurrent requests at
100 ms latency, and a full paging walk of the default account.

    /work/venv/bin/python bench/bench_emulator.py [--requests 4000] [--concurrency 64]

The emulator runs in its own process (`python -m emulators.zoom`), as a connector under test would see it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from datetime import date, timedelta
from urllib.parse import quote

import aiohttp
import requests

from emulators._server import free_port


def start_emulator(port: int) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulators.zoom", "--port", str(port), "--rate-limits", "false"],
        stdout=subprocess.PIPE,
        text=True,
    )
    banner = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
    for _ in range(100):
        try:
            requests.get(f"{banner['base_url']}/_emulator/config", timeout=2)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    return proc, banner


def get_token(banner: dict) -> str:
    resp = requests.post(
        banner["token_url"],
        auth=(banner["client_id"], banner["client_secret"]),
        params={"grant_type": "account_credentials", "account_id": banner["account_id"]},
        timeout=10,
    )
    return resp.json()["access_token"]


async def request_rate(url: str, token: str, total: int, concurrency: int) -> float:
    """Requests per second over `total` GETs from `concurrency` client tasks."""
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        remaining = total

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                async with session.get(url) as resp:
                    assert resp.status == 200, resp.status
                    await resp.read()

        await asyncio.gather(*(worker() for _ in range(min(concurrency, 50))))  # warm-up connections
        remaining = total
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return total / (time.perf_counter() - started)


async def burst_wall_time(url: str, token: str, n: int) -> float:
    """Wall time of `n` requests sent at once (fresh connections, as a burst of clients would)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), headers=headers) as session:

        async def one() -> int:
            async with session.get(url) as resp:
                await resp.read()
                return resp.status

        started = time.perf_counter()
        codes = await asyncio.gather(*(one() for _ in range(n)))
        elapsed = time.perf_counter() - started
    assert all(c == 200 for c in codes), set(codes)
    return elapsed


def full_walk(api_base: str, token: str) -> tuple[int, float]:
    """users → meetings → instances → participants, plus recordings in month windows: (requests, seconds)."""
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    count = 0

    def walk(path: str, key: str, **params: str) -> list:
        nonlocal count
        out, tok = [], ""
        while True:
            count += 1
            page = s.get(
                api_base + path, params={**params, **({"next_page_token": tok} if tok else {})}
            ).json()
            out += page[key]
            tok = page.get("next_page_token", "")
            if not tok:
                return out

    started = time.perf_counter()
    for user in walk("/users", "users"):
        for meeting in walk(
            f"/users/{user['id']}/meetings", "meetings", type="previous_meetings", page_size="2"
        ):
            count += 1
            for inst in s.get(f"{api_base}/past_meetings/{meeting['id']}/instances").json()["meetings"]:
                u = inst["uuid"]
                enc = (
                    quote(quote(u, safe=""), safe="") if u.startswith("/") or "//" in u else quote(u, safe="")
                )
                walk(f"/past_meetings/{enc}/participants", "participants", page_size="2")
        to = date.today() + timedelta(days=1)
        for _ in range(4):  # month windows over the default 90 days of history
            frm = to - timedelta(days=30)
            walk(f"/users/{user['id']}/recordings", "meetings", **{"from": str(frm), "to": str(to)})
            to = frm
    return count, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    proc, banner = start_emulator(free_port())
    try:
        token = get_token(banner)
        url = banner["api_base"] + "/users/me"
        rate = asyncio.run(request_rate(url, token, args.requests, args.concurrency))
        print(
            f"zero latency: {rate:,.0f} req/s ({args.requests} GET /v2/users/me, {args.concurrency} concurrent)"
        )
        n, seconds = full_walk(banner["api_base"], token)
        print(f"full paging walk (default data): {n} requests in {seconds:.2f} s")
        requests.post(f"{banner['base_url']}/_emulator/config", json={"latency_ms": 100}, timeout=10)
        wall = asyncio.run(burst_wall_time(url, token, 200))
        print(f"200 concurrent requests at 100 ms latency: {wall:.3f} s wall")
        stats = requests.get(f"{banner['base_url']}/_emulator/stats", timeout=10).json()
        print(f"peak concurrency seen by the emulator: {stats['peak_concurrency']}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
