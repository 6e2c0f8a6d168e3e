"""Errors of the Kendo destination. Messages name settings, never their values."""

from __future__ import annotations

from dlt.common.destination.exceptions import DestinationTerminalException

from .settings import API_KEY_ENV, API_KEY_SETTING


class KendoError(Exception):
    """Base class of Kendo destination errors."""


class KendoConfigError(KendoError):
    """A setting is missing or invalid."""


class KendoAuthError(KendoError, DestinationTerminalException):
    """The push key is missing, or Kendo rejected it (HTTP 401/403). Nothing is marked as sent."""

    def __init__(self, status: int = 401) -> None:
        self.status = status
        if status:
            message = (
                f"Kendo rejected the Push API key (HTTP {status}); the push was stopped and no call was"
                f" marked as sent. Check {API_KEY_SETTING} (environment variable {API_KEY_ENV}): it must"
                " be the push key of the destination Kendo team (Integrations > Push API)."
            )
        else:
            message = (
                f"No Kendo Push API key configured: set {API_KEY_SETTING} in .dlt/secrets.toml or the"
                f" environment variable {API_KEY_ENV}."
            )
        super().__init__(message)

    def __reduce__(self) -> tuple[type[KendoAuthError], tuple[int]]:  # picklable (dlt traces pickle errors)
        return (type(self), (self.status,))

    @classmethod
    def missing(cls) -> KendoAuthError:
        return cls(0)
