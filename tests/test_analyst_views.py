"""The analyst views on DuckDB and Postgres: their figures equal ones computed from the emulator's truth,
both engines answer identically, and the views create on any dataset. Also: staging is emptied."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid as uuidlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple
from urllib.parse import urlparse

import analyst_expected as expected
import pytest
from zoom_helpers import load, make_client

from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator
from pipelines.analyst.report import write_report
from pipelines.analyst.view_sql import VIEWS
from pipelines.analyst.views import create_views
from pipelines.load import make_pipeline
from pipelines.push import push_from_config

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")
HISTORY_DAYS = 40
START = (datetime.now(UTC) - timedelta(days=HISTORY_DAYS)).date().isoformat()
# what the push records about itself: when it ran and the ids Kendo handed out (they differ per push)
PUSH_OWN_FACTS = {"kendo_call_id", "first_attempt_at", "last_attempt_at", "sent_at"}


@pytest.fixture(scope="module")
def emu() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=17, users=3, days_of_history=HISTORY_DAYS - 4, rate_limits=False) as e:
        # people arrive late in real meetings; the generated ones join within 3 minutes
        e.add_meeting(
            datetime.now(UTC).replace(microsecond=0) - timedelta(days=3),
            participants=5,
            late_joiners=2,
            duration=45,
        )
        # a Sunday afternoon in UTC is already Monday, the next ISO week, in UTC+14
        today = datetime.now(UTC).replace(hour=15, minute=0, second=0, microsecond=0)
        e.add_meeting(today - timedelta(days=today.isoweekday() % 7 + 7), participants=3)
        yield e


def _load(
    engine: str, emu: ZoomEmulator, root: Any, postgres_url: str | None, mp: pytest.MonkeyPatch
) -> Tuple[Any, List[dict]]:
    """Loads the emulator into `engine`, creates the views as `zoom-pipeline run` does, then pushes to a
    Kendo that refuses the first call (400), so the views see sent, failed and not-ready calls."""
    dataset = "zoom"
    if engine == "postgres":
        assert postgres_url
        # stays set for the module (`mp`): every later read resolves the credentials again
        mp.setenv("DESTINATION__POSTGRES__CREDENTIALS", postgres_url)
        dataset = f"t_an_{uuidlib.uuid4().hex[:10]}"
    pipeline = make_pipeline(
        engine,
        dataset,
        str(root / "zoom_pipeline.duckdb"),
        pipeline_name=f"analyst_{engine}",
        pipelines_dir=str(root / "pipelines"),
        progress=None,
    )
    client = make_client(emu)
    load(pipeline, emu, START, client=client)
    create_views(pipeline)
    with KendoEmulator(fail_next=[400]) as kendo:
        push_from_config(
            pipeline,
            api_key=kendo.api_key,
            ingest_url=kendo.ingest_url,
            client=client,
            concurrency=1,  # the first call in push order is the one refused, on both engines
            rate_per_second=200,
        )
        received = kendo.received()
    return pipeline, received


@pytest.fixture(scope="module")
def loads(emu, tmp_path_factory) -> Iterator[Callable[[str, str | None], Tuple[Any, List[dict]]]]:
    """One load per engine for the whole module (the account does not change between tests)."""
    cache: Dict[str, Tuple[Any, List[dict]]] = {}
    mp = pytest.MonkeyPatch()

    def get(engine: str, postgres_url: str | None = None) -> Tuple[Any, List[dict]]:
        if engine not in cache:
            cache[engine] = _load(engine, emu, tmp_path_factory.mktemp(engine), postgres_url, mp)
        return cache[engine]

    yield get
    if "postgres" in cache:
        pipeline = cache["postgres"][0]
        with pipeline.sql_client() as c:
            for name in (pipeline.dataset_name, f"{pipeline.dataset_name}_staging"):
                c.execute_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    mp.undo()


@pytest.fixture(params=["duckdb", "postgres"])
def warehouse(request, loads) -> Tuple[Any, List[dict]]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return loads(request.param, url)


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def view_rows(pipeline: Any, view: str) -> List[Dict[str, Any]]:
    with pipeline.sql_client() as c:
        with c.execute_query(f"SELECT * FROM {c.make_qualified_table_name(view)}") as cur:
            names = [d[0] for d in cur.description]
            return [dict(zip(names, map(_norm, row), strict=True)) for row in cur.fetchall()]


def _pick(row: dict, keys: Any) -> dict:
    return {k: row[k] for k in keys}


def test_views_match_figures_computed_from_the_emulator_truth(emu, warehouse) -> None:
    pipeline, received = warehouse
    truth = emu.truth()

    # merged sessions: one row per person per instance, rejoins merged
    want_sessions = expected.attendee_sessions(emu, truth)
    got_sessions = {
        (r["meeting_uuid"], r["person_key"]): r for r in view_rows(pipeline, "v_attendee_sessions")
    }
    assert set(got_sessions) == set(want_sessions)
    assert any(s["sessions"] > 1 for s in want_sessions.values()), "the account must hold a rejoin"
    assert {s["attendee_type"] for s in want_sessions.values()} == {"internal", "guest"}
    for key, want in want_sessions.items():
        assert _pick(got_sessions[key], want) == want, key

    # attendees per instance, and the rest of v_meeting_attendance
    want_att = expected.meeting_attendance(emu, truth)
    got_att = {r["meeting_uuid"]: r for r in view_rows(pipeline, "v_meeting_attendance")}
    assert set(got_att) == set(want_att)
    assert any(a["attendees"] == 0 for a in want_att.values()), "a one-person meeting lists no participants"
    assert sum(a["late_joiners"] for a in want_att.values()) >= 2
    for uuid, want in want_att.items():
        assert _pick(got_att[uuid], want) == want, uuid

    # talk per speaker, cues without a speaker as (unknown)
    want_talk = expected.talk_time(emu, truth)
    got_talk = {(r["meeting_uuid"], r["speaker"]): r for r in view_rows(pipeline, "v_talk_time")}
    assert any(speaker == "(unknown)" for _, speaker in want_talk)
    assert set(got_talk) == set(want_talk)
    for key, want in want_talk.items():
        assert _pick(got_talk[key], want) == want, key

    # weekly counts
    want_weekly = expected.host_weekly(want_att)
    got_weekly = {(r["host_email"], r["week_start"]): r for r in view_rows(pipeline, "v_host_weekly")}
    assert set(got_weekly) == set(want_weekly)
    for key, want in want_weekly.items():
        assert _pick(got_weekly[key], want) == want, key

    want_kendo = expected.kendo_status(truth, received)
    assert {k["status"] for k in want_kendo.values()} >= {"sent", "failed"}
    got_kendo = {r["meeting_uuid"]: r for r in view_rows(pipeline, "v_kendo_status")}
    assert set(got_kendo) == set(want_kendo)
    for uuid, want in want_kendo.items():
        assert _pick(got_kendo[uuid], want) == want, uuid
    assert all(r["last_error"] for r in got_kendo.values() if r["status"] == "failed")

    want_cov = expected.recording_coverage(want_att, want_kendo)
    got_cov = {r["week_start"]: r for r in view_rows(pipeline, "v_recording_coverage")}
    assert set(got_cov) == set(want_cov)
    for week, want in want_cov.items():
        assert _pick(got_cov[week], want) == want, week


def test_duckdb_and_postgres_return_identical_views(loads, postgres_url) -> None:
    duck, _ = loads("duckdb")
    pg, _ = loads("postgres", postgres_url)
    for view in VIEWS:
        a, b = view_rows(duck, view), view_rows(pg, view)
        assert a, f"{view} is empty: the comparison would prove nothing"
        assert list(a[0]) == list(b[0]), f"{view}: columns differ"

        def canon(rows: List[dict]) -> List[Tuple[Any, ...]]:
            # same values and same Python types; None sorts first
            return sorted(
                (tuple((type(v).__name__, v) for k, v in r.items() if k not in PUSH_OWN_FACTS) for r in rows),
                key=repr,
            )

        assert canon(a) == canon(b), view


def test_report_reads_the_views_on_either_engine(warehouse, tmp_path) -> None:
    pipeline, _ = warehouse
    page = write_report(pipeline, str(tmp_path / "zoom_report.html")).read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="chart" id="([a-z-]+)">.*?</figure>', page, re.S)
    assert len(figures) >= 5 and all("<svg" in f for f in re.findall(r"<figure.*?</figure>", page, re.S))
    assert "no data yet" not in page and "no transcripts yet" not in page


def test_views_create_on_a_dataset_without_the_tables_they_read(emu, tmp_path) -> None:
    """Only `users` loaded, no push ever: every view still creates and reads as empty."""
    pipeline = make_pipeline(
        "duckdb", "zoom", str(tmp_path / "zoom_pipeline.duckdb"), pipelines_dir=str(tmp_path)
    )
    load(pipeline, emu, START, resources=["users"])
    assert create_views(pipeline) == list(VIEWS)
    for view in VIEWS:
        assert view_rows(pipeline, view) == [], view
    with pipeline.sql_client() as c:  # the ledger the views read was created empty, as the push makes it
        assert c.execute_sql(f"SELECT count(*) FROM {c.make_qualified_table_name('kendo_sync')}")[0][0] == 0


def test_staging_tables_are_empty_after_a_successful_load(warehouse) -> None:
    pipeline, _ = warehouse
    staging = f"{pipeline.dataset_name}_staging"
    with pipeline.sql_client() as c:
        tables = [
            r[0]
            for r in c.execute_sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", staging
            )
        ]
        assert "meeting_participants" in tables, "merge tables load through the staging dataset"
        counts = {t: c.execute_sql(f'SELECT count(*) FROM "{staging}"."{t}"')[0][0] for t in tables}
    # dlt keeps its schema version row there; every data table is emptied (it held this load's merge rows)
    data = {t: n for t, n in counts.items() if not t.startswith("_dlt")}
    assert data and not any(data.values()), {t: n for t, n in data.items() if n}


def test_views_replace_an_older_version_with_other_columns(loads, postgres_url) -> None:
    """Postgres refuses CREATE OR REPLACE VIEW when the columns changed (an upgrade): the views are rebuilt."""
    pipeline, _ = loads("postgres", postgres_url)
    want = view_rows(pipeline, "v_host_weekly")
    with pipeline.sql_client() as c:
        old = c.make_qualified_table_name("v_host_weekly")
        c.execute_sql(f"DROP VIEW {old}")
        c.execute_sql(f"CREATE VIEW {old} AS SELECT 1 AS week")
    assert create_views(pipeline) == list(VIEWS)
    assert view_rows(pipeline, "v_host_weekly") == want


def test_weeks_do_not_depend_on_the_session_time_zone(warehouse) -> None:
    """Weeks are taken in UTC: a session in UTC+14 sees the same weeks (its own date_trunc would not)."""
    pipeline, _ = warehouse
    query = "SELECT week_start, ended_instances FROM {} ORDER BY week_start"
    seen = []
    with pipeline.sql_client() as c:
        for zone in ("UTC", "Pacific/Kiritimati"):
            c.execute_sql(f"SET TimeZone = '{zone}'")
            seen.append(c.execute_sql(query.format(c.make_qualified_table_name("v_recording_coverage"))))
        c.execute_sql("SET TimeZone = 'UTC'")
    assert seen[0] == seen[1] and seen[0]
    with pipeline.sql_client() as c:  # the session's own weeks do differ, so the check above means something
        raw = (
            "SELECT CAST(date_trunc('week', start_time) AS DATE) AS w, count(*) FROM {} GROUP BY 1 ORDER BY 1"
        )
        own = []
        for zone in ("UTC", "Pacific/Kiritimati"):
            c.execute_sql(f"SET TimeZone = '{zone}'")
            own.append(c.execute_sql(raw.format(c.make_qualified_table_name("past_meetings"))))
        c.execute_sql("SET TimeZone = 'UTC'")
    assert own[0] != own[1]


def test_report_from_a_read_only_postgres_role_uses_the_existing_views(loads, postgres_url, tmp_path) -> None:
    """An analyst whose role can only read still gets the report: the views the load made are read."""
    pipeline, _ = loads("postgres", postgres_url)
    role = f"ro_{uuidlib.uuid4().hex[:10]}"
    schema = pipeline.dataset_name
    with pipeline.sql_client() as c:
        c.execute_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'read-only'")  # dlt wants a password
        c.execute_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
        c.execute_sql(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {role}')
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
        url = urlparse(postgres_url)
        env.update(
            DESTINATION__POSTGRES__CREDENTIALS=url._replace(
                netloc=f"{role}:read-only@{url.hostname}:{url.port}"
            ).geturl(),
            DLT_DATA_DIR=str(tmp_path / "dlt"),
            DLT_PROJECT_DIR=str(tmp_path),
            RUNTIME__DLTHUB_TELEMETRY="false",
        )
        out = tmp_path / "zoom_report.html"
        done = subprocess.run(
            [SCRIPT, "report", "--destination", "postgres", "--dataset", schema, "--out", str(out)],
            env=env,
            cwd=tmp_path,  # the run lock's file goes next to the default --duckdb-path
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        assert "could not refresh the analyst views" in done.stderr
        assert out.read_text(encoding="utf-8").count('<figure class="chart"') >= 5
    finally:
        with pipeline.sql_client() as c:
            c.execute_sql(f"DROP OWNED BY {role}")
            c.execute_sql(f"DROP ROLE {role}")
