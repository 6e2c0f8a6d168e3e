"""`zoom-pipeline webhooks serve` as a real process, fed by the Zoom emulator's webhook subscription over
real sockets: verification, durability (SIGKILL), dedupe of retries and duplicates, bursts, targeted loads,
deletion marks, a scheduled run in the middle of the stream, and the Kendo push (Postgres)."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator, List

import duckdb
import pytest
import requests
from aiohttp import ClientSession, web
from webhook_helpers import SCRIPT, SECRET, Receiver, hook_url, queue_rows, wait_for

from emulators._server import BackgroundServer, free_port
from emulators.zoom import ZoomEmulator
from emulators.zoom.webhook_sender import FORGERIES
from emulators.zoom.webhooks import signature

START = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()


@pytest.fixture
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=11, users=1, days_of_history=7, rate_limits=False, latency_ms=0) as e:
        yield e


def webhook_events(tmp: Path) -> List[tuple]:
    with duckdb.connect(str(tmp / "hooks.duckdb"), read_only=True) as db:
        return db.execute("SELECT event_key, event, status, object_uuid FROM zoom.webhook_events").fetchall()


def signed_post(url: str, body: dict, secret: str = SECRET) -> requests.Response:
    raw = json.dumps(body).encode()
    ts = int(time.time())
    headers = {"x-zm-request-timestamp": str(ts), "x-zm-signature": signature(secret, ts, raw)}
    return requests.post(url, data=raw, headers={**headers, "Content-Type": "application/json"}, timeout=10)


def raw_post(port: int, headers: bytes) -> int:
    """One POST with raw header bytes (requests refuses non-Latin-1 values); the answer's status."""
    body = b'{"event": "meeting.deleted"}'
    request = (
        b"POST /zoom/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + headers
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        status_line = s.makefile("rb").readline()
    return int(status_line.split()[1])


def test_missing_secret_is_one_line_naming_the_setting(emu: ZoomEmulator, tmp_path: Path) -> None:
    r = Receiver(emu, tmp_path)
    env = {k: v for k, v in r.env.items() if k != "SOURCES__ZOOM__WEBHOOK_SECRET_TOKEN"}
    done = subprocess.run(
        [SCRIPT, "webhooks", "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith("zoom-pipeline: sources.zoom.webhook_secret_token")


def test_forgeries_are_refused_validation_answered_and_a_replay_takes_effect_once(
    emu: ZoomEmulator, tmp_path: Path
) -> None:
    with Receiver(emu, tmp_path, "--max-body-bytes", "20000") as r:
        emu.subscribe_webhooks(hook_url(r), SECRET, time_scale=0.001)
        assert emu.validate_webhook_url("qgg8vlvZRS6UYooatFL8Aw")["ok"]
        for forge in FORGERIES:
            assert emu.forged_webhook(forge, "meeting.deleted", {"id": "77"})["status"] == 401
        # signed with another app's secret token
        assert (
            signed_post(hook_url(r), {"event": "meeting.deleted", "event_ts": 1}, secret="other").status_code
            == 401
        )
        assert signed_post(hook_url(r), {"event": "x", "pad": "y" * 30000}).status_code == 413
        # headers that are not UTF-8 (a scanner's garbage): refused like any forgery, no 500 and no trace
        assert raw_post(r.port, b"x-zm-signature: v0=\xff\xfe\r\nx-zm-request-timestamp: 1\r\n") == 401
        assert raw_post(r.port, b"x-zm-signature: v0=ab\r\nx-zm-request-timestamp: \xc3\x28\r\n") == 401
        m = r.metrics()
        # a second server of the same account (its queue) on another port: 75, not a second drain of the queue
        second = [
            SCRIPT,
            "webhooks",
            "serve",
            "--port",
            str(free_port()),
            "--duckdb-path",
            str(tmp_path / "hooks.duckdb"),
        ]
        twice = subprocess.run(second, env=r.env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert twice.returncode == 75, twice.stderr
        assert (
            twice.stderr.strip()
            .splitlines()[-1]
            .startswith("zoom-pipeline: another webhooks server of zoom_pipeline runs since")
        ), twice.stderr
        # another server (its own data dir) on the same port: exit 1 naming the flag, not "interrupted" (130)
        busy = subprocess.run(
            [SCRIPT, "webhooks", "serve", "--port", str(r.port), "--duckdb-path", str(tmp_path / "b.duckdb")],
            env={**r.env, "DLT_DATA_DIR": str(tmp_path / "other_dlt")},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert busy.returncode == 1, busy.stderr
        assert busy.stderr.strip().splitlines()[-1].startswith(f"zoom-pipeline: --port {r.port}:"), (
            busy.stderr
        )
        assert queue_rows(tmp_path) == []  # nothing stored
        # the same delivery three times (Zoom's duplicate, then a replay of the captured request): once
        joined = {
            "event": "meeting.participant_joined",
            "event_ts": int(time.time() * 1000),
            "payload": {
                "account_id": emu.account_id,
                "object": {
                    "uuid": "abc==",
                    "id": "5",
                    "participant": {"user_id": "9", "user_name": "Ann", "join_time": "2026-01-01T10:00:00Z"},
                },
            },
        }
        assert [signed_post(hook_url(r), joined).status_code for _ in range(3)] == [200, 200, 200]
        wait_for(lambda: r.metrics().get("processed_total") == 1, 60, r.output)
        after = r.metrics()
    assert m['rejected_total{reason="bad_signature"}'] == 4
    assert "Traceback" not in r.output()
    assert m['rejected_total{reason="missing_signature"}'] == 1
    assert m['rejected_total{reason="stale_timestamp"}'] == 1
    assert m['rejected_total{reason="too_large"}'] == 1
    assert after["queued_total"] == 1 and after["duplicates_total"] == 2
    rows = webhook_events(tmp_path)
    assert [(e, s, u) for _, e, s, u in rows] == [("meeting.participant_joined", "processed", "abc==")]
    assert [(e, s) for e, s, _, _ in queue_rows(tmp_path)] == [("meeting.participant_joined", "done")]


def test_burst_of_1000_all_acknowledged_and_each_processed_once(emu: ZoomEmulator, tmp_path: Path) -> None:
    # --run-every: the scheduled run starts at once, in the same process, under the same lock as the events
    with Receiver(emu, tmp_path, "--run-every", "60", env={"SOURCES__ZOOM__START_DATE": START}) as r:
        emu.subscribe_webhooks(hook_url(r), SECRET, time_scale=0.001)
        burst = emu.webhook_burst(1000)
        assert burst["statuses"] == {"200": 1000}
        wait_for(lambda: r.metrics().get("processed_total") == 1000, 120, r.output)
        wait_for(lambda: r.metrics().get("scheduled_runs_total") == 1, 120, r.output)
        m = r.metrics()
    assert m["queued_total"] == 1000 and m["failed_total"] == 0 and m["queue_depth"] == 0
    with duckdb.connect(str(tmp_path / "hooks.duckdb"), read_only=True) as db:
        loaded = {u for (u,) in db.execute("SELECT uuid FROM zoom.past_meetings").fetchall()}
    assert loaded == {p["uuid"] for p in emu.truth()["tables"]["past_meetings"]}
    rows = webhook_events(tmp_path)
    assert len(rows) == 1000 and len({k for k, *_ in rows}) == 1000
    assert Counter(s for _, s, _, _ in queue_rows(tmp_path)) == {"done": 1000}


def test_sigkill_right_after_acknowledging_50_loses_none_and_repeats_none(
    emu: ZoomEmulator, tmp_path: Path
) -> None:
    # a worker that would wait 10 minutes before its first batch: the kill comes after the 200s, before any load
    r = Receiver(emu, tmp_path, "--batch-seconds", "600").start()
    emu.subscribe_webhooks(hook_url(r), SECRET, time_scale=0.001)
    assert emu.webhook_burst(50)["statuses"] == {"200": 50}
    r.kill()
    assert Counter(s for _, s, _, _ in queue_rows(tmp_path)) == {"queued": 50}
    with Receiver(emu, tmp_path) as again:
        wait_for(lambda: again.metrics().get("processed_total") == 50, 60, again.output)
    rows = webhook_events(tmp_path)
    assert len(rows) == 50 and len({k for k, *_ in rows}) == 50
    assert [(s, a) for _, s, a, _ in queue_rows(tmp_path)] == [("done", 1)] * 50  # each processed once


def test_zoom_retries_of_a_delivery_answered_500_take_effect_once(emu: ZoomEmulator, tmp_path: Path) -> None:
    """A proxy passes the first delivery on to the receiver (which queues it) but answers Zoom 500, as a
    broken load balancer would; Zoom retries, and the retry is recognised."""
    with Receiver(emu, tmp_path) as r:
        seen: list = []

        async def proxy(request: web.Request) -> web.Response:
            raw = await request.read()
            headers = {
                k: v for k, v in request.headers.items() if k.lower().startswith(("x-zm", "content-type"))
            }
            async with ClientSession() as s, s.post(hook_url(r), data=raw, headers=headers) as resp:
                status = resp.status
            seen.append(status)
            return web.Response(status=500 if len(seen) == 1 else status)

        app = web.Application()
        app.router.add_post("/hook", proxy)
        with BackgroundServer(app) as front:
            emu.subscribe_webhooks(f"{front.base_url}/hook", SECRET, time_scale=0.001)
            inst = next(iter(emu.truth()["tables"]["past_meetings"]))
            emu.send_webhook(
                "meeting.participant_left", {"uuid": inst["uuid"], "id": "1", "participant": {"user_id": "3"}}
            )
            wait_for(lambda: emu.webhook_deliveries()["pending"] == 0, 30)
        wait_for(lambda: r.metrics().get("processed_total") == 1, 60, r.output)
        m = r.metrics()
    log = emu.webhook_deliveries()["log"]
    assert [(e["kind"], e["status"]) for e in log] == [("original", 500), ("retry", 200)]
    assert m["queued_total"] == 1 and m["duplicates_total"] == 1
    assert [e for _, e, _, _ in webhook_events(tmp_path)] == ["meeting.participant_left"]


def _pg(url: str, sql: str) -> List[Any]:
    import psycopg2

    with psycopg2.connect(url) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return list(cur.fetchall())


def test_recordings_reach_calls_and_kendo_once_with_a_scheduled_run_in_the_stream_postgres(
    tmp_path: Path, postgres_url: str, postgres_dataset: str
) -> None:
    from emulators.kendo import KendoEmulator

    ds = postgres_dataset
    with (
        KendoEmulator(strict=True) as kendo,
        ZoomEmulator(seed=12, users=2, days_of_history=10, rate_limits=False, latency_ms=0) as emu,
    ):
        env = {
            "DESTINATION__POSTGRES__CREDENTIALS": postgres_url,
            "DESTINATION__KENDO__API_KEY": kendo.api_key,
            "DESTINATION__KENDO__INGEST_URL": kendo.ingest_url,
            "SOURCES__ZOOM__START_DATE": START,
        }
        where = ["--destination", "postgres", "--dataset", ds]
        with Receiver(emu, tmp_path, *where, "--push-kendo", "--settle-minutes", "0", env=env) as r:
            # Zoom sends each event twice
            emu.subscribe_webhooks(hook_url(r), SECRET, time_scale=0.001, duplicates=1)
            scheduled = subprocess.Popen(
                [SCRIPT, "run", *where, "--push-kendo", "--wait-lock", "600"],
                env=r.env,
                cwd=tmp_path,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            added = [emu.add_meeting(participants=3)["uuid"] for _ in range(3)]
            out, _ = scheduled.communicate(timeout=600)
            assert scheduled.returncode == 0, out[-3000:]
            # 3 × (meeting.ended, recording.completed, recording.transcript_completed)
            wait_for(lambda: r.metrics().get("processed_total") == 9, 120, r.output)
            emu.delete_recording(added[0])
            wait_for(lambda: r.metrics().get("processed_total") == 10, 60, r.output)
            m = r.metrics()
        truth = emu.truth()
        received = kendo.received()
    ready = {c["meeting_uuid"] for c in truth["calls"] if c["ready"]} | {added[0]}
    sent = Counter(c["metadata"]["zoomMeetingUuid"] for c in received)
    assert set(sent) == ready and set(sent.values()) == {1}  # every ready call once, none twice
    assert set(added) <= set(sent)
    recorded = {r["uuid"] for r in truth["tables"]["recordings"]} | {added[0]}
    assert {u for (u,) in _pg(postgres_url, f'SELECT uuid FROM "{ds}".recordings')} == recorded
    calls = _pg(postgres_url, f'SELECT meeting_uuid, _zoom_deleted_at FROM "{ds}".calls')
    assert len(calls) == len({u for u, _ in calls}) == len(recorded)
    assert {u for u, gone in calls if gone is not None} == {added[0]}  # marked, not dropped
    files = _pg(
        postgres_url,
        f"SELECT count(*), count(_zoom_deleted_at) FROM \"{ds}\".recording_files WHERE meeting_uuid = '{added[0]}'",
    )
    assert files[0][0] > 0 and files[0][0] == files[0][1]
    in_added = ",".join(f"'{u}'" for u in added)
    parts = _pg(
        postgres_url,
        f'SELECT count(DISTINCT meeting_uuid) FROM "{ds}".meeting_participants WHERE meeting_uuid IN ({in_added})',
    )
    assert parts == [(3,)]  # the settle-delay load of meeting.ended
    events = _pg(postgres_url, f'SELECT event, status FROM "{ds}".webhook_events')
    assert Counter(e for e, _ in events) == {
        "meeting.ended": 3,
        "recording.completed": 3,
        "recording.transcript_completed": 3,
        "recording.trashed": 1,
    }
    assert {s for _, s in events} == {"processed"}
    assert m["duplicates_total"] == 10 and m["event_to_kendo_seconds_count"] >= 1


def test_signed_events_of_an_odd_shape_never_stop_the_worker(emu: ZoomEmulator, tmp_path: Path) -> None:
    """Zoom's payloads are data, not ours to trust: a signed event whose `event_ts` is out of range, or whose
    recordings are not a list, is recorded, and the events after it are still processed (a worker that died
    on one would die again on it at every restart)."""

    def event(name: str, ts: int, obj: dict) -> dict:
        return {"event": name, "event_ts": ts, "payload": {"account_id": emu.account_id, "object": obj}}

    def settled() -> float:
        m = r.metrics()  # the process is gone (ConnectionError) if the worker died
        return m.get("processed_total", 0) + m.get("failed_total", 0)

    now = int(time.time() * 1000)
    with Receiver(emu, tmp_path) as r:
        odd = [
            event("meeting.participant_joined", 10**17, {"uuid": "odd==", "id": "1"}),
            event("phone.recording_completed", now, {"recordings": 5}),
        ]
        assert [signed_post(hook_url(r), body).status_code for body in odd] == [200, 200]
        wait_for(lambda: settled() == 2, 120, r.output)
        fine = event("meeting.participant_left", now, {"uuid": "fine==", "id": "2"})
        assert signed_post(hook_url(r), fine).status_code == 200
        wait_for(lambda: settled() == 3, 120, r.output)
        assert requests.get(f"{r.url}/healthz", timeout=5).status_code == 200
    statuses = {u: s for _, e, s, u in webhook_events(tmp_path)}
    assert statuses["fine=="] == "processed" and "odd==" in statuses


def test_push_kendo_without_a_kendo_key_stops_before_serving_or_loading(
    emu: ZoomEmulator, tmp_path: Path
) -> None:
    """A missing Kendo key is found at the start, not after a backfill (`run`) or at every event's batch,
    failed five times over minutes (`webhooks serve`)."""
    env = {k: v for k, v in Receiver(emu, tmp_path).env.items() if k != "DESTINATION__KENDO__API_KEY"}
    before = emu.stats()["requests"]
    for command in (["webhooks", "serve", "--port", str(free_port())], ["run"]):
        done = subprocess.run(
            [SCRIPT, *command, "--push-kendo", "--duckdb-path", str(tmp_path / "k.duckdb")],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1, done.stderr
        assert "destination.kendo.api_key" in done.stderr.strip().splitlines()[-1], done.stderr
    assert emu.stats()["requests"] == before
