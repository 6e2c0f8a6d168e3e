"""Audio URLs that Kendo can fetch: `destination.kendo.audio_url_mode` = zoom_token | stage | none.

End to end: Zoom emulator → DuckDB (`calls`) → push → Kendo emulator in strict mode (it GETs every
audioUrl and answers 400 when that fails). Every audioUrl must give the bytes of the Zoom file, tokens
are renewed once expired, and no token or signature reaches the logs.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from zoom_helpers import load, make_client, make_pipeline

from destinations.kendo import LEDGER_COLUMNS, LEDGER_TABLE, redacted_payload
from destinations.kendo.audio_urls import AudioUrlProvider, with_access_token
from destinations.kendo.errors import KendoConfigError
from destinations.kendo.staging import Stager
from emulators.kendo import KendoEmulator
from emulators.zoom import ZoomEmulator
from emulators.zoom.fixtures import encode_uuid
from pipelines.push import push_from_config

START = (datetime.now(UTC) - timedelta(days=25)).date().isoformat()


@pytest.fixture
def zoom() -> Iterator[ZoomEmulator]:
    with ZoomEmulator(seed=31, users=2, days_of_history=20, rate_limits=False, latency_ms=0) as emu:
        # make sure there is a ready call with audio and no transcript
        emu.add_meeting(transcript=False, audio=True)
        yield emu


@pytest.fixture
def kendo() -> Iterator[KendoEmulator]:
    with KendoEmulator(strict=True) as k:
        yield k


def _loaded(zoom: ZoomEmulator, tmp_path: Path, destination: str = "duckdb", **kw: Any) -> Any:
    pipeline = make_pipeline(destination, tmp_path, **kw)
    load(pipeline, zoom, START, resources=["recordings"])
    return pipeline


def _calls(pipeline: Any) -> dict[str, dict]:
    cols = ["meeting_uuid", "audio_url", "transcript", "title"]
    with pipeline.sql_client() as c:
        rows = c.execute_sql(
            f"SELECT {', '.join(cols)} FROM {c.make_qualified_table_name('calls')} WHERE ready = TRUE"
        )
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}


def _ledger(pipeline: Any) -> dict[str, dict]:
    with pipeline.sql_client() as c:
        rows = c.execute_sql(
            f"SELECT {', '.join(LEDGER_COLUMNS)} FROM {c.make_qualified_table_name(LEDGER_TABLE)}"
        )
    return {r[0]: dict(zip(LEDGER_COLUMNS, r, strict=True)) for r in rows}


def _push_logged(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture, **kw: Any
) -> tuple[Any, str]:
    """Runs push_from_config with DEBUG logging captured; returns the report and every line it printed or
    logged (messages and arguments, stdout and stderr)."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        report = push_from_config(**kw)
        print("\n".join(report.lines()))
    out = capsys.readouterr()
    # the push's own logs: the emulators and moto's server run in this process too and log what they receive
    ours = [r for r in caplog.records if not r.name.startswith(("werkzeug", "emulators", "aiohttp"))]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in ours)
    return report, "\n".join([logged, out.out, out.err])


def _get(url: str) -> bytes:
    resp = requests.get(url, timeout=30)
    assert resp.status_code == 200, resp.status_code
    assert not resp.headers.get("Content-Type", "").startswith("text/html")
    return resp.content


def _query(url: str, name: str) -> str:
    return parse_qs(urlsplit(url).query)[name][0]


# ---- zoom_token --------------------------------------------------------------------------------------


