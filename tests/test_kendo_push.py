"""push_calls against the Kendo emulator, on DuckDB and on Postgres warehouses."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import dlt
import duckdb
import kendo_helpers
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed
from kendo_helpers import (
    Warehouse,
    audio_app,
    bodies,
    call_row,
    kendo_body,
    received_uuids,
)

import emulators.kendo.fixtures
from destinations.kendo import KendoAuthError, PushSummary, push_calls
from destinations.kendo.errors import KendoEndpointError
from emulators._server import BackgroundServer
from emulators.kendo import KendoEmulator

warehouse = kendo_helpers.warehouse  # fixture
kendo_emulator = emulators.kendo.fixtures.kendo_emulator  # fixture


pytestmark = pytest.mark.timeout(120)


def push(w: Warehouse, k: KendoEmulator, **kwargs: Any) -> PushSummary:
    args: dict[str, Any] = {"api_key": k.api_key, "ingest_url": k.ingest_url, "rate_per_second": 0}
    args["backoff_seconds"] = 0.01
    args.update(kwargs)
    return push_calls(w.pipeline(), **args)


def by_uuid(items: list[dict]) -> list[dict]:
    return sorted(items, key=lambda b: b["metadata"]["zoomMeetingUuid"])


MIXED = [
    call_row(1),  # audio + transcript
    call_row(2, transcript=False),  # audio only: no transcript key
    call_row(3, audio=False),  # transcript only
    call_row(4, audio=False, transcript=False),  # nothing to send: not ready
    call_row(5, processing=True),  # still processing: not ready
]


def test_every_ready_call_arrives_once_with_exact_fields_and_rerun_sends_nothing(
    warehouse: Warehouse, kendo_emulator: KendoEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    warehouse.load(MIXED)
    with caplog.at_level("WARNING"):
        summary = push(warehouse, kendo_emulator)
    # meetings only: the Phone columns are null in every row, and dlt must not warn about them at each push
    assert not [r.message for r in caplog.records if "did not receive any data" in r.getMessage()]
    assert sorted(summary.sent) == ["uuid-001/x==", "uuid-002/x==", "uuid-003/x=="]
    assert summary.failed == {} and summary.pending == {}
    received = kendo_emulator.received()
    assert by_uuid(bodies(received)) == [kendo_body(r) for r in MIXED[:3]]
    assert "transcript" not in bodies(received)[received_uuids(received).index("uuid-002/x==")]
    ledger = warehouse.ledger()
    assert {u: (e["status"], e["kendo_call_id"], e["attempts"]) for u, e in ledger.items()} == {
        r["metadata"]["zoomMeetingUuid"]: ("sent", r["callId"], 1) for r in received
    }
    assert all(e["sent_at"] and e["first_attempt_at"] and e["payload_hash"] for e in ledger.values())

    again = push(warehouse, kendo_emulator)
    assert again.sent == [] and sorted(again.skipped_already_sent) == sorted(summary.sent)
    assert len(kendo_emulator.received()) == 3


def test_429_and_5xx_are_retried_until_accepted(warehouse: Warehouse, kendo_emulator: KendoEmulator) -> None:
    warehouse.load([call_row(i) for i in range(1, 4)])
    kendo_emulator.configure(fail_next=[429, 503, 500, 429, 502], retry_after=0)
    summary = push(warehouse, kendo_emulator, concurrency=1, max_attempts=6)
    assert len(summary.sent) == 3 and summary.pending == {}
    assert kendo_emulator.stats()["status"] == {"429": 2, "503": 1, "500": 1, "502": 1, "201": 3}
    assert sorted(received_uuids(kendo_emulator.received())) == sorted(summary.sent)


def test_retry_after_is_honoured(warehouse: Warehouse, kendo_emulator: KendoEmulator) -> None:
    warehouse.load([call_row(1)])
    kendo_emulator.configure(fail_next=[429], retry_after=1)
    started = time.monotonic()
    assert len(push(warehouse, kendo_emulator).sent) == 1
    assert time.monotonic() - started >= 1.0


def test_exhausted_retries_leave_the_call_pending_for_the_next_run(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    warehouse.load([call_row(1), call_row(2)])
    kendo_emulator.configure(fail_next=[503, 503, 503])
    first = push(warehouse, kendo_emulator, concurrency=1, max_attempts=3)
    assert list(first.pending) == ["uuid-001/x=="] and first.sent == ["uuid-002/x=="]
    entry = warehouse.ledger()["uuid-001/x=="]
    assert entry["status"] == "pending" and "503" in entry["error"] and entry["kendo_call_id"] is None
    second = push(warehouse, kendo_emulator)
    assert second.sent == ["uuid-001/x=="] and second.skipped_already_sent == ["uuid-002/x=="]
    assert warehouse.ledger()["uuid-001/x=="]["attempts"] == 2
    assert sorted(received_uuids(kendo_emulator.received())) == ["uuid-001/x==", "uuid-002/x=="]


def test_a_400_is_recorded_as_failed_and_the_rest_go_through(warehouse: Warehouse) -> None:
    with BackgroundServer(audio_app()) as files, KendoEmulator(strict=True) as kendo:
        rows = [call_row(i, audio_url=f"{files.base_url}/rec/audio.m4a") for i in range(1, 5)]
        rows[1]["audio_url"] = f"{files.base_url}/rec/login?access_token=zoom-secret"  # an HTML page
        warehouse.load(rows)
        summary = push(warehouse, kendo)
        assert list(summary.failed) == ["uuid-002/x=="]
        assert "HTML" in summary.failed["uuid-002/x=="]
        assert sorted(summary.sent) == ["uuid-001/x==", "uuid-003/x==", "uuid-004/x=="]
        entry = warehouse.ledger()["uuid-002/x=="]
        assert entry["status"] == "failed" and "HTML" in entry["error"] and entry["kendo_call_id"] is None
        # refused content is not re-posted until it changes
        assert push(warehouse, kendo).skipped_failed == ["uuid-002/x=="]
        rows[1]["audio_url"] = f"{files.base_url}/rec/audio.m4a"
        warehouse.load([rows[1]])
        assert push(warehouse, kendo).sent == ["uuid-002/x=="]
        assert sorted(received_uuids(kendo.received())) == [r["meeting_uuid"] for r in rows]


def test_a_401_stops_the_push_marks_nothing_sent_and_blocks_nothing(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    rows = [call_row(i) for i in range(1, 7)]
    warehouse.load(rows)
    with pytest.raises(KendoAuthError) as err:
        push(warehouse, kendo_emulator, api_key="not-the-key", concurrency=2)
    message = str(err.value)
    assert "destination.kendo.api_key" in message and "DESTINATION__KENDO__API_KEY" in message
    assert "not-the-key" not in message and "401" in message
    assert kendo_emulator.received() == []
    assert all(e["status"] != "sent" for e in warehouse.ledger().values())
    # no pending package anywhere: every call was decided (pending in the ledger, or never claimed), and the
    # warehouse pipeline extracts new data
    assert not dlt.pipeline("zoom_wh_kendo_push").has_pending_data
    assert not warehouse.pipeline().has_pending_data
    info = warehouse.load([call_row(7)])
    assert info.loads_ids and warehouse.count_calls() == 7

    summary = push(warehouse, kendo_emulator)
    assert sorted(summary.sent) == [f"uuid-{i:03d}/x==" for i in range(1, 8)]
    assert by_uuid(bodies(kendo_emulator.received())) == [kendo_body(r) for r in [*rows, call_row(7)]]


def test_a_transcript_that_arrives_later_makes_the_call_ready_once(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    warehouse.load([call_row(1), call_row(2, audio=False, transcript=False)])
    assert push(warehouse, kendo_emulator).sent == ["uuid-001/x=="]
    later = call_row(2, audio=False, transcript=True)
    assert later["ready"] is True
    warehouse.load([later])
    assert push(warehouse, kendo_emulator).sent == ["uuid-002/x=="]
    assert push(warehouse, kendo_emulator).sent == []
    received = kendo_emulator.received()
    assert received_uuids(received) == ["uuid-001/x==", "uuid-002/x=="]
    assert bodies(received)[1] == kendo_body(later)


def test_a_changed_call_is_reported_not_resent_unless_asked(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    warehouse.load([call_row(1), call_row(2)])
    push(warehouse, kendo_emulator)
    first_id = warehouse.ledger()["uuid-001/x=="]["kendo_call_id"]
    warehouse.load([call_row(1, title="Demo 1 (renamed)")])
    summary = push(warehouse, kendo_emulator)
    assert summary.changed_not_resent == ["uuid-001/x=="] and summary.sent == []
    assert summary.skipped_already_sent == ["uuid-002/x=="]
    assert len(kendo_emulator.received()) == 2
    resent = push(warehouse, kendo_emulator, resend_changed=True)
    assert resent.resent == ["uuid-001/x=="] and resent.sent == []
    assert kendo_emulator.received()[-1]["callTitle"] == "Demo 1 (renamed)"
    entry = warehouse.ledger()["uuid-001/x=="]
    assert entry["status"] == "sent" and entry["kendo_call_id"] != first_id and entry["attempts"] == 2
    assert sorted(push(warehouse, kendo_emulator, resend_changed=True).skipped_already_sent) == [
        "uuid-001/x==",
        "uuid-002/x==",
    ]


def test_date_range_and_rep_filters(warehouse: Warehouse, kendo_emulator: KendoEmulator) -> None:
    rows = [call_row(i) for i in range(1, 7)]  # call_date = BASE + i hours, rep{i % 3}
    warehouse.load(rows)
    s = push(warehouse, kendo_emulator, since="2026-03-04T16:00:00Z", until="2026-03-04T19:00:00+00:00")
    assert sorted(s.sent) == ["uuid-002/x==", "uuid-003/x==", "uuid-004/x=="]
    s = push(warehouse, kendo_emulator, rep_emails=["REP1@yourco.com"])
    assert s.sent == ["uuid-001/x=="]  # uuid-004 (rep1) was sent by the run above
    assert push(warehouse, kendo_emulator, rep_emails=[]).counts()["sent"] == 0
    s = push(warehouse, kendo_emulator)
    assert sorted(s.sent) == ["uuid-005/x==", "uuid-006/x=="]
    assert sorted(received_uuids(kendo_emulator.received())) == [r["meeting_uuid"] for r in rows]


def test_dry_run_returns_payloads_without_secrets_and_posts_nothing(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    rows = [
        call_row(1, audio_url="https://zoom.example/rec/1.m4a?access_token=zoom-secret-token"),
        call_row(2),
    ]
    warehouse.load(rows)
    summary = push(warehouse, kendo_emulator, dry_run=True)
    expected = [kendo_body(r) for r in rows]
    expected[0]["audioUrl"] = "https://zoom.example/rec/1.m4a?access_token=***"
    assert summary.dry_run and summary.dry_run_payloads == expected
    assert "zoom-secret-token" not in repr(summary) and kendo_emulator.api_key not in repr(summary)
    assert kendo_emulator.stats()["requests"] == 0 and warehouse.ledger() == {}
    assert "would_send=2" in str(summary)


def test_concurrency_bound_and_pacing(warehouse: Warehouse, kendo_emulator: KendoEmulator) -> None:
    warehouse.load([call_row(i) for i in range(1, 13)])
    kendo_emulator.configure(latency_ms=100)
    assert len(push(warehouse, kendo_emulator, concurrency=3, rate_per_second=0).sent) == 12
    assert kendo_emulator.stats()["peak_concurrency"] == 3
    kendo_emulator.reset()
    warehouse.load([call_row(i) for i in range(13, 23)])
    started = time.monotonic()
    assert len(push(warehouse, kendo_emulator, concurrency=4, rate_per_second=20).sent) == 10
    assert time.monotonic() - started >= 9 / 20


def test_key_and_url_come_from_dlt_config(
    warehouse: Warehouse, kendo_emulator: KendoEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:

    warehouse.load([call_row(1)])
    monkeypatch.setenv("DESTINATION__KENDO__API_KEY", kendo_emulator.api_key)
    monkeypatch.setenv("DESTINATION__KENDO__INGEST_URL", kendo_emulator.ingest_url)
    assert push(warehouse, kendo_emulator, api_key=None, ingest_url=None).sent == ["uuid-001/x=="]


def test_the_dlt_destination_pushes_on_its_own_and_keeps_its_ledger(
    kendo_emulator: KendoEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Used without push_calls, all its settings come from config: the ledger location too."""
    from destinations.kendo import kendo_destination

    monkeypatch.setenv("DESTINATION__KENDO__API_KEY", kendo_emulator.api_key)
    monkeypatch.setenv("DESTINATION__KENDO__INGEST_URL", kendo_emulator.ingest_url)
    monkeypatch.setenv("DESTINATION__KENDO__RATE_PER_SECOND", "0")
    monkeypatch.setenv("DESTINATION__KENDO__LEDGER_CREDENTIALS", str(tmp_path / "ledger.duckdb"))
    monkeypatch.setenv("DESTINATION__KENDO__LEDGER_DATASET_NAME", "kendo")
    rows = [call_row(1), call_row(2, transcript=False)]
    for _ in range(2):  # the second run finds both calls sent in the ledger and posts nothing
        push_pipeline = dlt.pipeline("zoom_kendo_push", destination=kendo_destination())
        info = push_pipeline.run(rows, table_name="calls")
        assert not info.has_failed_jobs
    assert by_uuid(bodies(kendo_emulator.received())) == [kendo_body(r) for r in rows]
    with duckdb.connect(str(tmp_path / "ledger.duckdb")) as con:
        statuses = con.execute("SELECT status FROM kendo.kendo_sync").fetchall()
    assert statuses == [("sent",), ("sent",)]
    destination = kendo_destination(api_key=kendo_emulator.api_key)
    assert kendo_emulator.api_key not in repr(destination)
    assert kendo_emulator.api_key not in str(destination.configuration(None, accept_partial=True))


