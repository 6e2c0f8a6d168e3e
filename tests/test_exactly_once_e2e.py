"""Exactly once when Kendo is slow, runs overlap or someone presses Ctrl-C: the console script as real
processes against the Zoom and Kendo emulators, on DuckDB and Postgres (issue 12)."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
from exactly_once_helpers import INTERRUPTED_LINE, SCRIPT, Proc, World
from zoom_helpers import duplicates, table_key, truth_rows, warehouse_rows

from destinations.kendo.client import KendoClient, PushGate, RatePacer
from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]

CHECKED = ["users", "meetings", "past_meetings", "meeting_participants", "recordings", "calls"]
LOCKED_LINE = "zoom-pipeline: another run of zoom_pipeline holds the lock since "


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    with (
        ZoomEmulator(seed=12, users=4, days_of_history=35, rate_limits=False, latency_ms=5) as zoom,
        KendoEmulator() as kendo,
    ):
        if request.param == "duckdb":
            yield World(zoom, kendo, tmp_path, "duckdb")
        else:
            url = request.getfixturevalue("postgres_url")
            dataset = request.getfixturevalue("postgres_dataset")
            yield World(zoom, kendo, tmp_path, "postgres", dataset=dataset, postgres_url=url)


def assert_tables_exact(world: World) -> None:
    truth = world.zoom.truth()
    pipeline = world.pipeline()
    for table in CHECKED:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        assert not duplicates(got), f"{table}: duplicates {list(duplicates(got))[:3]}"
        assert sorted(map(repr, got)) == sorted(map(repr, truth_rows(truth, table, key))), table


def assert_one_clean_line(done_stderr: str, expected_start: str) -> None:
    assert "Traceback" not in done_stderr, done_stderr[-3000:]
    assert done_stderr.strip().splitlines()[-1].startswith(expected_start), done_stderr[-3000:]


def wait_until(predicate, timeout: float = 120, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def load(world: World) -> set:
    done = world.cli("run")
    assert done.returncode == 0, done.stderr[-3000:]
    ready = world.ready_calls()
    assert len(ready) >= 4
    return ready


@pytest.mark.parametrize(
    "knobs", [{"ack_delay_ms": 2500}, {"fail_after_record": True}], ids=["slow-ack", "drop-after-record"]
)
def test_an_unanswered_post_is_uncertain_never_resent_unless_asked(world: World, knobs: dict) -> None:
    ready = load(world)
    world.kendo.configure(**knobs)
    world.extra_env["DESTINATION__KENDO__REQUEST_TIMEOUT"] = "1"

    first = world.cli("push")
    assert first.returncode == 3, first.stderr[-3000:]
    assert f"Calls not sent: {len(ready)} uncertain" in first.stdout
    assert "--resend-uncertain" in first.stdout
    assert sorted(world.received()) == sorted(ready)  # Kendo holds each call once
    assert set(world.ledger().values()) == {"uncertain"}

    world.kendo.configure(ack_delay_ms=0, fail_after_record=False)
    second = world.cli("push")  # posts nothing: Kendo may hold them all
    assert second.returncode == 3 and f"{len(ready)} uncertain" in second.stdout
    assert sorted(world.received()) == sorted(ready)

    third = world.cli("push", "--resend-uncertain")
    assert third.returncode == 0, third.stdout + third.stderr[-3000:]
    assert Counter(world.received()) == {u: 2 for u in ready}  # each posted once more, on purpose
    assert set(world.ledger().values()) == {"sent"}


def _second_run_dir(world: World) -> str:
    # DuckDB: the same working dir and file; Postgres: another pipeline dir (another host) on one dataset
    return "dlt" if world.kind == "duckdb" else "dlt_other_host"


def _hold_first_run_in_its_push(world: World):  # type: ignore[no-untyped-def]
    world.kendo.configure(latency_ms=4000)
    first = world.start("run", "--push-kendo")
    wait_until(lambda: world.kendo.stats()["in_flight"] > 0, what="the first run's push")
    return first


def test_a_second_run_exits_75_and_changes_nothing(world: World) -> None:
    first = _hold_first_run_in_its_push(world)
    second = world.cli("run", "--push-kendo", data_dir=_second_run_dir(world), timeout=120)
    assert second.returncode == 75, second.stdout + second.stderr[-3000:]
    assert_one_clean_line(second.stderr, LOCKED_LINE)
    assert "pid" in second.stderr.strip().splitlines()[-1]
    assert "Rows loaded" not in second.stdout and "Kendo push" not in second.stdout
    world.kendo.configure(latency_ms=0)
    assert first.finish(180) == 0, first.stderr[-3000:]

    received = world.received()
    assert len(received) == len(set(received)) and set(received) == world.ready_calls()
    assert_tables_exact(world)


def test_wait_lock_runs_one_after_the_other(world: World) -> None:
    first = _hold_first_run_in_its_push(world)
    second = world.start("run", "--push-kendo", "--wait-lock", "300", data_dir=_second_run_dir(world))
    time.sleep(1.0)
    world.kendo.configure(latency_ms=0)
    assert first.finish(180) == 0, first.stderr[-3000:]
    assert second.finish(180) == 0, second.stderr[-3000:]
    received = world.received()
    assert len(received) == len(set(received)) and set(received) == world.ready_calls()
    assert_tables_exact(world)


_PG = pytest.mark.postgres
# every command, signal and phase on DuckDB; Postgres, whose locks and ledger differ, in both phases
SIGNAL_CASES = [
    pytest.param("duckdb", "run", signal.SIGINT, "load", 1, id="duckdb-run-SIGINT-load"),
    pytest.param("duckdb", "run", signal.SIGTERM, "load", 2, id="duckdb-run-SIGTERM-load"),
    pytest.param("duckdb", "run", signal.SIGINT, "push", 3, id="duckdb-run-SIGINT-push"),
    pytest.param("duckdb", "run", signal.SIGTERM, "push", 4, id="duckdb-run-SIGTERM-push"),
    pytest.param("duckdb", "push", signal.SIGTERM, "push", 5, id="duckdb-push-SIGTERM-push"),
    pytest.param("duckdb", "push", signal.SIGINT, "push", 6, id="duckdb-push-SIGINT-push"),
    pytest.param("postgres", "run", signal.SIGTERM, "load", 7, id="postgres-run-SIGTERM-load", marks=_PG),
    pytest.param("postgres", "run", signal.SIGINT, "push", 8, id="postgres-run-SIGINT-push", marks=_PG),
    pytest.param("postgres", "push", signal.SIGTERM, "push", 9, id="postgres-push-SIGTERM-push", marks=_PG),
]


@pytest.mark.parametrize("world, command, sig, phase, seed", SIGNAL_CASES, indirect=["world"])
def test_a_signal_stops_within_10_s_and_a_rerun_is_exact(
    world: World, command: str, sig: signal.Signals, phase: str, seed: int
) -> None:
    if command == "push":
        load(world)
    if phase == "load":
        world.zoom.configure(latency_ms=40)
    world.kendo.configure(latency_ms=300)
    proc = world.start("run", "--push-kendo") if command == "run" else world.start("push")
    if phase == "load":
        wait_until(lambda: sum(world.zoom.stats()["requests"].values()) > 0, what="the first Zoom request")
    else:
        wait_until(lambda: world.kendo.stats()["requests"] > 0, what="the first POST")
    time.sleep(random.Random(seed).uniform(0.0, 1.0))  # a point inside the phase, the same every run
    proc.popen.send_signal(sig)
    assert proc.finish(10) == 130, proc.stderr[-3000:]
    assert_one_clean_line(proc.stderr, INTERRUPTED_LINE)

    world.zoom.configure(latency_ms=0)
    world.kendo.configure(latency_ms=0)
    again = world.cli("run", "--push-kendo")
    uncertain = {u for u, s in world.ledger().items() if s == "uncertain"}
    assert again.returncode == (3 if uncertain else 0), again.stdout + again.stderr[-3000:]
    received = world.received()
    assert len(received) == len(set(received))  # no call posted twice
    assert set(received) | uncertain == world.ready_calls()  # and none lost
    assert_tables_exact(world)


def test_demo_stops_on_the_first_signal(tmp_path: Path) -> None:
    for n, sig in enumerate((signal.SIGINT, signal.SIGTERM)):
        proc = Proc(
            subprocess.Popen(
                [SCRIPT, "demo", "--dir", str(tmp_path / f"demo{n}"), "--users", "3"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        proc.wait_for("Loading Zoom" if n == 0 else "Pushing ready calls")
        time.sleep(random.Random(n).uniform(0.2, 1.0))
        proc.popen.send_signal(sig)
        assert proc.finish(10) == 130, proc.stderr[-3000:]
        assert_one_clean_line(proc.stderr, INTERRUPTED_LINE)


def test_kendo_down_exits_3_with_calls_pending_then_sends_each_once(world: World) -> None:
    ready = load(world)
    world.kendo.configure(rate_5xx=1.0)
    down = world.cli("push")
    assert down.returncode == 3, down.stderr[-3000:]
    assert f"Calls not sent: {len(ready)} pending" in down.stdout
    assert set(world.ledger().values()) == {"pending"}  # the calls tried; the rest were never claimed
    assert "Kendo kept failing" in down.stdout  # one outage stops the push, not one back-off per call
    assert world.received() == []

    world.kendo.configure(rate_5xx=0.0)
    up = world.cli("push")
    assert up.returncode == 0, up.stdout + up.stderr[-3000:]
    assert sorted(world.received()) == sorted(ready)
    assert set(world.ledger().values()) == {"sent"}


def test_a_429_storm_pauses_every_sender_at_once() -> None:
    """Only the requests already in flight meet the storm; the rest wait out one shared pause."""
    with KendoEmulator(throttle_seconds=3, retry_after=1) as kendo:
        gate = PushGate(RatePacer(5.0))
        client = KendoClient(kendo.api_key, kendo.ingest_url, gate=gate)
        body = {"callTitle": "t", "callDate": "2026-03-04T14:00:00Z", "duration": 1, "transcript": "A: hi"}
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: client.post_call(body), range(20)))
        assert [r.outcome for r in results] == ["sent"] * 20
        stats = kendo.stats()
        assert stats["accepted"] == 20
        # per-call clocks meet a 3 s storm 3 times per sender (12 at concurrency 4); one shared pause
        # lets one request through per Retry-After: 3, and never more than the 4 senders
        assert stats["status"].get("429", 0) <= 4


def test_a_wrong_kendo_key_is_one_line_and_sends_nothing(world: World) -> None:
    load(world)
    world.extra_env["DESTINATION__KENDO__API_KEY"] = "not-the-key"
    done = world.cli("push")
    assert done.returncode == 1
    assert "ERROR" not in done.stderr and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert_one_clean_line(done.stderr, "zoom-pipeline: ")
    assert "destination.kendo.api_key" in done.stderr.strip().splitlines()[-1]
    assert "not-the-key" not in done.stdout + done.stderr
    assert world.received() == []
