"""Settings as TOML, environment variables and the CLI hand them over: good values parse, bad ones name
the setting."""

from datetime import UTC, date, datetime

import pytest

from sources.zoom.config_values import (
    SettingError,
    parse_date,
    parse_flag,
    parse_lag_days,
    parse_max_attempts,
    parse_rate_limit_overrides,
    parse_rate_limit_plan,
    parse_windows_per_run,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-01-31", datetime(2026, 1, 31, tzinfo=UTC)),
        (" 2028-02-29 ", datetime(2028, 2, 29, tzinfo=UTC)),
        ("2026-01-31T08:30:00Z", datetime(2026, 1, 31, 8, 30, tzinfo=UTC)),
        (date(2026, 1, 31), datetime(2026, 1, 31, tzinfo=UTC)),  # an unquoted TOML date
        (None, None),
        ("", None),
    ],
)
def test_dates_parse(value, expected) -> None:
    assert parse_date(value, "sources.zoom.start_date") == expected


@pytest.mark.parametrize("value", ["yesterday", "01/02/2026", "2026-02-30", "2027-02-29", "2026-1-1", 2026.5])
def test_bad_dates_name_the_setting(value) -> None:
    with pytest.raises(SettingError, match=r"^sources\.zoom\.start_date: .* is not a date; use YYYY-MM-DD"):
        parse_date(value, "sources.zoom.start_date")


def test_lag_days() -> None:
    assert parse_lag_days(None) == 2.0 and parse_lag_days("0") == 0.0 and parse_lag_days(1.5) == 1.5
    for bad in ("-5", -0.1, "two", True, "nan", "inf"):
        with pytest.raises(SettingError, match=r"^sources\.zoom\.lag_days: "):
            parse_lag_days(bad)


def test_rate_limit_plan() -> None:
    assert parse_rate_limit_plan(" Business ") == "business" and parse_rate_limit_plan(None) == "pro"
    with pytest.raises(
        SettingError, match=r"^sources\.zoom\.rate_limit_plan: 'gold' is not a plan; use one of free, pro"
    ):
        parse_rate_limit_plan("gold")


def test_rate_limit_overrides_from_toml_or_json() -> None:
    assert parse_rate_limit_overrides({"Heavy": 5}) == {"Heavy": 5.0}
    assert parse_rate_limit_overrides('{"heavy": 5, "resource_intensive": 0.1}') == {
        "Heavy": 5.0,
        "Resource-intensive": 0.1,
    }
    assert parse_rate_limit_overrides(None) == {} and parse_rate_limit_overrides("") == {}


@pytest.mark.parametrize(
    "value, says",
    [
        ("Heavy=5", "is not JSON"),
        ("[5]", "is not a table"),
        ('{"Huge": 5}', "unknown category 'Huge'"),
        ('{"Heavy": "fast"}', "Heavy = 'fast' is not a positive number"),
        ('{"Heavy": 0}', "is not a positive number"),
        ('{"Heavy": true}', "is not a positive number"),
    ],
)
def test_bad_rate_limit_overrides_name_the_setting(value, says) -> None:
    with pytest.raises(SettingError) as caught:
        parse_rate_limit_overrides(value)
    assert str(caught.value).startswith("sources.zoom.rate_limit_overrides: ") and says in str(caught.value)


def test_windows_per_run() -> None:
    assert parse_windows_per_run(6) == 6 and parse_windows_per_run("12") == 12
    for bad in (0, -1, 1.5, "six", None):
        with pytest.raises(SettingError, match=r"^--windows-per-run: "):
            parse_windows_per_run(bad)


def test_max_attempts() -> None:
    assert parse_max_attempts(None) is None and parse_max_attempts("") is None
    assert parse_max_attempts(1) == 1 and parse_max_attempts("3") == 3
    for bad in (0, -1, "2.5", "many", True):
        with pytest.raises(SettingError, match=r"^sources\.zoom\.max_attempts: .* one or more"):
            parse_max_attempts(bad)


def test_flags() -> None:
    assert [parse_flag(v, "s") for v in (True, "true", "Yes", "1", "on")] == [True] * 5
    assert [parse_flag(v, "s") for v in (False, None, "", "false", "NO", "0", "off")] == [False] * 7
    with pytest.raises(SettingError, match="sources.zoom.keep_sensitive_fields: 'flase' is not true or false"):
        parse_flag("flase", "sources.zoom.keep_sensitive_fields")
