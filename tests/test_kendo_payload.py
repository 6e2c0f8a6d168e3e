"""The calls row → Kendo body mapping (destinations/kendo/payload.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kendo_helpers import call_row

from destinations.kendo.payload import build_payload, payload_hash, redact_url, redacted_payload


def test_full_row_maps_to_every_kendo_field() -> None:
    row = call_row(1)
    assert build_payload(row) == {
        "callTitle": "Demo 1",
        "repName": "Rep 1",
        "repEmail": "rep1@yourco.com",
        "callDate": "2026-03-04T15:00:00Z",
        "duration": 31,
        "audioUrl": "https://zoom.example/rec/download/1.m4a",
        "transcript": "Rep: Hello 1\nCustomer: Hi",
        "metadata": {"source": "zoom", "zoomMeetingUuid": "uuid-001/x==", "zoomMeetingId": "987654001"},
    }


def test_missing_transcript_and_null_optionals_are_left_out() -> None:
    row = call_row(2, transcript=False, rep_name=None, rep_email=None)
    payload = build_payload(row)
    assert "transcript" not in payload and "repName" not in payload and "repEmail" not in payload
    assert payload["audioUrl"] == "https://zoom.example/rec/download/2.m4a"
    assert "audioUrl" not in build_payload(call_row(3, audio=False))
    assert "transcript" not in build_payload(call_row(4, transcript=False) | {"transcript": ""})


def test_call_date_is_utc_with_z_from_any_timestamp_form() -> None:
    plus_two = timezone(timedelta(hours=2))
    for value in (
        datetime(2026, 3, 4, 16, 0, 0, 123, tzinfo=plus_two),
        datetime(2026, 3, 4, 14, 0),  # naive: the warehouse stores UTC
        "2026-03-04T14:00:00Z",
        "2026-03-04T15:00:00+01:00",
    ):
        assert build_payload(call_row(1, call_date=value))["callDate"] == "2026-03-04T14:00:00Z"


def test_meeting_id_is_a_string_and_duration_a_number_of_minutes() -> None:
    payload = build_payload(call_row(1, meeting_id=85012345678, duration_minutes=42))
    assert payload["metadata"]["zoomMeetingId"] == "85012345678"
    assert payload["duration"] == 42 and isinstance(payload["duration"], int)
    assert build_payload(call_row(1, duration_minutes=None)).get("duration") is None


def test_audio_url_override() -> None:
    assert (
        build_payload(call_row(1), audio_url="https://s3/x.m4a?sig=1")["audioUrl"] == "https://s3/x.m4a?sig=1"
    )


def test_payload_hash_ignores_url_tokens_but_not_content() -> None:
    a = build_payload(call_row(1, audio_url="https://zoom.example/rec/1.m4a?access_token=AAA"))
    b = build_payload(call_row(1, audio_url="https://zoom.example/rec/1.m4a?access_token=BBB"))
    assert payload_hash(a) == payload_hash(b)
    assert payload_hash(a) != payload_hash(build_payload(call_row(1, transcript=False)))
    assert payload_hash(a) != payload_hash(build_payload(call_row(1, title="Renamed")))


def test_redaction_masks_query_values() -> None:
    url = "https://zoom.example/rec/1.m4a?access_token=SECRET&type=m4a"
    assert redact_url(url) == "https://zoom.example/rec/1.m4a?access_token=***&type=***"
    assert redact_url("https://zoom.example/rec/1.m4a") == "https://zoom.example/rec/1.m4a"
    shown = redacted_payload(build_payload(call_row(1, audio_url=url)))
    assert "SECRET" not in str(shown)
