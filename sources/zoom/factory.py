"""The one place a `ZoomClient` is built from settings: by the source, the CLI and the demo."""

from __future__ import annotations

from typing import Any, Optional

import dlt
from dlt.common.configuration.inject import with_config

from . import settings
from .auth import ZoomAuth
from .client import DEFAULT_MAX_ATTEMPTS, ZoomClient
from .config_values import parse_max_attempts, parse_rate_limit_overrides, parse_rate_limit_plan
from .credentials import TZoomCredentials, ZoomCredentials
from .ratelimit import RateLimiter
from .token_file import TokenFile


def make_client(
    credentials: TZoomCredentials,
    base_url: Optional[str] = None,
    token_url: Optional[str] = None,
    rate_limit_plan: Any = None,
    rate_limit_overrides: Any = None,
    max_attempts: Any = None,
) -> ZoomClient:
    """A Zoom client paced to the plan's limits. The rate-limit settings are untyped for dlt, so a bad value
    fails in `config_values` with the setting's name. `max_attempts`: HTTP attempts per request (default 8)."""
    limiter = RateLimiter(
        parse_rate_limit_plan(rate_limit_plan), parse_rate_limit_overrides(rate_limit_overrides)
    )
    token_file = None
    if isinstance(credentials, ZoomCredentials) and credentials.account_id and credentials.client_id:
        # one token per account for every process on this machine (ZOOM_API.md §1.1)
        token_file = TokenFile.for_account(
            token_url or settings.DEFAULT_TOKEN_URL, credentials.account_id, credentials.client_id
        )
    attempts = parse_max_attempts(max_attempts) or DEFAULT_MAX_ATTEMPTS
    return ZoomClient(
        ZoomAuth(credentials, token_url, token_file=token_file),
        base_url=base_url,
        limiter=limiter,
        max_attempts=attempts,
    )


@with_config(sections=("sources", "zoom"))
def client_from_config(
    credentials: TZoomCredentials = dlt.secrets.value,
    base_url: Optional[str] = None,
    token_url: Optional[str] = None,
    rate_limit_plan: Any = None,
    rate_limit_overrides: Any = None,
    max_attempts: Any = None,
) -> ZoomClient:
    """A Zoom client from `sources.zoom.*` config and secrets (shared by every step of one run)."""
    return make_client(credentials, base_url, token_url, rate_limit_plan, rate_limit_overrides, max_attempts)
