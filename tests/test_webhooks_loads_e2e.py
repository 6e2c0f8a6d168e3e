"""What the webhook worker loads, and how it fails, with `zoom-pipeline webhooks serve` as a real process fed
by the Zoom emulator over real sockets: meeting.ended's settle-delay load of participants and usage reports,
downloads granted only by the event's `download_token` (which is never logged or kept), and a batch whose
load keeps failing (marked `failed`, counted, the server still serving)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, List

import duckdb
import pytest
import requests
from aiohttp import ClientSession, web
from webhook_helpers import SECRET, Receiver, hook_url, queue_rows, wait_for

from emulators._server import BackgroundServer
from emulators.zoom import ZoomEmulator

SETTLE = "_settle.meeting_participants"  # the worker's own follow-up job (pipelines/webhooks/events.py)


@pytest.fixture
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=21, users=1, days_of_history=3, rate_limits=False, latency_ms=0) as e:
        yield e


def query(tmp: Path, sql: str) -> List[tuple]:
    with duckdb.connect(str(tmp / "hooks.duckdb"), read_only=True) as db:
        return db.execute(sql).fetchall()


def settled(tmp: Path) -> bool:
    return any(e == SETTLE and s == "done" for e, s, _, _ in queue_rows(tmp))


def test_meeting_ended_loads_participants_and_reports_after_the_settle_delay(
    emu: ZoomEmulator, tmp_path: Path
) -> None:
    with Receiver(emu, tmp_path, "--settle-minutes", "0") as r:
        emu.subscribe_webhooks(hook_url(r), SECRET, time_scale=0.001)
        uuid = emu.add_meeting(participants=3, recorded=False)["uuid"]  # meeting.ended only
        wait_for(lambda: r.metrics().get("processed_total") == 1 and settled(tmp_path), 60, r.output)
    tables = emu.truth()["tables"]
    want = [p for p in tables["report_meeting_participants"] if p["meeting_uuid"] == uuid]
    assert len(want) == 3 and [m["uuid"] for m in tables["report_meetings"] if m["uuid"] == uuid] == [uuid]
    assert query(tmp_path, "SELECT uuid, participants_count FROM zoom.report_meetings") == [(uuid, 3)]
    got = query(
        tmp_path, f"SELECT count(*) FROM zoom.report_meeting_participants WHERE meeting_uuid = '{uuid}'"
    )
    assert got == [(len(want),)]
    parts = query(tmp_path, f"SELECT count(*) FROM zoom.meeting_participants WHERE meeting_uuid = '{uuid}'")
    assert parts[0][0] > 0
    # the settle job read only that instance: one report listing (its host, its day), no month windows
    assert query(tmp_path, "SELECT uuid FROM zoom.past_meetings") == [(uuid,)]


class Capture:
    """A pass-through between the emulator and the receiver that keeps every delivered body (the test's
    view of what Zoom sent, download tokens included)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.bodies: List[bytes] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.bodies.append(raw)
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith(("x-zm", "content-type"))}
        async with ClientSession() as s, s.post(self.target, data=raw, headers=headers) as resp:
            return web.Response(status=resp.status, body=await resp.read())


def test_downloads_use_the_events_download_token_which_is_never_logged_or_kept(
    emu: ZoomEmulator, tmp_path: Path
) -> None:
    import json

    # the app's OAuth token lacks the recording-file scope: only the event's download_token gets the files
    emu.configure(downloads_need_download_token=True)
    with Receiver(emu, tmp_path, "--settle-minutes", "60") as r:
        capture = Capture(hook_url(r))
        app = web.Application()
        app.router.add_post("/hook", capture.handle)
        with BackgroundServer(app) as front:
            emu.subscribe_webhooks(f"{front.base_url}/hook", SECRET, time_scale=0.001)
            uuid = emu.add_meeting(participants=2, transcript=True)["uuid"]
            # meeting.ended, recording.completed, recording.transcript_completed
            wait_for(lambda: r.metrics().get("processed_total") == 3, 60, r.output)
        tokens = {json.loads(b).get("download_token") for b in capture.bodies} - {None}
        # processed, so gone from the queue file and its WAL while the server runs on (SQLite keeps a
        # changed value's old bytes in the WAL and in free space unless told to overwrite them)
        assert [p.name for p in tmp_path.rglob("*.webhooks.sqlite*") if _holds(p, tokens)] == []
    assert tokens, "the emulator's recording events carry a download_token"
    assert query(tmp_path, f"SELECT count(*) FROM zoom.transcripts WHERE meeting_uuid = '{uuid}'") == [(1,)]
    made = {t for (t,) in query(tmp_path, "SELECT table_name FROM information_schema.tables")}
    assert "file_errors" not in made  # no file failed to download
    assert query(tmp_path, f"SELECT ready FROM zoom.calls WHERE meeting_uuid = '{uuid}'") == [(True,)]
    # the token is in no file the receiver wrote: log, queue (and its WAL), warehouse, dlt's working dir
    leaked = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file() and _holds(p, tokens)]
    assert leaked == []


def _holds(path: Path, tokens: set) -> bool:
    return any(t.encode() in path.read_bytes() for t in tokens)


def test_a_batch_whose_load_keeps_failing_is_marked_failed_and_the_server_keeps_serving(
    emu: ZoomEmulator, tmp_path: Path
) -> None:
    ended = emu.truth()["tables"]["past_meetings"]
    bad, good = ended[0]["uuid"], ended[1]["uuid"]
    emu.configure(failing_instances=[bad])  # Zoom answers 500 for every request about that instance
    args = ("--max-attempts", "3", "--retry-base-seconds", "0.05")
    # one HTTP attempt per request: the worker's back-off, not the client's, is under test
    with Receiver(emu, tmp_path, *args, env={"SOURCES__ZOOM__MAX_ATTEMPTS": "1"}) as r:
        emu.subscribe_webhooks(hook_url(r), SECRET, time_scale=0.001)
        emu.send_webhook("meeting.ended", {"uuid": bad, "id": "1"})
        wait_for(lambda: r.metrics().get("failed_total") == 1, 60, r.output)
        emu.send_webhook(
            "meeting.participant_left", {"uuid": good, "id": "2", "participant": {"user_id": "7"}}
        )
        wait_for(lambda: r.metrics().get("processed_total") == 1, 60, r.output)
        assert requests.get(f"{r.url}/healthz", timeout=5).status_code == 200
        m = r.metrics()
    assert m["retried_total"] == 2 and m["failed_total"] == 1 and m["queue_depth"] == 0
    queued = {(e, s, a) for e, s, a, _ in queue_rows(tmp_path)}
    assert queued == {("meeting.ended", "failed", 3), ("meeting.participant_left", "done", 1)}
    rows = query(tmp_path, "SELECT event, status, object_uuid, error FROM zoom.webhook_events ORDER BY event")
    assert [(e, s, u) for e, s, u, _ in rows] == [
        ("meeting.ended", "failed", bad),
        ("meeting.participant_left", "processed", good),
    ]
    assert "500" in rows[0][3], rows[0][3]
