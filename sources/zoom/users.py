"""Users: every status, keyed by `user_key` because pending users have no id."""

from __future__ import annotations

from typing import Iterator

from dlt.common.typing import TDataItems

from .rejects import screened
from .rows import normalize_times, user_key
from .run_context import ZoomRun


def iter_users(run: ZoomRun) -> Iterator[TDataItems]:
    """Yields all users (active, inactive, pending) with their `user_key`.

    Args:
        run: the run's shared context.

    Yields:
        Pages of user rows (and any rows set aside for `rejected_rows`).
    """
    rows = [dict(normalize_times(u), user_key=user_key(u)) for u in run.users()]
    for i in range(0, len(rows), 1000):
        yield from screened(run, "users", rows[i : i + 1000])
