"""One clear line for what went wrong, naming the setting to fix (the CLI prints it without a trace)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from dlt.common.configuration.exceptions import ConfigFieldMissingException, LookupTraces

from sources.zoom.config_values import SettingError


def _root(exc: BaseException) -> BaseException:
    """Unwraps dlt's step and extraction wrappers down to the error that says what is wrong."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner: Optional[BaseException] = getattr(exc, "exception", None) or exc.__cause__
        if inner is None or not isinstance(inner, BaseException):
            break
        exc = inner
    return exc


def _missing(traces: Any, found: Dict[str, str]) -> None:
    """Collects each missing leaf field with the env-var name a user would set (the clearest of dlt's)."""
    for field_name, entries in traces.items():
        for entry in entries:
            if isinstance(entry, LookupTraces):
                _missing(entry.traces, found)
            elif entry.provider == "Environment Variables" and entry.value is None:
                best = found.get(field_name)
                if _better(entry.key, best):
                    found[field_name] = entry.key


def _better(key: str, best: Optional[str]) -> bool:
    # prefer SOURCES__ZOOM__CREDENTIALS__X / DESTINATION__KENDO__X over pipeline-prefixed or generic names
    def rank(k: str) -> tuple:
        return (not k.startswith(("SOURCES__", "DESTINATION__")), "ZOOM__ZOOM" in k, -len(k))

    return best is None or rank(key) < rank(best)


def friendly_error(exc: BaseException) -> str:
    """A one-line message for `exc`: missing settings are named with their env-var form."""
    root = _root(exc)
    if isinstance(root, ConfigFieldMissingException):
        found: Dict[str, str] = {}
        _missing(root.traces, found)
        names = ", ".join(f"{k} ({v})" for k, v in sorted(found.items())) or ", ".join(root.fields)
        return (
            f"missing setting(s): {names}: put them in .dlt/secrets.toml "
            "(see .dlt/secrets.toml.example) or set them as environment variables"
        )
    text = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
    if isinstance(root, SettingError):  # the message starts with the setting's name
        return text
    return f"{type(root).__name__}: {text}" if not text.startswith(type(root).__name__) else text
