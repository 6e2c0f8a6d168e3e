"""What Kendo gets as `audioUrl`: setting `destination.kendo.audio_url_mode`.

| mode | audioUrl | for |
|---|---|---|
| `zoom_token` (default) | Zoom's `download_url?access_token=<download_access_token>`, the token requested from `GET /meetings/{uuid}/recordings?include_fields=download_access_token&ttl=<audio_token_ttl>` right before the POST | the simple case, no storage of our own |
| `stage` | a signed, time-limited URL (`stage_url_ttl`) to our own copy in `stage_bucket_url` (any fsspec URL), downloaded through the Zoom client | URLs that never break |
| `none` | not sent; calls without a transcript are not pushed (`skipped_no_transcript`) | transcript-only teams |

Zoom Phone calls (`calls.source = 'zoom_phone'`): Zoom has no download access token for Phone recordings
(their download needs `Authorization: Bearer`), so in `zoom_token` mode a phone call goes with its
transcript only (one without a transcript is skipped, as in `none`); `stage` stages phone audio like
meeting audio, downloaded with the API token.

`AudioUrlProvider(row) -> (url | None, expires_at | None)` is the `audio_url_fn` of `push_calls`; the
push writes `expires_at` to the ledger (`kendo_sync.audio_url_expires_at`).

zoom_token caveat (docs/ZOOM_API §1.1 / §3.5, DISAGREE): Zoom's 2023 docs give the query-string form for
download access tokens, which is the only form Kendo (a plain GET) can use; Zoom also announced that from
2023-02-14 tokens in query strings are refused. If Zoom refuses them for your account, use `stage`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import dlt

from .errors import KendoConfigError
from .payload import strip_query
from .settings import (
    AUDIO_TOKEN_TTL_SETTING,
    AUDIO_URL_MODE_SETTING,
    AUDIO_URL_MODES,
    DEFAULT_AUDIO_TOKEN_TTL,
    DEFAULT_AUDIO_URL_MODE,
    DEFAULT_STAGE_URL_TTL,
    MAX_AUDIO_TOKEN_TTL,
    PHONE_SOURCE,
    STAGE_BUCKET_URL_SETTING,
    STAGE_STORAGE_OPTIONS_SETTING,
    STAGE_URL_TTL_SETTING,
)
from .staging import Stager, object_name

logger = logging.getLogger("destinations.kendo")

TAudioUrl = tuple[str | None, datetime | None]


class ZoomDownloader(Protocol):
    """What the provider needs of `sources.zoom.client.ZoomClient` (not imported: no hard dependency)."""

    def get(self, name: str, params: Mapping[str, Any] | None = None, **path: Any) -> dict[str, Any]: ...

    def download(self, url: str, access_token: str | None = None, chunk_size: int = ...) -> Any: ...


def with_access_token(url: str, token: str) -> str:
    """`url` with `access_token=<token>` added to its query (the form Zoom documents for download tokens)."""
    parts = urlsplit(url)
    query = "&".join(p for p in (parts.query, f"access_token={quote(token, safe='')}") if p)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


@dataclass
class _Token:
    token: str
    expires_at: datetime
    download_urls: dict[str, str]  # Zoom file id -> download_url, from the same response


class AudioUrlProvider:
    """Gives each call's `audioUrl` according to the mode; usable as `push_calls(audio_url_fn=...)`.

    Args:
        mode: `zoom_token`, `stage` or `none`.
        client: the Zoom client (ZoomClient); needed by `zoom_token` and `stage`.
        phone_client: the client that stages Zoom Phone audio, paced in Phone's buckets (default `client`).
        token_ttl: seconds a `download_access_token` lives (1..604800).
        stager: the staging store (`stage`).
        clock: current time (UTC), for tests.
        min_remaining: a cached token is reused only while it has at least this many seconds left
            (default: half of `token_ttl`); otherwise a fresh one is requested.
    """

    def __init__(
        self,
        mode: str = DEFAULT_AUDIO_URL_MODE,
        *,
        client: ZoomDownloader | None = None,
        phone_client: ZoomDownloader | None = None,
        token_ttl: int = DEFAULT_AUDIO_TOKEN_TTL,
        stager: Stager | None = None,
        clock: Callable[[], datetime] | None = None,
        min_remaining: float | None = None,
    ) -> None:
        if mode not in AUDIO_URL_MODES:
            raise KendoConfigError(
                f"{AUDIO_URL_MODE_SETTING} must be one of {', '.join(AUDIO_URL_MODES)}, not {mode!r}"
            )
        if mode in ("zoom_token", "stage") and client is None:
            raise KendoConfigError(f"{AUDIO_URL_MODE_SETTING} = {mode!r} needs a Zoom client")
        if mode == "stage" and stager is None:
            raise KendoConfigError(f"{AUDIO_URL_MODE_SETTING} = 'stage' needs {STAGE_BUCKET_URL_SETTING}")
        if not 0 < int(token_ttl) <= MAX_AUDIO_TOKEN_TTL:
            raise KendoConfigError(
                f"{AUDIO_TOKEN_TTL_SETTING} must be between 1 and {MAX_AUDIO_TOKEN_TTL} seconds"
            )
        self.mode = mode
        self.client = client
        self.phone_client = phone_client
        self.token_ttl = int(token_ttl)
        self.stager = stager
        self.min_remaining = timedelta(seconds=self.token_ttl / 2 if min_remaining is None else min_remaining)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._tokens: dict[str, _Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self.token_requests = 0

    def __repr__(self) -> str:
        return f"AudioUrlProvider(mode={self.mode!r})"

    @property
    def sends_audio(self) -> bool:
        """False in mode `none`: no audioUrl, and calls without a transcript are not pushed."""
        return self.mode != "none"

    def sends_audio_for(self, row: Mapping[str, Any]) -> bool:
        """Whether this call can get an audioUrl: phone calls only when staged (no Zoom download token)."""
        if row.get("source") == PHONE_SOURCE:
            return self.mode == "stage"
        return self.sends_audio

    @classmethod
    def from_config(
        cls,
        mode: str | None = None,
        *,
        client: ZoomDownloader | None = None,
        client_factory: Callable[[], ZoomDownloader] | None = None,
        phone_client_for: Callable[[Any], ZoomDownloader] | None = None,
        token_ttl: int | None = None,
        stage_bucket_url: str | None = None,
        stage_url_ttl: int | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> AudioUrlProvider:
        """Builds the provider; arguments left None come from `destination.kendo.*` config / secrets."""
        mode = str(mode or dlt.config.get(AUDIO_URL_MODE_SETTING) or DEFAULT_AUDIO_URL_MODE).strip().lower()
        ttl = _seconds(
            token_ttl or dlt.config.get(AUDIO_TOKEN_TTL_SETTING) or DEFAULT_AUDIO_TOKEN_TTL,
            AUDIO_TOKEN_TTL_SETTING,
        )
        stager = None
        if mode == "stage":
            bucket = stage_bucket_url or dlt.config.get(STAGE_BUCKET_URL_SETTING)
            url_ttl = _seconds(
                stage_url_ttl or dlt.config.get(STAGE_URL_TTL_SETTING) or DEFAULT_STAGE_URL_TTL,
                STAGE_URL_TTL_SETTING,
            )
            options = storage_options if storage_options is not None else _storage_options()
            stager = Stager(str(bucket or ""), url_ttl=url_ttl, storage_options=options)
        if mode in ("zoom_token", "stage") and client is None and client_factory is not None:
            client = client_factory()
        # Phone audio is staged through the Phone client of `client` (sources.zoom.phone_client_for)
        phone = phone_client_for(client) if mode == "stage" and client and phone_client_for else None
        return cls(mode, client=client, phone_client=phone, token_ttl=ttl, stager=stager)

    # ---- audio_url_fn -----------------------------------------------------------------------

    def __call__(self, row: Mapping[str, Any]) -> TAudioUrl:
        return self.audio_url(row)

    def audio_url(self, row: Mapping[str, Any]) -> TAudioUrl:
        """(audioUrl, when it expires) for a `calls` row; (None, None) when the call has no audio or in
        mode `none`. Raises when the URL cannot be made (the push leaves the call pending)."""
        url = row.get("audio_url")
        if not url or not self.sends_audio_for(row):
            return None, None
        if self.mode == "zoom_token":
            return self._zoom_token_url(row, str(url))
        return self._staged_url(row, str(url))

    def _zoom_token_url(self, row: Mapping[str, Any], url: str) -> TAudioUrl:
        meeting_uuid = str(row["meeting_uuid"])
        token = self.token(meeting_uuid)
        file_id = row.get("audio_file_id")
        fresh = token.download_urls.get(str(file_id)) if file_id else None
        return with_access_token(fresh or url, token.token), token.expires_at

    def token(self, meeting_uuid: str) -> _Token:
        """The meeting's download access token: cached while comfortably unexpired, else requested."""
        with self._lock:
            lock = self._locks.setdefault(meeting_uuid, threading.Lock())
        with lock:
            cached = self._tokens.get(meeting_uuid)
            if cached is not None and cached.expires_at - self._clock() >= self.min_remaining:
                return cached
            assert self.client is not None
            requested_at = self._clock()  # before the request: the expiry we record is never late
            body = self.client.get(
                "meeting_recordings",
                params={"include_fields": "download_access_token", "ttl": self.token_ttl},
                meeting_uuid=meeting_uuid,
            )
            with self._lock:
                self.token_requests += 1
            value = body.get("download_access_token")
            if not value:
                raise KendoConfigError(
                    "Zoom returned no download_access_token (the app's role needs 'View the recording"
                    " content'); use destination.kendo.audio_url_mode = 'stage' or 'none'"
                )
            urls = {
                str(f["id"]): str(f["download_url"])
                for f in body.get("recording_files") or []
                if f.get("id") and f.get("download_url")
            }
            token = _Token(str(value), requested_at + timedelta(seconds=self.token_ttl), urls)
            self._tokens[meeting_uuid] = token
            logger.debug("new Zoom download token for %s (expires %s)", meeting_uuid, token.expires_at)
            return token

    def _staged_url(self, row: Mapping[str, Any], url: str) -> TAudioUrl:
        assert self.client is not None and self.stager is not None
        name = object_name(str(row["meeting_uuid"]), row.get("audio_file_id"), strip_query(url))
        phone = row.get("source") == PHONE_SOURCE and self.phone_client
        staged = self.stager.stage((phone or self.client).download(url), name)
        return self.stager.sign(staged.path)

    def close(self) -> None:
        if self.stager is not None:
            self.stager.close()


def _seconds(value: Any, setting: str) -> int:
    """A whole number of seconds from config; anything else names the setting."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise KendoConfigError(f"{setting}: {value!r} is not a number of seconds") from None


def _storage_options() -> dict[str, Any] | None:
    value: Any = dlt.secrets.get(STAGE_STORAGE_OPTIONS_SETTING)
    if value is None:
        value = dlt.config.get(STAGE_STORAGE_OPTIONS_SETTING)
    if isinstance(value, str):
        value = json.loads(value)
    if value is not None and not isinstance(value, Mapping):
        raise KendoConfigError(f"{STAGE_STORAGE_OPTIONS_SETTING} must be a table of fsspec options")
    return dict(value) if value is not None else None
