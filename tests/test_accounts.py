"""Named accounts (`[sources.zoom.accounts.<name>]`) through the console script, and their shared token."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from accounts_helpers import account_env, small_emulator
from webhook_helpers import SECRET, Receiver, wait_for

from emulators._server import free_port
from emulators.kendo import KendoEmulator

SCRIPT = str(Path(sys.executable).parent / "zoom-pipeline")


@pytest.fixture(scope="module")
def acme() -> Iterator[Any]:
    with small_emulator(31, "acmeAccount") as emu:
        yield emu


def _env(tmp_path: Path, *accounts: Dict[str, str], **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "DESTINATION__"))}
    for a in accounts:
        env.update(a)
    env.update(
        DLT_DATA_DIR=str(tmp_path / "dlt"), DLT_PROJECT_DIR=str(tmp_path), RUNTIME__DLTHUB_TELEMETRY="false"
    )
    env.update(extra)
    return env


def _cli(env: Dict[str, str], *args: str, cwd: Any = None) -> subprocess.CompletedProcess:
    return subprocess.run([SCRIPT, *args], env=env, capture_output=True, text=True, timeout=300, cwd=cwd)


def test_accounts_from_secrets_toml_and_env(tmp_path, acme) -> None:
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[sources.zoom.accounts.north.credentials]\naccount_id = "n1"\nclient_id = "c"\nclient_secret = "s"\n'
    )
    env = _env(tmp_path, account_env("acme", acme))
    done = _cli(env, "accounts", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["acme", "north"]
    assert all("last run: never" in line for line in lines)

    unknown = _cli(env, "run", "--account", "south", cwd=tmp_path)
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "zoom-pipeline: --account: no Zoom account 'south' is configured (configured: acme, north); "
        "add [sources.zoom.accounts.south.credentials] to .dlt/secrets.toml"
    ]


@pytest.mark.parametrize(
    "key, value, setting",
    [
        ("SOURCES__ZOOM__ACCOUNTS__ACME-EU__CREDENTIALS__CLIENT_ID", "x", "sources.zoom.accounts.acme-eu:"),
        (
            "SOURCES__ZOOM__ACCOUNTS__BETA__CREDENTIALS__CLIENT_ID",
            "x",
            "sources.zoom.accounts.beta.credentials.account_id",
        ),
        (
            "SOURCES__ZOOM__ACCOUNTS__ACME__RATE_LIMIT_PLAN",
            "gold",
            "sources.zoom.accounts.acme.rate_limit_plan",
        ),
        # what Zoom refuses names the account's setting, not the unnamed account's sources.zoom.*
        (
            "SOURCES__ZOOM__ACCOUNTS__ACME__CREDENTIALS__CLIENT_SECRET",
            "wrong",
            "sources.zoom.accounts.acme.credentials.client_secret",
        ),
        ("SOURCES__ZOOM__ACCOUNTS__ACME__BASE_URL", "{server_url}", "sources.zoom.accounts.acme.base_url"),
    ],
)
def test_bad_account_config_names_the_setting(tmp_path, acme, key, value, setting) -> None:
    value = value.format(server_url=acme.api_base.removesuffix("/v2"))
    env = _env(tmp_path, account_env("acme", acme), {key: value})
    name = key.split("__")[3].lower()
    done = _cli(env, "run", "--account", name if name != "acme-eu" else "acme", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], done.stderr
    assert (
        f"taken from sources.zoom.accounts.{name}" not in lines[0]
    )  # the hint about the unnamed one stays true


def test_webhook_server_of_an_account_needs_the_account_s_own_secret_token(tmp_path, acme) -> None:
    """Each account's Zoom app has its own Secret Token: the unnamed account's is never borrowed (it would let
    another app's events into this account's dataset)."""
    env = _env(tmp_path, account_env("acme", acme), SOURCES__ZOOM__WEBHOOK_SECRET_TOKEN="the-unnamed-app-s")
    serve = [SCRIPT, "webhooks", "serve", "--account", "acme", "--port", str(free_port())]
    done = subprocess.run(serve, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "zoom-pipeline: sources.zoom.accounts.acme.webhook_secret_token is not set"
    ), done.stderr


def test_the_webhook_server_s_scheduled_run_starts_at_the_account_s_start_date(tmp_path) -> None:
    """`webhooks serve --account acme --run-every N` loads like `run --account acme`: from the account's own
    start_date (it loaded from sources.zoom.start_date, by default a year back)."""
    import duckdb

    start = (datetime.now(UTC) - timedelta(days=8)).date()  # the emulator's history goes back 20 days
    with small_emulator(35, "acmeAccount") as acme:
        extra = {
            **account_env("acme", acme),
            "SOURCES__ZOOM__ACCOUNTS__ACME__START_DATE": start.isoformat(),
            "SOURCES__ZOOM__ACCOUNTS__ACME__WEBHOOK_SECRET_TOKEN": SECRET,
        }
        base = str(tmp_path / "zoom_pipeline.duckdb")
        hooks = ["--account", "acme", "--duckdb-path", base, "--run-every", "60"]
        with Receiver(acme, tmp_path, *hooks, env=extra) as receiver:
            wait_for(lambda: receiver.metrics().get("scheduled_runs_total") == 1, 120, receiver.output)
    with duckdb.connect(base.replace(".duckdb", "_acme.duckdb"), read_only=True) as db:
        first = db.execute("SELECT min(start_time) FROM zoom_acme.past_meetings").fetchone()[0]
    assert first is not None and first.date() >= start


def test_run_push_webhooks_and_a_helper_of_one_account_share_one_token(tmp_path) -> None:
    """Four processes of one account, running at the same time, make one token request between them: a run,
    the webhook server (loading the meeting the emulator announces), a push (zoom_token audio URLs: Zoom
    calls for download tokens) and a process using the helper other services call (account_client)."""
    with KendoEmulator(strict=True) as kendo, small_emulator(33, "acmeAccount") as acme:
        extra = {
            **account_env("acme", acme),
            "SOURCES__ZOOM__ACCOUNTS__ACME__KENDO_API_KEY": kendo.api_key,
            "SOURCES__ZOOM__ACCOUNTS__ACME__WEBHOOK_SECRET_TOKEN": SECRET,
            "DESTINATION__KENDO__INGEST_URL": kendo.ingest_url,
            "DESTINATION__KENDO__AUDIO_URL_MODE": "zoom_token",
        }
        env = _env(tmp_path, extra)
        base = str(tmp_path / "zoom_pipeline.duckdb")
        helper = (
            "import time\n"
            "from pipelines.accounts import account_client, get_account\n"
            "client = account_client(get_account('acme'))\n"
            "for _ in range(20):\n"
            "    client.get('users', params={'page_size': 1})\n"
            "    time.sleep(0.05)\n"
        )

        def start(*args: str) -> subprocess.Popen:
            return subprocess.Popen(list(args), env=env, stderr=subprocess.PIPE, text=True)

        hooks = ["--account", "acme", "--duckdb-path", base, "--settle-minutes", "0"]
        with Receiver(acme, tmp_path, *hooks, env=extra) as receiver:
            acme.subscribe_webhooks(f"{receiver.url}/zoom/webhooks", SECRET, time_scale=0.001)
            ready_before = {c["meeting_uuid"] for c in acme.truth()["calls"] if c["ready"]}
            # the run and the helper race for the token; the run may wait for the server's lock
            run = start(SCRIPT, "run", "--account", "acme", "--duckdb-path", base, "--wait-lock", "200")
            procs = [run, start(sys.executable, "-c", helper)]
            lock = (
                tmp_path / "dlt" / "pipelines" / "zoom_acme.lock"
            )  # its holder's pid (pipelines/run_lock.py)
            wait_for(
                lambda: lock.exists() and f'"pid": {run.pid}' in lock.read_text(),
                60,
                lambda: "run not started",
            )
            # the run holds the lock: a meeting ends, the webhook server queues its events and loads them
            # after the run; the push waits for the lock, then pushes what is ready
            acme.add_meeting(participants=3)
            push = ["push", "--account", "acme", "--duckdb-path", base, "--wait-lock", "200", "--rate", "50"]
            procs.append(start(SCRIPT, *push))
            errors = [p.communicate(timeout=240)[1] for p in procs]
            assert [p.returncode for p in procs] == [0, 0, 0], errors
            # meeting.ended, recording.completed, recording.transcript_completed
            # and the participants' settle job the meeting.ended queued: stopping the server in the middle of
            # it would leave an interrupted last run for `accounts` to list
            wait_for(
                lambda: (m := receiver.metrics()).get("processed_total") == 3 and m.get("queue_depth") == 0,
                120,
                receiver.output,
            )
            server_log = receiver.output()
        ready_after = {c["meeting_uuid"] for c in acme.truth()["calls"] if c["ready"]}
        sent = [c["metadata"]["zoomMeetingUuid"] for c in kendo.received()]
        assert ready_before <= set(sent) <= ready_after and len(sent) == len(set(sent))
        assert all("access_token=" in c["audioUrl"] for c in kendo.received() if c.get("audioUrl"))
        assert acme.stats()["token_requests"] == 1
        assert all(acme.client_secret not in e for e in [*errors, server_log])

    assert _tables_without_account_id(base.replace(".duckdb", "_acme.duckdb"), acme.account_id) == []
    token_files = list((tmp_path / "dlt" / "zoom" / "tokens").glob("*.json"))
    assert len(token_files) == 1 and stat.S_IMODE(token_files[0].stat().st_mode) == 0o600
    listed = _cli(env, "accounts", "--duckdb-path", base).stdout
    assert listed.startswith("acme") and "last run: never" not in listed and "(failed)" not in listed


def _tables_without_account_id(path: str, account_id: str) -> list:
    """Every loaded table, nested and Arrow-loaded ones included, must say whose account each row is."""
    import duckdb

    bad = []
    with duckdb.connect(path, read_only=True) as db:
        tables = db.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'zoom_acme'"
            " AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_dlt%' ESCAPE '\\'"
        ).fetchall()
        assert len(tables) > 20
        for (table,) in tables:
            try:
                ids = db.execute(f'SELECT DISTINCT account_id FROM zoom_acme."{table}"').fetchall()
            except duckdb.BinderException:
                bad.append(f"{table}: no account_id column")
                continue
            if ids and ids != [(account_id,)]:
                bad.append(f"{table}: {ids}")
    return bad


def test_a_shared_token_zoom_rejects_is_not_handed_out_again(tmp_path, acme, monkeypatch) -> None:
    """A process that finds a revoked token in the file gets a 401, fetches one new token and saves it."""
    for key, value in account_env("acme", acme).items():
        monkeypatch.setenv(key, value)
    from pipelines.accounts import account_client, get_account

    account_client(get_account("acme")).get("users", params={"page_size": 1})
    acme.revoke_access_tokens()
    before = acme.stats()["token_requests"]
    later = account_client(get_account("acme"))  # a new process: starts from the file's (revoked) token
    assert later.get("users", params={"page_size": 1})["users"]
    assert account_client(get_account("acme")).get("users", params={"page_size": 1})["users"]  # the saved one
    assert acme.stats()["token_requests"] - before == 1


def test_an_account_s_settings_under_a_misspelt_name_are_one_error(monkeypatch) -> None:
    """[sources.zoom.accounts.acmee] beside acme's credentials: acme's base_url, start_date and Kendo key would
    be ignored silently (acme loaded from Zoom's default URL); its run names the stray table instead."""
    from pipelines.accounts import get_account
    from sources.zoom.config_values import SettingError

    for field in ("ACCOUNT_ID", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.setenv(f"SOURCES__ZOOM__ACCOUNTS__ACME__CREDENTIALS__{field}", "x")
    monkeypatch.setenv("SOURCES__ZOOM__ACCOUNTS__ACMEE__KENDO_API_KEY", "k-secret")
    with pytest.raises(SettingError, match=r"^sources\.zoom\.accounts\.acmee: .*'acme'") as err:
        get_account("acme")
    assert "k-secret" not in str(err.value)
    monkeypatch.setenv("SOURCES__ZOOM__ACCOUNTS__ACMEE__CREDENTIALS__ACCOUNT_ID", "y")  # a real account
    assert get_account("acme").name == "acme"


@pytest.mark.parametrize("typo", ["Acme", "acmee", "amce"])
def test_a_misspelt_account_name_suggests_the_configured_one(typo: str, monkeypatch) -> None:
    from pipelines.accounts import UnknownAccount, get_account

    for field in ("ACCOUNT_ID", "CLIENT_ID", "CLIENT_SECRET"):
        monkeypatch.setenv(f"SOURCES__ZOOM__ACCOUNTS__ACME__CREDENTIALS__{field}", "x")
    with pytest.raises(UnknownAccount, match="did you mean 'acme'") as err:
        get_account(typo)
    assert f"accounts.{typo}." not in str(err.value)  # not an invitation to add the misspelt table
