"""Many Zoom accounts in one config, the dlt way: `[sources.zoom.accounts.<name>]`.

    [sources.zoom.accounts.acme.credentials]      # .dlt/secrets.toml (or SOURCES__ZOOM__ACCOUNTS__ACME__CREDENTIALS__*)
    account_id = "..."
    client_id = "..."
    client_secret = "..."
    [sources.zoom.accounts.acme]                  # all optional
    rate_limit_plan = "business"                  # else sources.zoom.rate_limit_plan
    start_date = "2026-01-01"                     # else sources.zoom.start_date
    base_url = "https://api-eu.zoom.us/v2"        # else sources.zoom.base_url
    token_url = "https://zoom.us/oauth/token"     # else sources.zoom.token_url
    kendo_api_key = "..."                         # the account's own Kendo team (never another account's)

A named account gets its own pipeline `zoom_<name>`, dataset `zoom_<name>`, DuckDB file, state and run lock.
Credentials and the Kendo key are never inherited from `[sources.zoom]` or `[destination.kendo]`: one
account's secrets must not load or push another's data. The unnamed account (`sources.zoom.credentials`)
works as before. The CLI (`--account`), the Dagster definitions and the webhook server all resolve accounts
here, so they share one code path.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional

import dlt

from sources.zoom.config_values import SettingError, parse_date, parse_rate_limit_plan
from sources.zoom.credentials import TZoomCredentials, ZoomCredentials, ZoomUserCredentials

SECTION = "sources.zoom.accounts"
_ENV_PREFIX = "SOURCES__ZOOM__ACCOUNTS__"
# lower case so the TOML and environment spellings name the same account; short enough for Postgres names
NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_S2S = ("account_id", "client_id", "client_secret")
_USER = ("client_id", "client_secret", "refresh_token", "refresh_token_file")


class UnknownAccount(SettingError):
    """`--account NAME` names no configured account."""


@dataclass(frozen=True)
class Account:
    """One Zoom account's settings; `name` None is the unnamed account of `[sources.zoom]`."""

    name: Optional[str]
    credentials: Optional[TZoomCredentials] = None
    base_url: Optional[str] = None
    token_url: Optional[str] = None
    rate_limit_plan: Any = None
    start_date: Optional[str] = None
    kendo_api_key: Optional[str] = None

    @property
    def pipeline_name(self) -> str:
        return f"zoom_{self.name}" if self.name else "zoom_pipeline"

    @property
    def dataset(self) -> str:
        return f"zoom_{self.name}" if self.name else "zoom"

    @property
    def zoom_account_id(self) -> Optional[str]:
        """Zoom's own account id (S2S credentials carry it; user OAuth does not)."""
        return getattr(self.credentials, "account_id", None) or None

    def duckdb_path(self, base: str) -> str:
        """One DuckDB file per account beside `base`: ./zoom_pipeline.duckdb → ./zoom_pipeline_acme.duckdb
        (never named after the dataset: dlt 1.31 fails on a catalog and schema of the same name)."""
        if not self.name:
            return base
        path = Path(base)
        return str(path.with_name(f"{path.stem}_{self.name}{path.suffix or '.duckdb'}"))

    def setting(self, key: str) -> str:
        return f"{SECTION}.{self.name}.{key}"


def account_names() -> List[str]:
    """Names of the configured accounts (TOML tables and environment variables), sorted.

    A name that is not lower-case letters, digits and `_` fails with the setting named."""
    names = set()
    for accessor in (dlt.config, dlt.secrets):
        try:
            table = accessor.get(SECTION)
        except Exception:  # a provider that cannot hand out a table
            table = None
        if isinstance(table, dict):
            names.update(str(k) for k in table)
    for key in os.environ:
        if key.startswith(_ENV_PREFIX):
            rest = key[len(_ENV_PREFIX) :]
            if "__" in rest:
                names.add(rest.split("__", 1)[0].lower())
    for name in names:
        if name == "pipeline":  # zoom_pipeline is the unnamed account's pipeline
            raise SettingError(
                f"{SECTION}.pipeline: 'pipeline' is reserved (the unnamed account's); pick another name"
            )
        if not NAME.fullmatch(name):
            raise SettingError(
                f"{SECTION}.{name}: {name!r} is not an account name; use lower-case letters, digits and _ "
                "(starting with a letter, at most 40), e.g. acme"
            )
    return sorted(names)


