"""Checks for the connector's settings: each bad value fails with one line that names the setting and says
what it takes (`sources.zoom.start_date: 'yesterday' is not a date; use YYYY-MM-DD`).

The source takes these settings untyped from dlt (`Any`), so dlt hands over the raw value and the checks
here, not dlt's coercion (a bare `ParserError` or `JSONDecodeError`), say what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Dict, List, Optional

from . import settings
from .dates import parse_instant
from .ratelimit import to_category

CATEGORIES = ", ".join(c.value for c in settings.Category)


class SettingError(ValueError):
    """A setting holds a value the connector cannot use; the message names the setting."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: Any, setting: str) -> Optional[datetime]:
    """A UTC datetime from a date, a datetime or an ISO string ("2026-01-01", "2026-01-01T08:00:00Z")."""
    if _blank(value):
        return None
    parsed = parse_instant(value)
    if parsed is None:
        raise SettingError(f"{setting}: {value!r} is not a date; use YYYY-MM-DD (UTC), e.g. 2026-01-01")
    return parsed


def parse_uuid_list(value: Any, setting: str = "--instances") -> List[str]:
    """Instance UUIDs from a list or comma-separated text, blanks dropped, order kept."""
    if _blank(value):
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not all(isinstance(v, str) for v in items):
        raise SettingError(f"{setting}: {value!r} is not a list of meeting UUIDs; use UUID,UUID,...")
    return [v.strip() for v in items if v.strip()]


def _zero_or_more(value: Any, setting: str, default: float, unit: str) -> float:
    """A number of `unit`, zero or more; `default` when the setting is blank."""
    if _blank(value):
        return float(default)
    number = _number(value)
    if number is None or number < 0:
        raise SettingError(f"{setting}: {value!r} is not a number of {unit} of zero or more, e.g. {default:g}")
    return number


def parse_lag_days(value: Any, setting: str = "sources.zoom.lag_days") -> float:
    """Days a run re-reads behind each cursor: a number, zero or more (default settings.DEFAULT_LAG_DAYS)."""
    return _zero_or_more(value, setting, settings.DEFAULT_LAG_DAYS, "days")


def parse_entity_refresh_hours(value: Any, setting: str = "sources.zoom.entity_refresh_hours") -> float:
    """Hours between full re-reads of the entity tables: a number, zero (every run) or more."""
    return _zero_or_more(value, setting, settings.DEFAULT_ENTITY_REFRESH_HOURS, "hours")


_TRUE, _FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}


def parse_flag(value: Any, setting: str) -> bool:
    """A true/false setting (TOML bool, or true/false, yes/no, on/off, 1/0 in an env var); blank is false."""
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise SettingError(f"{setting}: {value!r} is not true or false")


def parse_rate_limit_plan(value: Any, setting: str = "sources.zoom.rate_limit_plan") -> str:
    """Zoom's plan whose per-category limits the connector paces to."""
    if _blank(value):
        return settings.DEFAULT_PLAN
    plan = str(value).strip().lower()
    if plan not in settings.RATE_LIMIT_PLANS:
        raise SettingError(
            f"{setting}: {value!r} is not a plan; use one of {', '.join(settings.RATE_LIMIT_PLANS)}"
        )
    return plan


def parse_rate_limit_overrides(
    value: Any, setting: str = "sources.zoom.rate_limit_overrides"
) -> Dict[str, float]:
    """Requests per second per category, from a TOML table or JSON text (`{"Heavy": 5}`)."""
    example = 'requests per second per category, e.g. {"Heavy": 5}'
    if _blank(value):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SettingError(f"{setting}: {value!r} is not JSON; use {example}") from None
    if not isinstance(value, Mapping):
        raise SettingError(f"{setting}: {value!r} is not a table of {example}")
    out: Dict[str, float] = {}
    for key, rate in value.items():
        try:
            category = to_category(key)
        except ValueError:
            raise SettingError(f"{setting}: unknown category {key!r}; use {CATEGORIES}") from None
        number = _number(rate)
        if number is None or number <= 0:
            raise SettingError(f"{setting}: {key} = {rate!r} is not a positive number of requests per second")
        out[category.value] = number
    return out


def parse_windows_per_run(value: Any, setting: str = "--windows-per-run") -> int:
    """Month windows per resumable step: a whole number, one or more."""
    number = _number(value)
    if number is None or number < 1 or not number.is_integer():
        raise SettingError(f"{setting}: {value!r} is not a whole number of windows of one or more, e.g. 6")
    return int(number)


def parse_max_attempts(value: Any, setting: str = "sources.zoom.max_attempts") -> Optional[int]:
    """HTTP attempts per Zoom request (429, 5xx, dropped connections): a whole number, one or more."""
    if _blank(value):
        return None
    number = _number(value)
    if number is None or number < 1 or not number.is_integer():
        raise SettingError(f"{setting}: {value!r} is not a whole number of attempts of one or more, e.g. 8")
    return int(number)


def _number(value: Any) -> Optional[float]:
    """A finite float from an int, a float or numeric text; None otherwise (booleans are not numbers)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
