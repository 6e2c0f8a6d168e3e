"""`python -m emulators.zoom --port 8090 [--seed 7 --users 6 --latency-ms 50 ...]`

Prints one JSON line (api_base, token_url, account_id, client_id, client_secret, ...), then the same
values as `export SOURCES__ZOOM__...=...` lines ready to paste into a shell, then serves.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import fields

from .._server import free_port, serve_forever
from .app import State, build_app
from .config import Knobs

# knobs given as JSON strings on the command line (their own flags below, not the generic loop)
JSON_KNOBS = (
    "plan_features",
    "qps_overrides",
    "file_faults",
    "webinar_licences",
    "missing_scopes",
    "bad_values",
    "phone_qps_overrides",
    "phone_transcript_faults",
)
SKIP = {"now", *JSON_KNOBS}
PARSERS = {"int": int, "float": float, "bool": lambda s: s.lower() in ("1", "true", "yes", "on")}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m emulators.zoom", description="Local Zoom API emulator")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    for f in fields(Knobs):
        if f.name in SKIP:
            continue
        base = str(f.type).split("|")[0].strip()  # "int | None" -> "int"
        p.add_argument("--" + f.name.replace("_", "-"), type=PARSERS.get(base, str), default=None)
    p.add_argument("--now", default=None, help="anchor datetime (ISO, UTC); default: this hour")
    p.add_argument("--plan-features", default=None, help='JSON, e.g. {"webinars": false}')
    p.add_argument("--qps-overrides", default=None, help='JSON, e.g. {"Light": 100}')
    p.add_argument("--file-faults", default=None, help='JSON, e.g. {"html_page": 1, "cp1252": 2}')
    p.add_argument("--missing-scopes", default=None, help='JSON, e.g. ["report:read:admin"]')
    p.add_argument(
        "--webinar-licences", default=None, help="share of licensed users (0.25) or JSON list of ids/emails"
    )
    p.add_argument(
        "--bad-values",
        default=None,
        help='JSON, e.g. [{"rows": "meeting_participants", "field": "join_time", "value": "not-a-date"}]',
    )
    p.add_argument("--phone-qps-overrides", default=None, help='JSON, e.g. {"Light": 100} (Phone buckets)')
    p.add_argument("--phone-transcript-faults", default=None, help='JSON, e.g. {"pending": 1, "12000": 1}')
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    knobs = {k: v for k, v in vars(args).items() if v is not None and k != "port"}
    for name in JSON_KNOBS:
        if name in knobs:
            knobs[name] = json.loads(knobs[name])
    port = args.port or free_port()
    state = State(Knobs(**knobs), base_url=f"http://127.0.0.1:{port}")
    banner = {
        "api_base": f"{state.base_url}/v2",
        "token_url": f"{state.base_url}/oauth/token",
        "server_url": state.base_url,  # not the API base: that is api_base, with /v2
        "account_id": state.knobs.account_id,
        "client_id": state.knobs.client_id,
        "client_secret": state.knobs.client_secret,
        "refresh_token": state.tokens.refresh_token,
    }
    serve_forever(build_app(state), port, banner, connector_env(banner))


def connector_env(banner: dict) -> dict:
    """The connector's settings for this emulator, as environment variables (dlt's names)."""
    return {
        "SOURCES__ZOOM__BASE_URL": banner["api_base"],
        "SOURCES__ZOOM__TOKEN_URL": banner["token_url"],
        "SOURCES__ZOOM__CREDENTIALS__ACCOUNT_ID": banner["account_id"],
        "SOURCES__ZOOM__CREDENTIALS__CLIENT_ID": banner["client_id"],
        "SOURCES__ZOOM__CREDENTIALS__CLIENT_SECRET": banner["client_secret"],
    }


if __name__ == "__main__":
    main()
