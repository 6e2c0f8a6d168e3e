"""Merge keys are unique on what Zoom sends: no two real rows share a key, so none overwrites another.

The emulator's account holds the cases that break naive keys: guests without email (and without a Zoom
user id), rejoins, two guests of the same name answering a poll question in the same second.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import zoom_helpers
from test_source_e2e import ZOOM_TABLES, assert_matches_truth
from zoom_helpers import duplicates, load, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

START = (datetime.now(UTC) - timedelta(days=45)).date().isoformat()
ANSWER = ["meeting_uuid", "name", "email", "polling_id", "question", "date_time", "answer"]


def test_every_key_is_unique_on_the_data_zoom_sends() -> None:
    with ZoomEmulator(seed=13, users=4, days_of_history=40, rate_limits=False) as emu:
        truth = emu.truth()
    answers = truth_rows(truth, "meeting_poll_results", ANSWER[:-1])
    assert duplicates(answers), "the account must hold two answers alike but for the answer itself"
    for table, rows in truth["tables"].items():
        key = table_key(table)
        if rows and all(k in rows[0] for k in key):
            assert not duplicates(truth_rows(truth, table, key)), f"{table}: key {key} collides"


def test_full_load_keeps_every_poll_answer_and_equals_the_truth(warehouse) -> None:
    _, pipeline = warehouse
    with ZoomEmulator(seed=13, users=4, days_of_history=40, rate_limits=False) as emu:
        load(pipeline, emu, START)
        truth = emu.truth()
    expected = Counter(truth_rows(truth, "meeting_poll_results", ANSWER))
    assert Counter(warehouse_rows(pipeline, "meeting_poll_results", ANSWER)) == expected
    assert any(not email for (_, _, email, *_rest) in expected), "guests without email answer too"
    assert_matches_truth(pipeline, truth, ZOOM_TABLES)
