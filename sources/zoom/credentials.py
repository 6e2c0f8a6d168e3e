"""Zoom credentials as dlt config specs, resolved from `sources.zoom.credentials.*`.

Server-to-Server OAuth (the usual choice for an account-wide connector):

    [sources.zoom.credentials]        # .dlt/secrets.toml
    account_id = "..."
    client_id = "..."
    client_secret = "..."

User OAuth (a General app authorised by one user) uses `refresh_token` instead of `account_id`. Zoom
rotates the refresh token on every refresh; the newest one is kept in `refresh_token_file` (see
`auth.RefreshTokenStore`), so the value in secrets only seeds the first run.
"""

from __future__ import annotations

from dlt.common.configuration.specs import CredentialsConfiguration, configspec
from dlt.common.typing import TSecretStrValue


@configspec
class ZoomCredentials(CredentialsConfiguration):
    """Server-to-Server OAuth app credentials (grant_type=account_credentials)."""

    account_id: str = None  # type: ignore[assignment]
    client_id: str = None  # type: ignore[assignment]
    client_secret: TSecretStrValue = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ZoomCredentials(account_id={self.account_id!r}, client_id={self.client_id!r})"


@configspec
class ZoomUserCredentials(CredentialsConfiguration):
    """User OAuth app credentials with a (rotating) refresh token."""

    client_id: str = None  # type: ignore[assignment]
    client_secret: TSecretStrValue = None  # type: ignore[assignment]
    refresh_token: TSecretStrValue = None  # type: ignore[assignment]
    # Where the newest refresh token is kept between runs; default under the dlt data dir.
    refresh_token_file: str | None = None

    def __repr__(self) -> str:
        return f"ZoomUserCredentials(client_id={self.client_id!r}, refresh_token_file={self.refresh_token_file!r})"


TZoomCredentials = ZoomCredentials | ZoomUserCredentials
