"""The Kendo API key never shows up in logs, traces, pipeline files or error messages."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import dlt
import kendo_helpers
import pytest
from kendo_helpers import Warehouse, call_row

from destinations.kendo import KendoAuthError, KendoConfigError, kendo_destination, push_calls
from destinations.kendo.client import KendoClient
from emulators.kendo import KendoEmulator

warehouse = kendo_helpers.warehouse  # fixture


KEY = "kendo-SECRET-4f9a2c"
WRONG = "wrong-SECRET-77b1e0"
ZOOM_TOKEN = "zoomtok-SECRET-5e5e"


def test_api_key_never_appears_in_logs_traces_files_or_errors(
    warehouse: Warehouse, tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:

    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with KendoEmulator(api_key=KEY) as kendo:
        warehouse.load(
            [call_row(1, audio_url=f"https://zoom.example/rec/1.m4a?access_token={ZOOM_TOKEN}"), call_row(2)]
        )
        args = {"ingest_url": kendo.ingest_url, "rate_per_second": 0, "backoff_seconds": 0.01}
        with pytest.raises(KendoAuthError) as err:
            push_calls(warehouse.pipeline(), api_key=WRONG, **args)
        texts += [str(err.value), repr(err.value), "".join(traceback.format_exception(err.value))]
        kendo.configure(fail_next=[429, 503, 400], retry_after=0)  # exercise retry and refusal logs
        summary = push_calls(warehouse.pipeline(), api_key=KEY, **args)
        assert len(summary.sent) + len(summary.failed) == 2
        dry = push_calls(warehouse.pipeline(), api_key=KEY, dry_run=True, resend_changed=True, **args)
        trace = dlt.pipeline("zoom_wh_kendo_push").last_trace
        texts += [str(trace), repr(trace), repr(summary), str(summary), repr(dry)]
        texts += [repr(kendo_destination(api_key=KEY)), repr(KendoClient(KEY, kendo.ingest_url))]
        texts += [str(v) for v in trace.resolved_config_values]
    captured = capfd.readouterr()
    texts += [caplog.text, captured.out, captured.err]
    for text in texts:
        assert KEY not in text and WRONG not in text
    assert "DEBUG" in caplog.text  # the capture did run at DEBUG
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "trace.pickle" for p in files)
    for path in files:
        blob = path.read_bytes()
        assert KEY.encode() not in blob and WRONG.encode() not in blob, path


def test_missing_key_names_the_setting(warehouse: Warehouse) -> None:
    warehouse.load([call_row(1)])
    with pytest.raises(KendoAuthError, match="DESTINATION__KENDO__API_KEY"):
        push_calls(warehouse.pipeline(), ingest_url="http://127.0.0.1:9/x")
    assert not dlt.pipeline("zoom_wh_kendo_push").has_pending_data  # refused before any package was built


def test_a_bad_setting_is_named_before_anything_is_sent(
    warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    warehouse.load([call_row(1)])
    monkeypatch.setenv("DESTINATION__KENDO__REQUEST_TIMEOUT", "-1")
    with pytest.raises(KendoConfigError, match="destination.kendo.request_timeout"):
        push_calls(warehouse.pipeline(), api_key=KEY, ingest_url="http://127.0.0.1:9/x")
    assert warehouse.ledger() == {}
