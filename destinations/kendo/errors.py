"""Errors of the Kendo destination. Messages name settings, never their values."""

from __future__ import annotations

from dlt.common.destination.exceptions import DestinationTerminalException

from .settings import API_KEY_ENV, API_KEY_SETTING, INGEST_URL_SETTING


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


class KendoEndpointError(KendoConfigError, DestinationTerminalException):
    """The ingest URL answers as if it were not the Push API (404, 405, ...): every call would fail the
    same way, so the push stops and leaves them pending instead of marking each one failed."""

    def __init__(self, status: int) -> None:
        self.status = status
        super().__init__(
            f"Kendo's ingest URL answered HTTP {status}: check {INGEST_URL_SETTING}"
            " (environment variable DESTINATION__KENDO__INGEST_URL); the push stopped and no call was"
            " marked failed"
        )

    def __reduce__(self) -> tuple[type[KendoEndpointError], tuple[int]]:
        return (type(self), (self.status,))
