"""One clear line for what went wrong, naming the setting to fix (the CLI prints it without a trace)."""

from __future__ import annotations

from typing import Optional

from dlt.common.configuration.exceptions import ConfigFieldMissingException


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


def _env_name(section_path: str) -> str:
    return "__".join(p.upper() for p in section_path.split("."))


def friendly_error(exc: BaseException) -> str:
    """A one-line message for `exc`: missing settings are named with their env-var form."""
    root = _root(exc)
    if isinstance(root, ConfigFieldMissingException):
        fields = sorted(set(root.fields))
        sections = [t.key for traces in root.traces.values() for t in traces if t.key]
        where = next((s for s in sections if s), None)
        names = ", ".join(fields)
        hint = ""
        if where:
            hint = f" (looked up e.g. {where})"
        elif fields:
            hint = f" (e.g. SOURCES__ZOOM__CREDENTIALS__{fields[0].upper()})"
        return (
            f"missing setting(s) {names}{hint}: put them in .dlt/secrets.toml "
            "(see .dlt/secrets.toml.example) or set them as environment variables"
        )
    text = str(root).strip().splitlines()[0] if str(root).strip() else type(root).__name__
    return f"{type(root).__name__}: {text}" if not text.startswith(type(root).__name__) else text
