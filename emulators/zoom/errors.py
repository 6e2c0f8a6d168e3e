"""Zoom's error bodies: `{"code": <int>, "message": "..."}` with the HTTP status Zoom uses."""

from __future__ import annotations


class ZoomHTTPError(Exception):
    """Raised by handlers; the app turns it into Zoom's JSON error response."""

    def __init__(self, status: int, code: int, message: str, headers: dict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def meeting_not_found(ref: str) -> ZoomHTTPError:
    return ZoomHTTPError(404, 3001, f"Meeting does not exist: {ref}.")


def webinar_not_found(ref: str) -> ZoomHTTPError:
    return ZoomHTTPError(404, 3001, f"Webinar does not exist: {ref}.")


def user_not_found(ref: str) -> ZoomHTTPError:
    return ZoomHTTPError(404, 1001, f"User does not exist: {ref}.")


def invalid_token() -> ZoomHTTPError:
    return ZoomHTTPError(401, 124, "Invalid access token.")
