"""`python -m emulators.zoom --port N` prints one JSON line with what a client needs, then serves."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import requests

from emulators._server import free_port


def test_cli_prints_banner_and_serves() -> None:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulators.zoom",
            "--port",
            str(port),
            "--seed",
            "3",
            "--users",
            "2",
            "--daily-cap",
            "5",
            "--rate-limits",
            "false",
            "--plan-features",
            '{"webinars": false}',
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = json.loads(proc.stdout.readline())
        assert banner["api_base"] == f"http://127.0.0.1:{port}/v2"
        assert {"token_url", "account_id", "client_id", "client_secret"} <= set(banner)
        # then the connector's settings, ready to paste into a shell: run them through one
        exports = [proc.stdout.readline() for _ in range(5)]
        assert all(line.startswith("export SOURCES__ZOOM__") for line in exports), exports
        shell = subprocess.run(
            ["bash", "-c", "".join(exports) + "env"],
            env={k: v for k, v in os.environ.items() if not k.startswith("SOURCES__")},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        pasted = dict(line.split("=", 1) for line in shell if line.startswith("SOURCES__ZOOM__"))
        assert pasted == {
            "SOURCES__ZOOM__BASE_URL": banner["api_base"],
            "SOURCES__ZOOM__TOKEN_URL": banner["token_url"],
            "SOURCES__ZOOM__CREDENTIALS__ACCOUNT_ID": banner["account_id"],
            "SOURCES__ZOOM__CREDENTIALS__CLIENT_ID": banner["client_id"],
            "SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET": banner["client_secret"],
        }
        for _ in range(50):  # the banner is printed just before the socket opens
            try:
                tok = requests.post(
                    banner["token_url"],
                    auth=(banner["client_id"], banner["client_secret"]),
                    params={"grant_type": "account_credentials", "account_id": banner["account_id"]},
                    timeout=10,
                )
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        users = requests.get(
            banner["api_base"] + "/users",
            headers={"Authorization": f"Bearer {tok.json()['access_token']}"},
            timeout=10,
        )
        assert users.json()["total_records"] == 2
        config = requests.get(f"http://127.0.0.1:{port}/_emulator/config", timeout=10).json()
        assert (
            config["seed"] == 3
            and config["rate_limits"] is False
            and config["plan_features"]["webinars"] is False
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
