"""The rules that keep credentials out of rows and logs, one case each (end to end: test_sensitive_e2e)."""

from __future__ import annotations

import logging

import pytest

from sources.zoom.log_redaction import QueryRedactingFilter, redact_queries
from sources.zoom.sensitive import drop_sensitive, strip_url_tokens


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://us06web.zoom.us/s/8501?zak=eyJ0eXAi.abc", "https://us06web.zoom.us/s/8501"),
        ("https://us06web.zoom.us/j/8501?pwd=Xy12", "https://us06web.zoom.us/j/8501"),
        ("https://zoom.us/w/99?tk=T0k&uuid=WN_1", "https://zoom.us/w/99?uuid=WN_1"),
        ("https://zoom.us/rec/download/abc?access_token=eyJ&x=1#t", "https://zoom.us/rec/download/abc?x=1#t"),
        (
            "https://cdn.example/f.m4a?X-Amz-Signature=s&X-Amz-Credential=c&a=b",
            "https://cdn.example/f.m4a?a=b",
        ),
        ("https://cdn.example/f?Policy=p&Signature=s&Key-Pair-Id=k", "https://cdn.example/f"),
        ("https://zoom.us/rec/share/abc?startTime=1633", "https://zoom.us/rec/share/abc?startTime=1633"),
        ("https://zoom.us/meeting/register/tJ", "https://zoom.us/meeting/register/tJ"),
    ],
)
def test_strip_url_tokens(url: str, expected: str) -> None:
    assert strip_url_tokens(url) == expected


def test_drop_sensitive_drops_fields_and_strips_urls_at_any_depth() -> None:
    row = {
        "id": 1,
        "start_url": "https://zoom.us/s/1?zak=z",
        "password": "p",
        "join_url": "https://zoom.us/j/1?pwd=p",
        "settings": {"alternative_hosts": "", "links": ["https://zoom.us/j/2?tk=t"], "h323_password": "1"},
        "topic": "see https://zoom.us/j/3?pwd=p",  # free text is the user's content: kept
    }
    assert drop_sensitive(row) == {
        "id": 1,
        "join_url": "https://zoom.us/j/1",
        "settings": {"alternative_hosts": "", "links": ["https://zoom.us/j/2"]},
        "topic": "see https://zoom.us/j/3?pwd=p",
    }
    assert row["password"] == "p"  # the input is not changed


def test_log_records_lose_query_values_whatever_the_level(caplog) -> None:
    log = logging.getLogger("test.redaction")
    log.addFilter(QueryRedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="test.redaction"):
        log.debug('%s "GET /rec/file-host/t?exp=%d&sig=%s HTTP/1.1" 200', "http://h", 17, "abc")
        log.error("failed: https://zoom.us/rec/download/t?access_token=eyJ.x")
    assert [r.getMessage() for r in caplog.records] == [
        'http://h "GET /rec/file-host/t?exp=***&sig=*** HTTP/1.1" 200',
        "failed: https://zoom.us/rec/download/t?access_token=***",
    ]
    assert redact_queries("no query here") == "no query here"