def test_zoom_token_urls_fetch_the_zoom_file_and_stay_out_of_logs(
    zoom: ZoomEmulator, kendo: KendoEmulator, tmp_path: Path, caplog: Any, capsys: Any
) -> None:
    pipeline = _loaded(zoom, tmp_path)
    calls = _calls(pipeline)
    client = make_client(zoom)
    before = datetime.now(UTC)
    report, logs = _push_logged(
        caplog,
        capsys,
        pipeline=pipeline,
        api_key=kendo.api_key,
        ingest_url=kendo.ingest_url,
        client=client,
        audio_url_mode="zoom_token",
        audio_token_ttl=3600,
    )
    summary = report.summary
    assert not summary.failed and not summary.pending
    assert sorted(summary.sent) == sorted(calls)
    received = {b["metadata"]["zoomMeetingUuid"]: b for b in kendo.received()}
    with_audio = {u for u, c in calls.items() if c["audio_url"]}
    assert {u for u, b in received.items() if "audioUrl" in b} == with_audio and with_audio
    tokens = set()
    ledger = _ledger(pipeline)
    for uuid in with_audio:
        url = received[uuid]["audioUrl"]
        token = _query(url, "access_token")
        tokens.add(token)
        assert url.split("?")[0] == calls[uuid]["audio_url"].split("?")[0]
        assert _get(url) == client.download_bytes(calls[uuid]["audio_url"])  # API token, Bearer
        expires = ledger[uuid]["audio_url_expires_at"]
        assert expires is not None
        assert (
            before + timedelta(seconds=3590)
            <= expires.astimezone(UTC)
            <= datetime.now(UTC) + timedelta(hours=1)
        )
    for uuid in set(calls) - with_audio:
        assert ledger[uuid]["audio_url_expires_at"] is None
    for token in tokens:
        assert token not in logs
        assert token.split(".")[-1] not in logs  # not even the JWT signature part