def _value(key: str) -> Any:
    value = dlt.secrets.get(key)
    if value is None:
        value = dlt.config.get(key)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _credentials(name: str) -> TZoomCredentials:
    base = f"{SECTION}.{name}.credentials"
    raw = {f: _value(f"{base}.{f}") for f in dict.fromkeys(_S2S + _USER)}
    if raw["refresh_token"] and not raw["account_id"]:
        user = ZoomUserCredentials()
        fields: tuple = _USER
        creds: TZoomCredentials = user
        required: tuple = ("client_id", "client_secret", "refresh_token")
    else:
        creds, fields, required = ZoomCredentials(), _S2S, _S2S
    missing = [f for f in required if not raw[f]]
    if missing:
        raise SettingError(
            f"{base}.{missing[0]} is not set: account {name!r} needs its own "
            f"{', '.join(required)} (a named account never borrows the unnamed one's [sources.zoom] credentials)"
        )
    for f in fields:
        setattr(creds, f, None if raw[f] is None else str(raw[f]))
    return creds


def get_account(name: Optional[str]) -> Account:
    """The account `name` (None: the unnamed one, configured as today). Unknown names raise
    `UnknownAccount` listing the configured ones."""
    if name is None:
        return Account(None)
    names = account_names()
    if name not in names:
        listed = ", ".join(names) if names else "none"
        near = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.7)
        hint = (
            f"did you mean {near[0]!r}?"
            if near
            else f"add [{SECTION}.{name}.credentials] to .dlt/secrets.toml"
        )
        raise UnknownAccount(
            f"--account: no Zoom account {name!r} is configured (configured: {listed}); {hint}"
        )
    _check_no_stray_table(name, names)
    section = f"{SECTION}.{name}"

    def own_or_shared(key: str) -> Any:
        value = _value(f"{section}.{key}")
        return value if value is not None else _value(f"sources.zoom.{key}")

    plan = own_or_shared("rate_limit_plan")
    parse_rate_limit_plan(plan, f"{section}.rate_limit_plan")  # a bad value names this account's setting
    start = own_or_shared("start_date")
    parse_date(start, f"{section}.start_date")
    key = _value(f"{section}.kendo_api_key")
    return Account(
        name=name,
        credentials=_credentials(name),
        base_url=own_or_shared("base_url"),
        token_url=own_or_shared("token_url"),
        rate_limit_plan=plan,
        start_date=None if start is None else str(start),
        kendo_api_key=None if key is None else str(key),
    )


def _check_no_stray_table(name: str, names: List[str]) -> None:
    """A table without credentials named like `name` (acmee beside acme) is a typo: the settings in it would
    be ignored silently (acme loading from Zoom's default URL, without its Kendo key)."""
    for other in difflib.get_close_matches(name, [n for n in names if n != name], n=len(names), cutoff=0.75):
        base = f"{SECTION}.{other}.credentials"
        if all(_value(f"{base}.{f}") is None for f in dict.fromkeys(_S2S + _USER)):
            raise SettingError(
                f"{SECTION}.{other}: has no credentials; did you mean account {name!r}? "
                f"(the settings there are not used: rename the table to [{SECTION}.{name}])"
            )


def account_of_pipeline(pipeline_name: str) -> Account:
    """The account whose pipeline this is (the unnamed one for any other pipeline)."""
    name = pipeline_name.removeprefix("zoom_")
    if pipeline_name.startswith("zoom_") and name in account_names():
        return get_account(name)
    return Account(None)


def kendo_api_key_for(pipeline_name: str) -> Optional[str]:
    """The Kendo key of a named account's pipeline; None for the unnamed account (destination.kendo.api_key).

    A named account never falls back to destination.kendo.api_key: that is another Kendo team."""
    account = account_of_pipeline(pipeline_name)
    if account.name is None:
        return None
    if not account.kendo_api_key:
        raise SettingError(f"{account.setting('kendo_api_key')} is not set: the account's Kendo push key")
    return account.kendo_api_key


# settings the Zoom client names in its errors (sources/zoom/auth.py, client.py), as the unnamed account's
_SHARED_SETTING = re.compile(r"\bsources\.zoom\.(credentials|base_url|token_url)\b")


def name_account_settings(message: str, name: Optional[str]) -> str:
    """`message` with the unnamed account's settings replaced by account `name`'s where those are in effect:
    its credentials always (never shared), its base_url / token_url when it sets its own."""
    if not name:
        return message

    def own(m: "re.Match[str]") -> str:
        key = m.group(1)
        try:
            own_value = key == "credentials" or _value(f"{SECTION}.{name}.{key}") is not None
        except Exception:  # the config itself is unreadable: the message as it was
            own_value = False
        return f"{SECTION}.{name}.{key}" if own_value else m.group(0)

    return _SHARED_SETTING.sub(own, message)


def all_accounts() -> List[Account]:
    return [get_account(n) for n in account_names()]


def account_client(account: Account) -> Any:
    """The account's Zoom client (the unnamed account's comes from `[sources.zoom]`, as before)."""
    from sources.zoom.factory import client_from_config, make_client

    if account.name is None:
        return client_from_config()
    assert account.credentials is not None
    overrides = dlt.config.get("sources.zoom.rate_limit_overrides")
    return make_client(
        account.credentials, account.base_url, account.token_url, account.rate_limit_plan, overrides
    )
