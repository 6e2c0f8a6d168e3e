"""Property tests: any value Zoom's schema allows for a field, and junk (wrong types, bad dates, None, huge
ints, odd unicode), either loads or lands in `rejected_rows`; it never stops the run."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any, Dict, List

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from zoom_helpers import load, make_pipeline, warehouse_rows

from emulators.zoom import ZoomEmulator
from sources.zoom.arrow_pages import participant_page
from sources.zoom.column_types import COLUMN_TYPES, PARTICIPANT
from sources.zoom.past_meetings import poll_answer_rows
from sources.zoom.registry import key_of
from sources.zoom.rejects import screen_rows
from sources.zoom.run_context import RunStats, ZoomRun
from sources.zoom.settings import ENDPOINTS

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
INT64 = (-(2**63), 2**63 - 1)

# What Zoom's OpenAPI documents allow for a field of each type (times are `date-time` strings).
zoom_times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ"))
ALLOWED = {
    "timestamp": st.one_of(zoom_times, st.just("")),
    "bigint": st.integers(*INT64),
    "text": st.text(max_size=40),
    "bool": st.booleans(),
}
odd_text = st.one_of(
    st.text(alphabet=st.characters(codec=None), max_size=12),  # any code point, NUL and surrogates too
    st.sampled_from(
        [
            "not-a-date",
            "2026-02-30T10:00:00Z",
            "0000-00-00",
            "12",
            "-0",
            "1e3",
            "NaN",
            "\u202e",
            "🎉",
            "http://[x?access_token=1",
        ]
    ),
)
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # huge ones too
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _run() -> ZoomRun:
    now = datetime.now(UTC)
    return ZoomRun(None, now - timedelta(days=1), now, 0, False, stats=RunStats())  # type: ignore[arg-type]


def _key(table: str) -> tuple:
    return key_of(table)


@st.composite
def table_rows(draw: Any) -> tuple:
    table = draw(st.sampled_from(sorted(t for t in COLUMN_TYPES if t in ENDPOINTS)))
    types = COLUMN_TYPES[table]
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        row: Dict[str, Any] = {}
        for name, t in types.items():
            choice = draw(st.sampled_from(["allowed", "allowed", "junk", "absent"]))
            if choice != "absent" or name in _key(table):
                row[name] = draw(ALLOWED[t] if choice != "junk" else JUNK)
        if draw(st.booleans()):
            row["field_zoom_added"] = draw(st.one_of(ALLOWED["text"], JUNK))
        rows.append(row)
    return table, rows


def _storable(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" not in value and not any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return INT64[0] <= value <= INT64[1]
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(v) for v in value.values())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return isinstance(value, datetime)


PY_TYPES = {"timestamp": datetime, "bigint": int, "text": str, "bool": bool}


@PROPERTY
@given(table_rows())
def test_every_row_either_loads_typed_or_is_rejected_with_its_payload(case) -> None:
    table, rows = case
    good, rejected = screen_rows(table, rows)
    assert len(good) + len(rejected) == len(rows)
    for row in good:
        for name, value in row.items():
            t = COLUMN_TYPES[table].get(name)
            if t is not None and value is not None:
                assert type(value) is PY_TYPES[t], (name, value)
                if t == "timestamp":
                    assert value.tzinfo is not None
            assert _storable(value), (name, value)
        assert all(row.get(k) is not None for k in _key(table))
    for r in rejected:
        assert r["table_name"] == table and r["reason"]
        json.loads(r["payload"])  # JSON text, storable anywhere (ASCII)
        assert r["payload"].isascii() and len(r["payload_hash"]) == 64


def test_allowed_values_always_load() -> None:
    row = {
        "meeting_uuid": "u==",
        "meeting_id": 81234567890,
        "user_id": "16778241",
        "join_time": "2026-01-01T10:00:00Z",
    }
    row |= {"duration": "61", "failover": False, "name": 7, "leave_time": "01/02/2026 10:05"}
    good, rejected = screen_rows("meeting_participants", [row])
    assert not rejected and good[0]["duration"] == 61 and good[0]["name"] == "7"


@PROPERTY
@given(
    st.lists(
        st.fixed_dictionaries(
            {"name": st.one_of(st.text(max_size=8), JUNK), "email": st.one_of(st.text(max_size=8), JUNK)},
            optional={
                "question_details": st.lists(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "question": st.one_of(st.text(max_size=8), JUNK),
                            "answer": st.one_of(st.text(max_size=8), JUNK),
                            "polling_id": st.one_of(st.text(max_size=8), JUNK),
                            "date_time": st.one_of(zoom_times, JUNK),
                        },
                    ),
                    max_size=4,
                )
            },
        ),
        max_size=5,
    )
)
def test_poll_answers_never_share_a_key_and_never_stop_the_run(respondents) -> None:
    rows = poll_answer_rows(respondents, meeting_uuid="u==", meeting_id=1)
    good, rejected = screen_rows("meeting_poll_results", rows)
    assert len(good) + len(rejected) == len(rows)
    keys = [tuple(repr(r[k]) for k in _key("meeting_poll_results")) for r in good]
    assert len(keys) == len(set(keys))


@PROPERTY
@given(
    st.lists(
        st.fixed_dictionaries({}, optional={k: st.one_of(ALLOWED[t], JUNK) for k, t in PARTICIPANT.items()}),
        max_size=6,
    )
)
def test_a_participant_page_is_arrow_or_dicts_plus_rejected_rows(page) -> None:
    run = _run()
    items = participant_page(run, "meeting_participants", page, meeting_uuid="u==", meeting_id=5)
    loaded = 0
    for item in items:
        if isinstance(item, pa.Table):
            loaded += item.num_rows
        elif isinstance(item, list):
            loaded += len(item)
        else:
            assert item.meta.table_name == "rejected_rows"
            loaded += len(item.data)
    assert loaded == len(page)


BAD_FIELDS = sorted(PARTICIPANT) + ["field_zoom_added"]


@pytest.fixture(scope="module")
def junk_emu():
    with ZoomEmulator(seed=4, users=2, days_of_history=20, rate_limits=False) as emu:
        yield emu


@pytest.mark.parametrize("destination", ["duckdb", "postgres"])
def test_junk_values_from_zoom_load_or_are_rejected_and_the_run_goes_on(
    junk_emu, destination, request, tmp_path
):
    """A real load per example: the emulator serves the junk, dlt loads into a real warehouse."""
    url = request.getfixturevalue("postgres_url") if destination == "postgres" else None
    start = (datetime.now(UTC) - timedelta(days=25)).date().isoformat()
    runs = iter(range(1000))

    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(
        st.lists(st.tuples(st.sampled_from(BAD_FIELDS), st.one_of(JUNK, odd_text)), min_size=1, max_size=3)
    )
    def check(bad: List[tuple]) -> None:
        n = next(runs)
        junk_emu.configure(
            bad_values=[{"rows": "meeting_participants", "field": f, "value": v} for f, v in bad]
        )
        dataset = f"{request.getfixturevalue('postgres_dataset')}_{n}" if url else "zoom"
        pipeline = make_pipeline(destination, tmp_path / str(n), dataset=dataset, postgres_url=url)
        try:
            load(pipeline, junk_emu, start, resources=["meeting_participants"])
            truth = junk_emu.truth()
            assert truth["rejected_rows"], "the emulator must serve the junk"
            loaded = {
                (u, str(i))
                for u, i in warehouse_rows(pipeline, "meeting_participants", ["meeting_uuid", "user_id"])
            }
            payloads = [json.loads(p) for (p,) in warehouse_rows(pipeline, "rejected_rows", ["payload"])]
            set_aside = {(p["meeting_uuid"], str(p.get("user_id"))) for p in payloads}
            clean = {(r["meeting_uuid"], str(r["user_id"])) for r in truth["tables"]["meeting_participants"]}
            assert clean <= loaded
            for r in truth["rejected_rows"]:
                if r["table_name"] == "meeting_participants":
                    assert (r["meeting_uuid"], str(r["user_id"])) in loaded | set_aside, r
        finally:
            if url:
                import psycopg2

                conn = psycopg2.connect(url)
                conn.autocommit = True
                with conn.cursor() as cur:
                    for suffix in ("", "_staging"):
                        cur.execute(f'DROP SCHEMA IF EXISTS "{dataset}{suffix}" CASCADE')
                conn.close()

    check()


RECORDING_FIELDS = {
    "uuid": st.just("rec/uuid=="),
    "id": ALLOWED["bigint"],
    "host_id": ALLOWED["text"],
    "topic": ALLOWED["text"],
    "type": st.sampled_from(["1", "2", "8", 2]),
    "start_time": zoom_times,
    "duration": st.integers(0, 600),
    "total_size": ALLOWED["bigint"],
    "recording_count": st.integers(0, 10),
    "recording_files": st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "id": ALLOWED["text"],
                "file_type": st.sampled_from(["MP4", "M4A", "TIMELINE", "CSV", "SUMMARY"]),
                "file_size": ALLOWED["bigint"],
                "recording_start": zoom_times,
                "recording_end": st.one_of(zoom_times, st.just("")),
                "status": st.sampled_from(["completed", "processing"]),
                "download_url": ALLOWED["text"],
            },
        ),
        max_size=3,
    ),
}


@PROPERTY
@given(
    st.fixed_dictionaries({}, optional={k: st.one_of(v, JUNK) for k, v in RECORDING_FIELDS.items()}),
    st.data(),
)
@example(payload={"type": float("inf")}, data=None)  # found by hypothesis in CI: int(inf) overflowed
def test_any_recording_payload_gives_rows_or_rejected_rows_never_an_error(payload, data) -> None:
    from sources.zoom.recordings import iter_recordings

    run = _run()
    run.once(("users",), lambda: [])  # the host lookup reads the run's user listing
    start = datetime(2026, 1, 5, tzinfo=UTC)
    run.ranges["recordings"] = (start - timedelta(days=1), start + timedelta(days=1))
    bundle = {"kind": "recording", "uuid": "rec/uuid==", "id": 1, "host_id": "h", "start_time": start}
    bundle["payload"] = payload
    for item in iter_recordings(run, bundle):
        rows = item if isinstance(item, list) else item.data
        for row in rows if isinstance(rows, list) else [rows]:
            assert isinstance(row, dict)


@PROPERTY
@given(st.text(max_size=30), st.sampled_from(["http://", "https://", "https://["]))
def test_any_url_like_text_is_scrubbed_without_error(text, scheme) -> None:
    from sources.zoom.sensitive import drop_sensitive

    value = f"{scheme}{text}?access_token=s3cret&a=1"
    row = drop_sensitive({"name": value, "start_url": value})  # runs on every row: it must not raise
    assert "start_url" not in row
    if text.isalnum() or not text:
        assert "s3cret" not in row["name"]


@PROPERTY
@given(
    st.lists(
        st.one_of(JUNK, st.fixed_dictionaries({"user_id": ALLOWED["text"], "join_time": zoom_times})),
        max_size=5,
    )
)
def test_a_page_holding_nulls_or_strings_where_zoom_sends_objects_sets_them_aside(page) -> None:
    items = participant_page(_run(), "meeting_participants", page, meeting_uuid="u==", meeting_id=5)
    rejected = [r for item in items if not isinstance(item, (list, pa.Table)) for r in item.data]
    assert len([p for p in page if not isinstance(p, dict)]) <= len(rejected)