@pytest.mark.parametrize("destination", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_expired_token_is_renewed_before_the_push(
    zoom: ZoomEmulator, kendo: KendoEmulator, tmp_path: Path, destination: str, request: pytest.FixtureRequest
) -> None:
    if destination == "postgres":
        url = request.getfixturevalue("postgres_url")
        dataset = request.getfixturevalue("postgres_dataset")
        pipeline = _loaded(zoom, tmp_path, "postgres", dataset=dataset, postgres_url=url)
    else:
        pipeline = _loaded(zoom, tmp_path)
    calls = _calls(pipeline)
    uuid = next(u for u, c in sorted(calls.items()) if c["audio_url"])
    now = [datetime.now(UTC)]
    provider = AudioUrlProvider("zoom_token", client=make_client(zoom), token_ttl=600, clock=lambda: now[0])
    args = {"pipeline": pipeline, "api_key": kendo.api_key, "ingest_url": kendo.ingest_url}

    push_from_config(**args, audio_url_fn=provider)
    first = [b for b in kendo.received() if b["metadata"]["zoomMeetingUuid"] == uuid]
    token_a = _query(first[-1]["audioUrl"], "access_token")
    expires_a = _ledger(pipeline)[uuid]["audio_url_expires_at"]
    assert expires_a.astimezone(UTC) == now[0] + timedelta(seconds=600)
    # comfortably unexpired: the cached token is reused
    requests_before = provider.token_requests
    assert provider.token(uuid).token == token_a and provider.token_requests == requests_before

    # the call changes after its token expired: the re-send gets a fresh token
    now[0] = now[0] + timedelta(seconds=601)
    with pipeline.sql_client() as c:
        c.execute_sql(
            f"UPDATE {c.make_qualified_table_name('calls')} SET title = title || ' (edited)'"
            " WHERE meeting_uuid = %s",
            uuid,
        )
    report = push_from_config(**args, audio_url_fn=provider, resend_changed=True)
    assert report.summary.resent == [uuid] and not report.summary.failed  # strict Kendo fetched it
    assert provider.token_requests == requests_before + 1
    second = [b for b in kendo.received() if b["metadata"]["zoomMeetingUuid"] == uuid]
    token_b = _query(second[-1]["audioUrl"], "access_token")
    assert token_b != token_a
    expires_b = _ledger(pipeline)[uuid]["audio_url_expires_at"]
    assert expires_b.astimezone(UTC) == now[0] + timedelta(seconds=600) > expires_a


def test_token_cache_refreshes_when_less_than_half_the_ttl_is_left() -> None:
    class FakeZoom:
        def __init__(self) -> None:
            self.n = 0

        def get(self, name: str, params: Any = None, **path: Any) -> dict:
            assert name == "meeting_recordings" and params == {
                "include_fields": "download_access_token",
                "ttl": 1000,
            }
            self.n += 1
            return {"download_access_token": f"tok{self.n}", "recording_files": []}

        def download(self, url: str, access_token: Any = None, chunk_size: int = 0) -> Any:
            raise AssertionError

    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    now = [t0]
    provider = AudioUrlProvider("zoom_token", client=FakeZoom(), token_ttl=1000, clock=lambda: now[0])
    row = {"meeting_uuid": "u/1==", "audio_url": "https://zoom.us/rec/download/abc?x=1"}
    assert provider(row) == (
        "https://zoom.us/rec/download/abc?x=1&access_token=tok1",
        t0 + timedelta(seconds=1000),
    )
    now[0] = t0 + timedelta(seconds=499)
    assert str(provider(row)[0]).endswith("tok1") and provider.client.n == 1  # type: ignore[union-attr]
    now[0] = t0 + timedelta(seconds=501)
    assert provider(row) == (
        "https://zoom.us/rec/download/abc?x=1&access_token=tok2",
        now[0] + timedelta(seconds=1000),
    )
    assert provider({"meeting_uuid": "x", "audio_url": None}) == (None, None)
    assert with_access_token("https://h/p", "a+b/c") == "https://h/p?access_token=a%2Bb%2Fc"


# ---- none --------------------------------------------------------------------------------------------


def test_mode_none_pushes_only_transcripts_without_audio_url(
    zoom: ZoomEmulator, kendo: KendoEmulator, tmp_path: Path, caplog: Any, capsys: Any
) -> None:
    pipeline = _loaded(zoom, tmp_path)
    calls = _calls(pipeline)
    with_transcript = {u for u, c in calls.items() if c["transcript"]}
    without = set(calls) - with_transcript
    assert with_transcript and without
    # no Zoom client is needed in this mode
    report, _ = _push_logged(
        caplog,
        capsys,
        pipeline=pipeline,
        api_key=kendo.api_key,
        ingest_url=kendo.ingest_url,
        audio_url_mode="none",
    )
    received = kendo.received()
    assert {b["metadata"]["zoomMeetingUuid"] for b in received} == with_transcript
    assert all("audioUrl" not in b for b in received)
    summary = report.summary
    assert sorted(summary.sent) == sorted(with_transcript)
    assert sorted(summary.skipped_no_transcript) == sorted(without)  # type: ignore[attr-defined]
    assert not summary.failed and not summary.pending
    assert summary.counts()["skipped_no_transcript"] == len(without)
    assert set(_ledger(pipeline)) == with_transcript
    # a dry run shows the same bodies
    dry = push_from_config(pipeline, dry_run=True, audio_url_mode="none", resend_changed=True)
    assert all("audioUrl" not in b for b in dry.summary.dry_run_payloads)


# ---- stage -------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict]:
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    import boto3

    boto = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    boto.create_bucket(Bucket="kendo-audio")
    options = {
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
    }
    try:
        yield {"endpoint": endpoint, "boto": boto, "options": options}
    finally:
        server.stop()


def test_stage_mode_on_s3_presigned_urls_and_restaging_is_a_no_op(
    zoom: ZoomEmulator, kendo: KendoEmulator, tmp_path: Path, s3: dict, caplog: Any, capsys: Any
) -> None:
    pipeline = _loaded(zoom, tmp_path)
    calls = _calls(pipeline)
    client = make_client(zoom)
    report, logs = _push_logged(
        caplog,
        capsys,
        pipeline=pipeline,
        api_key=kendo.api_key,
        ingest_url=kendo.ingest_url,
        client=client,
        audio_url_mode="stage",
        stage_bucket_url="s3://kendo-audio/zoom",
        stage_url_ttl=900,
        stage_storage_options=s3["options"],
    )
    summary = report.summary
    assert not summary.failed and not summary.pending, (summary.failed, summary.pending)
    assert sorted(summary.sent) == sorted(calls)
    received = {b["metadata"]["zoomMeetingUuid"]: b for b in kendo.received()}
    with_audio = {u for u, c in calls.items() if c["audio_url"]}
    assert {u for u, b in received.items() if "audioUrl" in b} == with_audio
    ledger = _ledger(pipeline)
    signatures = []
    for uuid in with_audio:
        url = received[uuid]["audioUrl"]
        assert url.startswith(s3["endpoint"] + "/kendo-audio/zoom/")
        signatures.append(_query(url, "X-Amz-Signature"))
        assert _query(url, "X-Amz-Expires") == "900"
        assert ledger[uuid]["audio_url_expires_at"] is not None
    for sig in signatures:
        assert sig not in logs
    assert "X-Amz-Signature=" not in logs and "access_token=" not in logs
    # fetched after the logs were taken: the test's own requests log URLs at DEBUG
    for uuid in with_audio:
        assert _get(received[uuid]["audioUrl"]) == client.download_bytes(calls[uuid]["audio_url"])

    # re-staging the same recordings uploads nothing
    stager = Stager("s3://kendo-audio/zoom", url_ttl=900, storage_options=s3["options"])
    objects = s3["boto"].list_objects_v2(Bucket="kendo-audio", Prefix="zoom/")["Contents"]
    media = {o["Key"]: (o["ETag"], o["LastModified"]) for o in objects if not o["Key"].endswith(".json")}
    assert len(media) == len(with_audio)
    provider = AudioUrlProvider("stage", client=client, stager=stager)
    with pipeline.sql_client() as c:
        rows = c.execute_sql(
            f"SELECT meeting_uuid, audio_url, audio_file_id FROM {c.make_qualified_table_name('calls')}"
            " WHERE audio_url IS NOT NULL"
        )
    for uuid, audio_url, file_id in rows:
        url, expires = provider({"meeting_uuid": uuid, "audio_url": audio_url, "audio_file_id": file_id})
        assert url and expires and _get(url) == client.download_bytes(audio_url)
    assert stager.uploads == 0 and stager.unchanged == len(rows)
    objects = s3["boto"].list_objects_v2(Bucket="kendo-audio", Prefix="zoom/")["Contents"]
    assert {o["Key"]: (o["ETag"], o["LastModified"]) for o in objects if o["Key"] in media} == media


def test_stage_on_a_local_directory_serves_hmac_signed_urls(
    zoom: ZoomEmulator, kendo: KendoEmulator, tmp_path: Path
) -> None:
    pipeline = _loaded(zoom, tmp_path)
    calls = _calls(pipeline)
    client = make_client(zoom)
    stage_dir = tmp_path / "stage"
    stager = Stager(stage_dir.as_uri(), url_ttl=60)
    provider = AudioUrlProvider("stage", client=client, stager=stager)
    try:
        report = push_from_config(
            pipeline, api_key=kendo.api_key, ingest_url=kendo.ingest_url, audio_url_fn=provider
        )
        assert not report.summary.failed and not report.summary.pending
        urls = [b["audioUrl"] for b in kendo.received() if "audioUrl" in b]
        assert len(urls) == sum(1 for c in calls.values() if c["audio_url"]) == stager.uploads
        url = urls[0]
        assert url.startswith("http://127.0.0.1:") and "signature=" in url
        assert _get(url)
        assert requests.get(_tampered_signature(url), timeout=10).status_code == 403
        assert requests.get(re.sub(r"expires=\d+", "expires=9999999999", url), timeout=10).status_code == 403
        assert requests.get(url.split("?")[0], timeout=10).status_code == 403
        assert (
            requests.get(url.replace(urlsplit(url).path, "/../../etc/passwd"), timeout=10).status_code == 403
        )
    finally:
        provider.close()


def _tampered_signature(url: str) -> str:
    """The URL with the first character of its signature changed (always a different signature)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    signature = query["signature"][0]
    wrong = ("1" if signature[0] == "0" else "0") + signature[1:]
    tampered = url.replace(f"signature={signature}", f"signature={wrong}")
    assert tampered != url
    return tampered


# ---- the Zoom emulator's download route ----------------------------------------------------------


def test_zoom_emulator_accepts_download_access_tokens_in_the_query_on_downloads_only(
    zoom: ZoomEmulator,
) -> None:
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {zoom.access_token()}"
    rec = api.get(f"{zoom.api_base}/users/me/recordings", params={"from": START}, timeout=30).json()
    meeting = next(m for m in rec["meetings"] if any(f["file_type"] == "M4A" for f in m["recording_files"]))
    url = next(f["download_url"] for f in meeting["recording_files"] if f["file_type"] == "M4A")
    path = f"{zoom.api_base}/meetings/{encode_uuid(meeting['uuid'])}/recordings"
    params: dict[str, Any] = {"include_fields": "download_access_token", "ttl": 60}
    dat = api.get(path, params=params, timeout=30).json()["download_access_token"]
    expected = api.get(url, timeout=30).content
    assert _get(with_access_token(url, dat)) == expected
    params["ttl"] = 0
    expired = api.get(path, params=params, timeout=30).json()["download_access_token"]
    for bad in (expired, zoom.access_token(), "x.y.z"):
        resp = requests.get(with_access_token(url, bad), timeout=30)
        assert resp.headers["Content-Type"].startswith("text/html")
    # API routes still refuse any token in the query string
    resp = requests.get(path, params={"access_token": dat}, timeout=30)
    assert resp.status_code == 401 and resp.json()["code"] == 124


# ---- settings ----------------------------------------------------------------------------------------


def test_settings_are_validated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(KendoConfigError, match="audio_url_mode"):
        AudioUrlProvider.from_config("zoom_link")
    with pytest.raises(KendoConfigError, match="stage_bucket_url"):
        AudioUrlProvider.from_config("stage", client=object())  # type: ignore[arg-type]
    with pytest.raises(KendoConfigError, match="audio_token_ttl"):
        AudioUrlProvider.from_config("zoom_token", client=object(), token_ttl=604801)  # type: ignore[arg-type]
    with pytest.raises(KendoConfigError, match="Zoom client"):
        AudioUrlProvider("zoom_token")
    # a typo in a number names its setting (it was int()'s bare "invalid literal")
    monkeypatch.setenv("DESTINATION__KENDO__AUDIO_TOKEN_TTL", "1h")
    with pytest.raises(KendoConfigError, match="destination.kendo.audio_token_ttl: '1h'"):
        AudioUrlProvider.from_config("zoom_token", client=object())  # type: ignore[arg-type]
    monkeypatch.delenv("DESTINATION__KENDO__AUDIO_TOKEN_TTL")
    monkeypatch.setenv("DESTINATION__KENDO__STAGE_URL_TTL", "2 days")
    with pytest.raises(KendoConfigError, match="destination.kendo.stage_url_ttl: '2 days'"):
        AudioUrlProvider.from_config("stage", client=object(), stage_bucket_url="file:///x")  # type: ignore[arg-type]
    monkeypatch.setenv("DESTINATION__KENDO__AUDIO_URL_MODE", "stage")
    monkeypatch.setenv("DESTINATION__KENDO__STAGE_BUCKET_URL", (tmp_path / "b").as_uri())
    monkeypatch.setenv("DESTINATION__KENDO__STAGE_URL_TTL", "120")
    provider = AudioUrlProvider.from_config(client=object())  # type: ignore[arg-type]
    assert provider.mode == "stage" and provider.stager is not None and provider.stager.url_ttl == 120
    monkeypatch.setenv("DESTINATION__KENDO__AUDIO_URL_MODE", "none")
    assert not AudioUrlProvider.from_config().sends_audio
    # what a dry run shows: tokens and signatures masked
    shown = redacted_payload({"audioUrl": "https://z/rec/download/x?access_token=SECRET&X-Amz-Signature=SIG"})
    assert "SECRET" not in shown["audioUrl"] and "SIG" not in shown["audioUrl"]
