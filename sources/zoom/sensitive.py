"""Credentials Zoom returns as data: fields dropped and URL tokens stripped before rows are stored.

Zoom's own OpenAPI documents (Meetings, Users) name them for the endpoints we load:

* start links and host keys: `start_url` (its `zak` token starts the meeting as the host),
  `dynamic_host_key`, `host_key`;
* passwords and passcodes: `password`, `h323_password`, `pstn_password`, `encrypted_password`
  (meetings), `encrypted_passcode`, `h323_passcode` (webinars), `recording_play_passcode` (recordings);
* `download_access_token` (recordings, with `include_fields`).

Every URL value also loses the query parameters that carry a credential: `access_token` (download
URLs), `zak` (start links), `tk` (a registrant's personal join link), `pwd` (the passcode embedded in
join and share links) and signed-URL parameters (`sig`, `signature`, `Signature`, `Policy`,
`Key-Pair-Id`, `X-Amz-*`). Join links themselves stay.

`sources.zoom.keep_sensitive_fields = true` keeps all of it as Zoom sent it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["SENSITIVE_FIELDS", "TOKEN_PARAMS", "drop_sensitive", "strip_url_tokens"]

SENSITIVE_FIELDS = frozenset(
    {
        "start_url",
        "dynamic_host_key",
        "host_key",
        "password",
        "h323_password",
        "pstn_password",
        "encrypted_password",
        "encrypted_passcode",
        "h323_passcode",
        "recording_play_passcode",
        "download_access_token",
    }
)
# Query parameters (lower case) that carry a credential or a signature.
TOKEN_PARAMS = frozenset(
    {
        "access_token",
        "download_access_token",
        "token",
        "zak",
        "tk",
        "pwd",
        "sig",
        "signature",
        "policy",
        "key-pair-id",
    }
)


def _is_token_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in TOKEN_PARAMS or lowered.startswith("x-amz-") or lowered.endswith("_token")


def strip_url_tokens(url: str) -> str:
    """The URL without its credential-carrying query parameters (other parameters and order kept).

    Args:
        url: an absolute or relative URL.

    Returns:
        The same URL when nothing needed stripping, else the URL rebuilt without those parameters.
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # not a URL after all (e.g. "http://[" in a name): keep nothing after a "?"
        return url.split("?", 1)[0]
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _is_token_param(k)]
    if len(kept) == len(pairs):
        return url
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(kept), parts.fragment))


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return strip_url_tokens(value) if value.startswith(("http://", "https://")) else value
    if isinstance(value, dict):
        return drop_sensitive(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def drop_sensitive(row: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Zoom record without sensitive fields and with tokens stripped from every URL, nested
    objects and lists included.

    Args:
        row: one record as Zoom (or our row builders) shaped it.

    Returns:
        The scrubbed copy.
    """
    return {k: _scrub(v) for k, v in row.items() if k not in SENSITIVE_FIELDS}
