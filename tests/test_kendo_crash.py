"""A push killed with SIGKILL loses no call and duplicates at most `concurrency` calls in Kendo."""

from __future__ import annotations

import json
import signal
import time
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
    return {"api_key": k.api_key, "ingest_url": k.ingest_url, "rate_per_second": None, **extra}


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


def test_sigkill_mid_push_loses_no_call_and_duplicates_at_most_concurrency(
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
    pending = {u for u, e in ledger.items() if e["status"] == "pending"}
    sent = {u for u, e in ledger.items() if e["status"] == "sent"}
    accepted = set(received_uuids(kendo_emulator.received()))
    assert 0 < len(pending) <= concurrency  # the calls in flight at the kill
    assert sent <= accepted and accepted - sent <= pending  # accepted but unrecorded ones are pending
    assert len(accepted) < len(rows)  # the kill did land mid-push
    assert dlt.pipeline("zoom_wh_kendo_push").has_pending_data  # the killed run's package is left over

    # the warehouse pipeline is not blocked, and the next push finishes the job
    warehouse.load([call_row(21)])
    summary = push_calls(warehouse.pipeline(), **_push_args(kendo_emulator, concurrency=concurrency))
    assert not summary.pending and not summary.failed
    uuids = received_uuids(kendo_emulator.received())
    assert set(uuids) == {r["meeting_uuid"] for r in [*rows, call_row(21)]}
    duplicated = {u for u in uuids if uuids.count(u) > 1}
    assert len(uuids) - len(set(uuids)) <= concurrency
    assert duplicated <= pending
    assert all(e["status"] == "sent" for e in warehouse.ledger().values())
    assert not dlt.pipeline("zoom_wh_kendo_push").has_pending_data


def test_kill_between_201_and_ledger_write_duplicates_exactly_that_call(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:

    rows = [call_row(i) for i in range(1, 9)]
    warehouse.load(rows)
    proc = start_push_process(
        warehouse.spec(), **_push_args(kendo_emulator, concurrency=1, kill_after_sent=3)
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err[-3000:]
    killed = json.loads(out.splitlines()[0])["killed_before_sent"]
    assert received_uuids(kendo_emulator.received())[-1] == killed  # Kendo has it ...
    ledger = warehouse.ledger()
    assert ledger[killed]["status"] == "pending"  # ... the ledger does not
    assert sorted(e["status"] for e in ledger.values()) == ["pending", "sent", "sent"]

    summary = push_calls(warehouse.pipeline(), **_push_args(kendo_emulator, concurrency=1))
    assert killed in summary.sent and len(summary.sent) == 6 and len(summary.skipped_already_sent) == 2
    uuids = received_uuids(kendo_emulator.received())
    assert set(uuids) == {r["meeting_uuid"] for r in rows}
    assert [u for u in set(uuids) if uuids.count(u) > 1] == [killed]
    assert len(uuids) == len(rows) + 1
