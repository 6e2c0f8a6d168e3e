"""The push step of the CLI: warehouse `calls` → Kendo, with settings from config and flags."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, List, Optional

from dlt.pipeline.pipeline import Pipeline

from destinations.kendo.audio_urls import AudioUrlProvider
from destinations.kendo.push import push_calls
from destinations.kendo.summary import PushSummary


@dataclass
class PushReport:
    summary: PushSummary

    def lines(self) -> List[str]:
        out = [str(self.summary)]
        for payload in self.summary.dry_run_payloads:
            out.append(json.dumps(payload, ensure_ascii=False, default=str))
        for uuid, message in list(self.summary.failed.items())[:20]:
            out.append(f"  refused by Kendo: {uuid}: {message}")
        for uuid, message in list(self.summary.pending.items())[:20]:
            out.append(f"  pending (retried next run): {uuid}: {message}")
        return out


def push_from_config(
    pipeline: Pipeline,
    *,
    since: Optional[str] = None,
    until: Optional[str] = None,
    rep_emails: Optional[List[str]] = None,
    dry_run: bool = False,
    resend_changed: bool = False,
    concurrency: Optional[int] = None,
    rate_per_second: Optional[float] = None,
    client: Any = None,
    audio_url_mode: Optional[str] = None,
    audio_token_ttl: Optional[int] = None,
    stage_bucket_url: Optional[str] = None,
    stage_url_ttl: Optional[int] = None,
    stage_storage_options: Optional[dict] = None,
    **kwargs: Any,
) -> PushReport:
    """Pushes ready calls with `destination.kendo.*` settings; flags left None keep the defaults.

    The audioUrl follows `destination.kendo.audio_url_mode` (zoom_token | stage | none; see
    destinations/kendo/audio_urls.py), with `audio_token_ttl`, `stage_bucket_url`, `stage_url_ttl` and the
    secret `stage_storage_options`. Modes zoom_token and stage use `client` (a ZoomClient), else one built
    from `sources.zoom.*` config and secrets (`pipelines.load.build_client()`) when the mode needs one (not
    in dry runs).
    An explicit `audio_url_fn=` keyword bypasses the setting.
    """
    extra: dict[str, Any] = dict(kwargs)
    if concurrency:
        extra["concurrency"] = concurrency
    if rate_per_second is not None:
        extra["rate_per_second"] = rate_per_second
    provider: Optional[AudioUrlProvider] = None
    owned_client: Any = None
    if "audio_url_fn" not in extra:
        if client is None and dry_run:
            client = _UnusedClient()  # a dry run fetches no token and stages nothing

        def build() -> Any:
            nonlocal owned_client
            from .load import build_client

            owned_client = build_client()
            return owned_client

        provider = AudioUrlProvider.from_config(
            audio_url_mode,
            client=client,
            client_factory=build,
            token_ttl=audio_token_ttl,
            stage_bucket_url=stage_bucket_url,
            stage_url_ttl=stage_url_ttl,
            storage_options=stage_storage_options,
        )
        extra["audio_url_fn"] = provider
    try:
        summary = push_calls(
            pipeline,
            since=since,
            until=until,
            rep_emails=rep_emails,
            dry_run=dry_run,
            resend_changed=resend_changed,
            **extra,
        )
    finally:
        if provider is not None:
            provider.close()
        if owned_client is not None:
            owned_client.close()
    return PushReport(summary)


class _UnusedClient:
    """Stands in for the Zoom client in dry runs (push_calls never calls audio_url_fn then)."""

    def get(self, name: str, params: Any = None, **path: Any) -> Any:
        raise RuntimeError("a dry run does not call Zoom")

    def download(self, url: str, access_token: Optional[str] = None, chunk_size: int = 1 << 16) -> Any:
        raise RuntimeError("a dry run does not call Zoom")
