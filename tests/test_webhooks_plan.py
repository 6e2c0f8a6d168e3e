"""What one micro-batch of Zoom events asks of the worker (pipelines/webhooks/worker.py `plan`), from the
events as the receiver parses them: Zoom's order (event_ts) decides between a deletion and a recovery, and
one deleted occurrence of a recurring meeting deletes nothing."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

import pytest

from pipelines.cli import build_parser
from pipelines.webhooks import events as ev
from pipelines.webhooks.worker import plan


def _event(name: str, ts: int, obj: Dict[str, Any], token: Optional[str] = None, **payload: Any) -> ev.Event:
    body: Dict[str, Any] = {
        "event": name,
        "event_ts": ts,
        "payload": {"account_id": "a", "object": obj, **payload},
    }
    if token:
        body["download_token"] = token
    return ev.parse(json.dumps(body).encode())


def test_a_recording_trashed_then_recovered_in_one_batch_is_loaded_with_the_recovery_token() -> None:
    rec = {"uuid": "u1==", "id": 5}
    got = plan([_event("recording.recovered", 2000, rec, "tok"), _event("recording.trashed", 1000, rec)])
    assert got.recordings == {"u1==": "tok"} and got.gone_recordings == {}


def test_a_recording_recovered_then_trashed_is_not_loaded() -> None:
    rec = {"uuid": "u1==", "id": 5}
    got = plan([_event("recording.recovered", 1000, rec, "tok"), _event("recording.trashed", 2000, rec)])
    assert got.recordings == {} and list(got.gone_recordings) == ["u1=="]


def test_one_deleted_occurrence_deletes_no_meeting_and_is_kept_in_its_row() -> None:
    single = _event("meeting.deleted", 1000, {"uuid": "m==", "id": 7}, operation="single")
    whole = _event("meeting.deleted", 1001, {"uuid": "n==", "id": 8}, operation="all")
    assert list(plan([single, whole]).deleted_meetings) == ["8"]
    stored = ev.from_stored(single.stored(), None, single.dedupe_key)
    assert ev.webhook_row(stored, 0.0, "processed")["operation"] == "single"


@pytest.mark.parametrize(
    "flag, value",
    [
        ("--batch-seconds", "nan"),
        ("--batch-seconds", "-1"),
        ("--settle-minutes", "-5"),
        ("--settle-minutes", "inf"),
        ("--run-every", "nan"),  # was: a scheduled run every second
        ("--retry-base-seconds", "inf"),
        ("--port", "0"),
        ("--port", "99999"),
    ],
)
def test_a_bad_serve_flag_exits_1_naming_it(flag: str, value: str, capsys: pytest.CaptureFixture) -> None:
    """Checked before anything starts (a NaN batch time used to stop the worker with a bare ValueError)."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["webhooks", "serve", flag, value])
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith(f"zoom-pipeline: webhooks serve: argument {flag}:")
