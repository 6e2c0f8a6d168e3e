"""Team Chat channels (deduplicated across the users who belong to them) and their members."""

from __future__ import annotations

from typing import Iterator

import dlt
from dlt.common.typing import TDataItem, TDataItems

from .refresh import CHANNELS
from .rejects import screened
from .run_context import ZoomRun


def iter_channels(run: ZoomRun) -> Iterator[TDataItems]:
    """Yields a deferred channel listing per user; a channel shared by many users is kept once. Channels
    and their members are read only when the entity tables refresh (refresh.py)."""
    if not run.plan.begin(CHANNELS):
        return
    for user_id in run.host_ids():
        if run.feature_disabled("channels"):
            return
        yield _user_channels(run, user_id)


@dlt.defer
def _user_channels(run: ZoomRun, user_id: str) -> Iterator[TDataItems]:
    rows = run.list_all("channels", user_id=user_id)
    claimed = [c for c in rows if not isinstance(c, dict) or run.claim("channels", c.get("id"))]
    return iter(screened(run, "channels", claimed))


def iter_channel_members(run: ZoomRun, channels: TDataItems) -> Iterator[TDataItem]:
    for channel in channels if isinstance(channels, list) else [channels]:
        yield _channel_members(run, channel["id"])


@dlt.defer
def _channel_members(run: ZoomRun, channel_id: str) -> Iterator[TDataItems]:
    rows = run.list_all("channel_members", channel_id=channel_id)
    rows = [
        dict(m, channel_id=channel_id, member_id=m.get("member_id") or m.get("id"))
        if isinstance(m, dict)
        else m
        for m in rows
    ]
    return iter(screened(run, "channel_members", rows))
