"""A push killed with SIGKILL loses no call and duplicates none: the calls in flight become `uncertain`
(listed, not re-posted), and only `--resend-uncertain` posts them again, on purpose."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path
from typing import Any

import dlt
import kendo_helpers
import pytest
from kendo_helpers import (
    Warehouse,
    call_row,
    received_uuids,
    start_push_process,
)

import emulators.kendo.fixtures
from destinations.kendo import push_calls
from emulators.kendo import KendoEmulator

warehouse = kendo_helpers.warehouse  # fixture
kendo_emulator = emulators.kendo.fixtures.kendo_emulator  # fixture


pytestmark = pytest.mark.timeout(180)


def _push_args(k: KendoEmulator, **extra: Any) -> dict[str, Any]:
    return {"api_key": k.api_key, "ingest_url": k.ingest_url, "rate_per_second": 0, **extra}


def _wait_for_received(k: KendoEmulator, proc: Any, count: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while len(k.received()) < count:
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"push process ended before the kill (rc={proc.returncode}):\n{out}\n{err[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("push process posted too little before the timeout")
        time.sleep(0.02)


def _kill_between_third_201_and_its_ledger_write(
    warehouse: Warehouse, kendo_emulator: KendoEmulator, rows: list[dict[str, Any]]
) -> str:
    """Loads `rows`, then a push process SIGKILLs itself right after Kendo's third 201; returns that call."""
    warehouse.load(rows)
    proc = start_push_process(
        warehouse.spec(), **_push_args(kendo_emulator, concurrency=1, kill_after_sent=3)
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err[-3000:]
    return str(json.loads(out.splitlines()[0])["killed_before_sent"])


def test_sigkill_mid_push_loses_no_call_and_duplicates_none(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    concurrency = 4
    rows = [call_row(i) for i in range(1, 21)]
    warehouse.load(rows)
    kendo_emulator.configure(latency_ms=200)
    proc = start_push_process(warehouse.spec(), **_push_args(kendo_emulator, concurrency=concurrency))
    _wait_for_received(kendo_emulator, proc, 6)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.5)  # requests Kendo already took finish on its side, as they would for real

    ledger = warehouse.ledger()
    in_flight = {u for u, e in ledger.items() if e["status"] == "sending"}
    sent = {u for u, e in ledger.items() if e["status"] == "sent"}
    accepted = set(received_uuids(kendo_emulator.received()))
    assert 0 < len(in_flight) <= concurrency  # the calls claimed at the kill
    assert sent <= accepted and accepted - sent <= in_flight  # accepted but unrecorded ones were claimed
    assert len(accepted) < len(rows)  # the kill did land mid-push
    assert dlt.pipeline("zoom_wh_kendo_push").has_pending_data  # the killed run's package is left over

    # the warehouse pipeline is not blocked; the next push sends the rest and settles the claims as uncertain
    warehouse.load([call_row(21)])
    kendo_emulator.configure(latency_ms=0)
    summary = push_calls(warehouse.pipeline(), **_push_args(kendo_emulator, concurrency=concurrency))
    assert not summary.pending and not summary.failed
    assert set(summary.skipped_uncertain) == in_flight
    uuids = received_uuids(kendo_emulator.received())
    assert len(uuids) == len(set(uuids))  # no duplicate
    assert set(uuids) | in_flight == {r["meeting_uuid"] for r in [*rows, call_row(21)]}  # nothing lost
    statuses = {u: e["status"] for u, e in warehouse.ledger().items()}
    assert {u for u, s in statuses.items() if s == "uncertain"} == in_flight
    assert not dlt.pipeline("zoom_wh_kendo_push").has_pending_data

    # asked on purpose: each uncertain call is posted once more (duplicates only where Kendo had it)
    again = push_calls(warehouse.pipeline(), **_push_args(kendo_emulator, resend_uncertain=True))
    assert set(again.resent) == in_flight
    uuids = received_uuids(kendo_emulator.received())
    assert set(uuids) == {r["meeting_uuid"] for r in [*rows, call_row(21)]}
    assert {u for u in uuids if uuids.count(u) > 1} == in_flight & accepted
    assert all(e["status"] == "sent" for e in warehouse.ledger().values())


def test_kill_between_201_and_ledger_write_leaves_that_call_uncertain_not_duplicated(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:

    rows = [call_row(i) for i in range(1, 9)]
    killed = _kill_between_third_201_and_its_ledger_write(warehouse, kendo_emulator, rows)
    assert received_uuids(kendo_emulator.received())[-1] == killed  # Kendo has it ...
    ledger = warehouse.ledger()
    assert ledger[killed]["status"] == "sending"  # ... the ledger only knows it was claimed
    assert sorted(e["status"] for e in ledger.values()) == ["sending", "sent", "sent"]

    summary = push_calls(warehouse.pipeline(), **_push_args(kendo_emulator, concurrency=1))
    assert summary.skipped_uncertain == [killed]
    assert len(summary.sent) == 5 and len(summary.skipped_already_sent) == 2
    uuids = received_uuids(kendo_emulator.received())
    assert sorted(uuids) == sorted(r["meeting_uuid"] for r in rows)  # each exactly once
    assert warehouse.ledger()[killed]["status"] == "uncertain"


@pytest.mark.postgres
def test_two_pushes_at_once_without_a_lock_post_each_call_once(
    postgres_url: str, postgres_dataset: str, kendo_emulator: KendoEmulator, tmp_path: Path
) -> None:
    """The claim holds even if the run lock is bypassed: two processes, one Postgres ledger."""
    w = Warehouse("postgres", "zoom_wh", postgres_dataset, postgres_url=postgres_url)
    rows = [call_row(i) for i in range(1, 25)]
    w.load(rows)
    kendo_emulator.configure(latency_ms=150)
    # two hosts: each its own dlt working dir, one Postgres ledger (no table yet: both race to create it)
    procs = [
        start_push_process(
            w.spec(),
            {"DLT_DATA_DIR": str(tmp_path / f"host{n}")},
            **_push_args(kendo_emulator, concurrency=4),
        )
        for n in range(2)
    ]
    counts = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        counts.append(json.loads(out.strip().splitlines()[-1]))
    uuids = received_uuids(kendo_emulator.received())
    assert sorted(uuids) == sorted(r["meeting_uuid"] for r in rows)  # each exactly once
    assert counts[0]["sent"] + counts[1]["sent"] == len(rows)
    assert all(e["status"] == "sent" for e in w.ledger().values())


def test_a_killed_push_s_package_is_replayed_by_the_next_push_without_duplicates(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    """The package is not discarded: the next push loads it first, and the ledger's claims skip what the
    killed push sent or may have sent. Here the next push selects no calls itself, so every call it posts
    comes from the replayed package."""
    rows = [call_row(i) for i in range(1, 9)]
    killed = _kill_between_third_201_and_its_ledger_write(warehouse, kendo_emulator, rows)
    assert dlt.pipeline("zoom_wh_kendo_push").has_pending_data
    before = received_uuids(kendo_emulator.received())

    summary = push_calls(warehouse.pipeline(), **_push_args(kendo_emulator, since="2100-01-01"))
    replayed = received_uuids(kendo_emulator.received())[len(before) :]
    assert sorted(replayed) == sorted({r["meeting_uuid"] for r in rows} - set(before))
    assert sorted(summary.sent) == sorted(replayed) and summary.skipped_uncertain == [killed]
    uuids = received_uuids(kendo_emulator.received())
    assert sorted(uuids) == sorted(r["meeting_uuid"] for r in rows)  # each exactly once
    assert not dlt.pipeline("zoom_wh_kendo_push").has_pending_data
    statuses = {u: e["status"] for u, e in warehouse.ledger().items()}
    assert statuses == {
        r["meeting_uuid"]: "uncertain" if r["meeting_uuid"] == killed else "sent" for r in rows
    }
