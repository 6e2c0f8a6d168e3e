"""Webinar licences are per user (ZOOM_API §10.1): a user without one answers 400/200 "Webinar plan is
missing" on their webinar listing. The load skips that user, counts them, and loads every licensed
user's webinars and all their children; only when no user holds a licence is the table reported missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import zoom_helpers
from zoom_helpers import duplicates, load, make_pipeline, table_key, truth_rows, warehouse_rows

from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import ZoomApi

warehouse = zoom_helpers.warehouse  # fixture: DuckDB, then Postgres

HISTORY_DAYS = 30
START = (datetime.now(UTC) - timedelta(days=HISTORY_DAYS + 5)).date().isoformat()
WEBINAR_TABLES = [
    "webinars",
    "webinar_registrants",
    "webinar_panelists",
    "webinar_polls",
    "webinar_tracking_sources",
    "past_webinars",
    "webinar_absentees",
    "webinar_participants",
    "report_webinar_participants",
]
# 10 users: 8 active (one in four holds a webinar licence: the 4th and the 8th), 1 inactive, 1 pending
ACCOUNT: dict[str, Any] = dict(
    seed=31, users=10, meetings_per_user=1, webinars=2, days_of_history=HISTORY_DAYS, rate_limits=False
)
LICENCE_SKIP = "webinars: users without a webinar licence (code 200)"


def test_emulator_licenses_webinars_per_user() -> None:
    with ZoomEmulator(webinar_licences=0.25, **ACCOUNT) as emu:
        _check_licences(emu)


def _check_licences(emu: ZoomEmulator) -> None:
    api = ZoomApi(emu)
    users = api.walk("/users", "users", status="active")
    licensed = [u["id"] for i, u in enumerate(users) if i in (3, 7)]
    for i, user in enumerate(users):
        resp = api.get(f"/users/{user['id']}/webinars")
        if user["id"] in licensed:
            assert resp.status_code == 200 and len(resp.json()["webinars"]) == 2, i
        else:
            assert resp.status_code == 400 and resp.json()["code"] == 200, i
            assert resp.json()["message"].startswith("Webinar plan is missing"), i
    truth = emu.truth()
    assert {w["id"] for w in truth["tables"]["webinars"]} == {
        w["id"] for uid in licensed for w in api.json(f"/users/{uid}/webinars")["webinars"]
    }
    inactive = api.walk("/users", "users", status="inactive")
    assert sorted(truth["webinar_unlicensed_users"]) == sorted(
        [u["id"] for u in users if u["id"] not in licensed] + [u["id"] for u in inactive]
    )
    # an explicit list of users works too
    emu.configure(webinar_licences=[users[0]["email"]])
    assert api.get(f"/users/{users[0]['id']}/webinars").status_code == 200
    assert api.get(f"/users/{users[3]['id']}/webinars").json()["code"] == 200


def test_users_without_a_licence_skip_only_their_own_webinars(warehouse, tmp_path) -> None:
    _, pipeline = warehouse
    with ZoomEmulator(webinar_licences=0.25, **ACCOUNT) as emu:
        summary = load(pipeline, emu, START, resources=["users", *WEBINAR_TABLES])
        truth = emu.truth()

    assert len(truth["tables"]["webinars"]) == 4  # two licensed hosts, two webinars each
    for table in WEBINAR_TABLES:
        key = table_key(table)
        got = warehouse_rows(pipeline, table, key)
        expected = truth_rows(truth, table, key)
        assert expected, f"{table}: the truth has no rows; the test would prove nothing"
        assert not duplicates(got), table
        assert sorted(map(repr, got)) == sorted(map(repr, expected)), (
            f"{table}: {len(got)} rows vs truth {len(expected)}"
        )
    # each user without a licence is counted once (the listing is repeated per step), and reported
    assert (
        summary.parents_without_feature
        == {LICENCE_SKIP: len(truth["webinar_unlicensed_users"])}
        == {LICENCE_SKIP: 7}
    )
    assert not summary.features_missing
    lines = summary.lines()
    assert f"  {LICENCE_SKIP}: 7" in lines


def test_no_licence_at_all_skips_the_table_for_the_account(tmp_path, caplog) -> None:
    pipeline = make_pipeline("duckdb", tmp_path)
    with ZoomEmulator(webinar_licences=0.0, **{**ACCOUNT, "users": 4}) as emu:
        with caplog.at_level("WARNING"):
            summary = load(pipeline, emu, START, resources=["users", "webinars", "past_webinars"])
    assert summary.rows.get("users") == 4
    assert list(summary.features_missing) == ["webinars"]
    assert "webinar plan is missing" in summary.features_missing["webinars"].lower()
    assert not summary.parents_without_feature
    warned = [
        r.getMessage() for r in caplog.records if r.levelname == "WARNING" and "webinars" in r.getMessage()
    ]
    assert len(warned) == 1 and warned[0].startswith("webinars skipped: "), warned