def test_without_a_ledger_location_the_destination_names_the_setting(kendo_emulator: KendoEmulator) -> None:
    from destinations.kendo import kendo_destination

    push_pipeline = dlt.pipeline(
        "zoom_kendo_push",
        destination=kendo_destination(api_key=kendo_emulator.api_key, ingest_url=kendo_emulator.ingest_url),
    )
    with pytest.raises(PipelineStepFailed, match="destination.kendo.ledger_credentials"):
        push_pipeline.run([call_row(1)], table_name="calls")
    assert kendo_emulator.received() == []


def test_the_push_leaves_the_warehouse_schema_alone(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    warehouse.load([call_row(1)])
    before = warehouse.pipeline().default_schema.to_dict()
    push(warehouse, kendo_emulator)
    after = warehouse.pipeline().default_schema.to_dict()
    assert after["normalizers"] == before["normalizers"] and after["version_hash"] == before["version_hash"]
    assert "kendo_sync" not in after["tables"]  # the ledger is plain SQL, not a dlt-managed table


def test_kendo_s_own_words_are_kept_for_a_400(warehouse: Warehouse, kendo_emulator: KendoEmulator) -> None:
    warehouse.load([call_row(1, title="x" * 300), call_row(2)])
    summary = push(warehouse, kendo_emulator)
    assert summary.failed == {"uuid-001/x==": "HTTP 400: Bad Request: callTitle is too long"}
    assert warehouse.ledger()["uuid-001/x=="]["error"] == "HTTP 400: Bad Request: callTitle is too long"
    assert summary.sent == ["uuid-002/x=="]


def test_a_time_budget_leaves_the_rest_pending_for_the_next_run(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    rows = [call_row(i) for i in range(1, 9)]
    warehouse.load(rows)
    kendo_emulator.configure(latency_ms=700)
    first = push(warehouse, kendo_emulator, concurrency=1, max_seconds=1.0)  # 8 × 0.7 s do not fit
    assert first.not_attempted and len(first.sent) < len(rows)
    assert set(first.not_attempted) == {r["meeting_uuid"] for r in rows} - set(first.sent)
    assert first.unfinished()["pending"] == len(rows) - len(first.sent)
    kendo_emulator.configure(latency_ms=0)
    second = push(warehouse, kendo_emulator)
    assert sorted(received_uuids(kendo_emulator.received())) == sorted(r["meeting_uuid"] for r in rows)
    assert not second.unfinished()["pending"]


def test_a_stop_signal_lets_the_posts_in_flight_finish_and_starts_no_more(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    rows = [call_row(i) for i in range(1, 13)]
    warehouse.load(rows)
    kendo_emulator.configure(latency_ms=1000)
    stop = threading.Event()

    def stop_at_the_first_post() -> None:  # like Ctrl-C while the first POSTs are in flight
        while kendo_emulator.stats()["requests"] == 0:
            time.sleep(0.01)
        stop.set()

    threading.Thread(target=stop_at_the_first_post, daemon=True).start()
    summary = push(warehouse, kendo_emulator, concurrency=2, stop=stop)
    sent = set(summary.sent)
    assert sent and len(sent) < len(rows)
    assert set(received_uuids(kendo_emulator.received())) == sent  # what went out was answered and recorded
    assert {u for u, e in warehouse.ledger().items() if e["status"] == "sent"} == sent
    # the rest were never posted: not attempted, or claimed and released as pending before their POST
    assert set(summary.not_attempted) | set(summary.pending) == {r["meeting_uuid"] for r in rows} - sent
    assert all("interrupted" in why for why in [*summary.not_attempted.values(), *summary.pending.values()])


def test_a_wrong_ingest_url_stops_the_push_and_fails_no_call(
    warehouse: Warehouse, kendo_emulator: KendoEmulator
) -> None:
    rows = [call_row(i) for i in range(1, 6)]
    warehouse.load(rows)
    with pytest.raises(KendoEndpointError, match="destination.kendo.ingest_url"):
        push(warehouse, kendo_emulator, ingest_url=kendo_emulator.ingest_url.replace("ingest", "ingst"))
    assert {e["status"] for e in warehouse.ledger().values()} <= {"pending"}  # none marked failed
    summary = push(warehouse, kendo_emulator)  # the URL fixed: every call goes
    assert sorted(summary.sent) == sorted(r["meeting_uuid"] for r in rows)
