"""The push step of the CLI: warehouse `calls` → Kendo, with settings from config and flags."""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from dlt.pipeline.pipeline import Pipeline

from destinations.kendo.audio_urls import AudioUrlProvider
from destinations.kendo.push import push_calls
from destinations.kendo.summary import PushSummary
from sources.zoom.phone_client import phone_client_for

# the calls a push left behind, with their status and Kendo's words
UNFINISHED_SQL = (
    "SELECT zoom_meeting_uuid, status, attempts, error FROM {table}"
    " WHERE status <> 'sent' ORDER BY status, last_attempt_at"
)


def see_unfinished(pipeline: Pipeline) -> str:
    """The command a user runs to list them, for this warehouse."""
    if pipeline.destination.destination_type.endswith("duckdb"):
        path = pipeline.destination_client().config.credentials.database
        query = UNFINISHED_SQL.format(table="kendo_sync")
        return f'zoom-pipeline sql --duckdb-path "{path}" --dataset {pipeline.dataset_name} "{query}"'
    return "psql: " + UNFINISHED_SQL.format(table=f'"{pipeline.dataset_name}".kendo_sync')


@dataclass
class PushReport:
    summary: PushSummary
    see_command: str = ""

    def unfinished(self) -> Dict[str, int]:
        """Calls left pending, failed or uncertain (non-zero counts only): the run exits 3 if any."""
        return {k: n for k, n in self.summary.unfinished().items() if n}

    def lines(self) -> List[str]:
        out = [str(self.summary)]
        for payload in self.summary.dry_run_payloads:
            out.append(json.dumps(payload, ensure_ascii=False, default=str))
        for uuid, message in list(self.summary.failed.items())[:20]:
            out.append(f"  refused by Kendo: {uuid}: {message}")
        for uuid, message in list(self.summary.pending.items())[:20]:
            out.append(f"  pending (retried next run): {uuid}: {message}")
        for reason, n in Counter(self.summary.not_attempted.values()).items():
            out.append(f"  not attempted (pending for the next run): {n} call(s): {reason}")
        for uuid, message in list(self.summary.uncertain.items())[:20]:
            out.append(f"  uncertain (Kendo may hold it; not re-posted): {uuid}: {message}")
        left = self.unfinished()
        if left:
            counts = ", ".join(f"{n} {status}" for status, n in left.items())
            out.append(f"Calls not sent: {counts}. See them: {self.see_command}")
            if "uncertain" in left:
                out.append(
                    "  Uncertain calls got no answer from Kendo. Check Kendo, then post them again with"
                    " `zoom-pipeline push --resend-uncertain` (a call Kendo already has is then duplicated)."
                )
        return out


def require_kendo_key(pipeline: Pipeline) -> None:
    """Fails now, naming the setting, when the pipeline has no Kendo key: before a load or a server that
    would find out only at its first push."""
    import dlt

    from destinations.kendo.errors import KendoAuthError
    from destinations.kendo.settings import API_KEY_SETTING

    from .accounts import kendo_api_key_for

    if not kendo_api_key_for(pipeline.pipeline_name) and not dlt.secrets.get(API_KEY_SETTING):
        raise KendoAuthError.missing()


def push_from_config(
    pipeline: Pipeline,
    *,
    since: Optional[str] = None,
    until: Optional[str] = None,
    rep_emails: Optional[List[str]] = None,
    dry_run: bool = False,
    resend_changed: bool = False,
    resend_uncertain: bool = False,
    concurrency: Optional[int] = None,
    rate_per_second: Optional[float] = None,
    max_seconds: Optional[float] = None,
    stop: Optional[threading.Event] = None,
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

    The pipeline of a named account (`zoom_<name>`, pipelines/accounts.py) pushes with that account's
    `kendo_api_key` and Zoom client, whoever calls (CLI, Dagster, webhooks): never another team's key.
    """
    from .accounts import account_client, account_of_pipeline, kendo_api_key_for

    extra: dict[str, Any] = dict(kwargs)
    if "api_key" not in extra and not dry_run:
        key = kendo_api_key_for(pipeline.pipeline_name)
        if key:
            extra["api_key"] = key
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
            owned_client = account_client(account_of_pipeline(pipeline.pipeline_name))
            return owned_client

        provider = AudioUrlProvider.from_config(
            audio_url_mode,
            client=client,
            client_factory=build,
            phone_client_for=phone_client_for,
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
            resend_uncertain=resend_uncertain,
            max_seconds=max_seconds,
            stop=stop,
            **extra,
        )
    finally:
        if provider is not None:
            provider.close()
        if owned_client is not None:
            owned_client.close()
    return PushReport(summary, see_command=see_unfinished(pipeline))


class _UnusedClient:
    """Stands in for the Zoom client in dry runs (push_calls never calls audio_url_fn then)."""

    def get(self, name: str, params: Any = None, **path: Any) -> Any:
        raise RuntimeError("a dry run does not call Zoom")

    def download(self, url: str, access_token: Optional[str] = None, chunk_size: int = 1 << 16) -> Any:
        raise RuntimeError("a dry run does not call Zoom")
