"""The push step of the CLI: warehouse `calls` → Kendo, with settings from config and flags."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, List, Optional

from dlt.pipeline.pipeline import Pipeline

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
    **kwargs: Any,
) -> PushReport:
    """Pushes ready calls with `destination.kendo.*` settings; flags left None keep the defaults."""
    extra: dict[str, Any] = dict(kwargs)
    if concurrency:
        extra["concurrency"] = concurrency
    if rate_per_second is not None:
        extra["rate_per_second"] = rate_per_second
    summary = push_calls(
        pipeline,
        since=since,
        until=until,
        rep_emails=rep_emails,
        dry_run=dry_run,
        resend_changed=resend_changed,
        **extra,
    )
    return PushReport(summary)
