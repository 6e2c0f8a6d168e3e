"""The table reference (README and `zoom-pipeline tables`), generated from the table registry."""

from __future__ import annotations

from typing import Any, List

from sources.zoom.registry import WEBHOOKS, Refresh, Table, visible

_CURSOR = {
    Refresh.MERGE: "— (merge)",
    Refresh.WINDOW: "start_time (window)",
    Refresh.PHONE_WINDOW: "start_time (phone window)",
}


def _key(key: Any) -> str:
    return ", ".join(key) if isinstance(key, (tuple, list)) else str(key)


def _cursor(refresh: Refresh, made_by: Any) -> str:
    if refresh is Refresh.SIDE:  # rows of a time-bound parent move with its window
        if made_by == WEBHOOKS:
            return "— (events as received)"
        if made_by == "phone_recordings":
            return _CURSOR[Refresh.PHONE_WINDOW]
        return _CURSOR[Refresh.WINDOW] if made_by != "*" else _CURSOR[Refresh.MERGE]
    return _CURSOR[refresh]


def _cursors(t: Table) -> str:
    """A table's cursor; a table several resources emit (`calls`) moves with each of theirs."""
    makers = t.makers if t.refresh is Refresh.SIDE else (None,)
    return " / ".join(dict.fromkeys(_cursor(t.refresh, m) for m in makers))


def table_rows() -> List[List[str]]:
    return [[f"`{t.name}`", _key(t.key), _cursors(t), t.source_text()] for t in visible()]


def table_reference() -> str:
    header = ["table", "primary key", "cursor", "from"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows()]
    return "\n".join(lines)
