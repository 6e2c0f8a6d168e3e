"""Zoom TRANSCRIPT and CC files: samples in tests/samples parse into exactly these cues and rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from sources.zoom.file_errors import FileParseError
from sources.zoom.transcripts import (
    Cue,
    caption_rows,
    clean_transcript,
    cues_to_vtt,
    parse_captions,
    parse_vtt,
    transcript_rows,
    transcript_stats,
    transcript_summary_row,
)

SAMPLES = Path(__file__).parent / "samples"

TRANSCRIPT_CUES = [
    Cue(1, 1020, 4500, "Samson Zhang", "gotcha gotcha okay and going back to the pricing"),
    Cue(2, 4980, 7110, "Yuki Wang", "it's really."),
    Cue(3, 8000, 12340, None, "thanks everyone for joining, the dial-in user is not identified"),
    Cue(
        4,
        12500,
        62000,
        "José Müller-Ångström",
        "so the plan is\nfirst we ship the parser\nand then the source",
    ),
    Cue(5, 62500, 65000, "Zoë 🚀 (she/her)", "the link is https://example.com/a: check it"),
    Cue(6, 65250, 66000, None, "At 10:30: we meet again"),
    Cue(7, 66000, 3723004, "Samson Zhang", "ok & bye"),
]

CLEAN_TRANSCRIPT = "\n".join(
    [
        "Samson Zhang: gotcha gotcha okay and going back to the pricing",
        "Yuki Wang: it's really.",
        "thanks everyone for joining, the dial-in user is not identified",
        "José Müller-Ångström: so the plan is first we ship the parser and then the source",
        "Zoë 🚀 (she/her): the link is https://example.com/a: check it",
        "At 10:30: we meet again",
        "Samson Zhang: ok & bye",
    ]
)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def test_zoom_transcript_parses_speakers_multiline_cues_and_unicode_names():
    assert parse_vtt(sample("transcript.vtt")) == TRANSCRIPT_CUES


def test_text_input_parses_like_bytes():
    assert parse_vtt(sample("transcript.vtt").decode("utf-8")) == TRANSCRIPT_CUES


def test_clean_transcript_is_one_speaker_line_per_cue_without_numbers_or_times():
    assert clean_transcript(TRANSCRIPT_CUES) == CLEAN_TRANSCRIPT


def test_clean_transcript_keeps_consecutive_cues_of_one_speaker_apart_and_skips_empty_ones():
    cues = [Cue(1, 0, 1, "Ana", "one"), Cue(2, 1, 2, "Ana", "two"), Cue(3, 2, 3, None, " \n ")]
    assert clean_transcript(cues) == "Ana: one\nAna: two"
    assert clean_transcript([]) == ""


@pytest.mark.parametrize(
    "name",
    ["transcript_utf8_bom_crlf.vtt", "transcript_utf16le_bom.vtt"],
)
def test_bom_crlf_and_utf16_files_parse_like_the_utf8_file(name):
    assert parse_vtt(sample(name)) == TRANSCRIPT_CUES


def test_cp1252_file_is_decoded_by_fallback():
    assert parse_vtt(sample("transcript_cp1252.vtt")) == [
        Cue(1, 1000, 2500, "José Müller", "naïve café – “quoted” €5"),
        Cue(2, 3000, 4000, "François", "très bien"),
    ]


def test_bomless_utf16_is_recognised():
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nAna: hi\n"
    expected = [Cue(1, 1000, 2000, "Ana", "hi")]
    assert parse_vtt(text.encode("utf-16-le")) == expected
    assert parse_vtt(text.encode("utf-16-be")) == expected


def test_truncated_download_keeps_the_complete_cues_and_drops_the_fragment():
    assert parse_vtt(sample("transcript_truncated.vtt")) == [
        Cue(1, 1000, 3000, "Ana", "first cue"),
        Cue(2, 3500, 5000, "Ben", "second cue"),
    ]


def test_last_cue_cut_after_its_timing_line_is_dropped():
    text = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nAna: first\n\n2\n00:00:03.000 --> 00:00:04.000\n"
    assert parse_vtt(text) == [Cue(1, 1000, 3000, "Ana", "first")]


@pytest.mark.parametrize(
    "name, reason",
    [
        ("empty.vtt", "empty file"),
        ("blank.txt", "empty file"),
        ("garbage.bin", "not a text file (binary data)"),
        ("transcript_no_header.vtt", "no WEBVTT header (first line '1')"),
        ("transcript_bad_timing.vtt", "cue 2: bad timing line '00:00:03.500 -> 00:00:05.000'"),
        (
            "transcript_only_fragment.vtt",
            "truncated cue: '1' has no complete timing line or text",
        ),
    ],
)
def test_unusable_transcripts_raise_file_parse_error_with_reason(name, reason):
    with pytest.raises(FileParseError) as raised:
        parse_vtt(sample(name))
    assert raised.value.reason == reason
    assert str(raised.value) == reason
    assert isinstance(raised.value, ValueError)


def test_header_only_file_is_a_transcript_with_no_cues():
    assert parse_vtt(sample("transcript_header_only.vtt")) == []


def test_cues_without_ids_or_with_repeated_ids_are_numbered_by_position():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nAna: a\n\n"
        "7\n00:00:02.000 --> 00:00:03.000\nBen: b\n\n"
        "7\n00:00:03.000 --> 00:00:04.000\nAna: c\n"
    )
    assert [cue.sequence for cue in parse_vtt(text)] == [1, 2, 3]


def test_missing_blank_line_between_cues_is_tolerated():
    text = "WEBVTT\n1\n00:00:01.000 --> 00:00:02.000\nAna: a\n2\n00:00:02.000 --> 00:00:03.000\nBen: b\n"
    assert parse_vtt(text) == [Cue(1, 1000, 2000, "Ana", "a"), Cue(2, 2000, 3000, "Ben", "b")]


def test_speaker_rule_rejects_numbers_and_long_sentences():
    text = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n2024: a good year\n\n"
        "2\n00:00:02.000 --> 00:00:03.000\none two three four five six seven eight nine ten eleven: no\n\n"
        "3\n00:00:03.000 --> 00:00:04.000\n<v.loud Ana Gómez>hello: there</v>\n"
    )
    assert parse_vtt(text) == [
        Cue(1, 1000, 2000, None, "2024: a good year"),
        Cue(2, 2000, 3000, None, "one two three four five six seven eight nine ten eleven: no"),
        Cue(3, 3000, 4000, "Ana Gómez", "hello: there"),
    ]


def test_cues_to_vtt_writes_zoom_style_and_reads_back():
    vtt = cues_to_vtt(TRANSCRIPT_CUES[:2] + [TRANSCRIPT_CUES[6]])
    assert vtt == (
        "WEBVTT\n\n"
        "1\n00:00:01.020 --> 00:00:04.500\nSamson Zhang: gotcha gotcha okay and going back to the pricing\n\n"
        "2\n00:00:04.980 --> 00:00:07.110\nYuki Wang: it's really.\n\n"
        "7\n00:01:06.000 --> 01:02:03.004\nSamson Zhang: ok &amp; bye\n"
    )
    assert parse_vtt(cues_to_vtt(TRANSCRIPT_CUES)) == TRANSCRIPT_CUES


def test_transcript_stats_counts_distinct_speakers_and_words():
    assert transcript_stats(TRANSCRIPT_CUES) == {
        "speaker_count": 4,
        "word_count": 48,
        "segment_count": 7,
        "language": None,
    }
    assert transcript_stats(TRANSCRIPT_CUES, language="en")["language"] == "en"


def test_caption_vtt_with_metadata_settings_short_times_and_voice_tag():
    assert parse_captions(sample("captions.vtt")) == [
        Cue(1, 10000, 16000, None, "Here is a caption"),
        Cue(2, 16500, 19250, None, "and a second one\non two lines"),
        Cue(3, 20000, 21500, "Maria Lopez", "short cue"),
    ]


def test_plain_text_captions_are_one_cue_per_line_at_offset_zero():
    assert parse_captions(sample("captions_plain.txt")) == [
        Cue(1, 0, 0, None, "Welcome to the webinar."),
        Cue(2, 0, 0, "CAPTIONER", "We will begin shortly."),
        Cue(3, 0, 0, None, "Thank you for waiting."),
    ]


def test_headerless_caption_vtt_is_read_as_vtt():
    assert parse_captions(sample("transcript_no_header.vtt")) == [Cue(1, 1000, 3000, "Ana", "no header")]


@pytest.mark.parametrize(
    "name, reason",
    [("empty.vtt", "empty file"), ("garbage.bin", "not a text file (binary data)")],
)
def test_unusable_captions_raise_file_parse_error(name, reason):
    with pytest.raises(FileParseError) as raised:
        parse_captions(sample(name))
    assert raised.value.reason == reason


def test_transcript_rows_are_segments_with_absolute_utc_start_times():
    start = datetime(2024, 5, 6, 9, 30, tzinfo=timezone(timedelta(hours=2)))
    rows = transcript_rows(TRANSCRIPT_CUES[:2], "abc==", start)
    assert rows == [
        {
            "meeting_uuid": "abc==",
            "sequence": 1,
            "start_ms": 1020,
            "end_ms": 4500,
            "start_time": datetime(2024, 5, 6, 7, 30, 1, 20000, tzinfo=UTC),
            "speaker": "Samson Zhang",
            "text": "gotcha gotcha okay and going back to the pricing",
        },
        {
            "meeting_uuid": "abc==",
            "sequence": 2,
            "start_ms": 4980,
            "end_ms": 7110,
            "start_time": datetime(2024, 5, 6, 7, 30, 4, 980000, tzinfo=UTC),
            "speaker": "Yuki Wang",
            "text": "it's really.",
        },
    ]
    assert rows[0]["start_time"].tzinfo is UTC


def test_transcript_summary_row():
    assert transcript_summary_row(TRANSCRIPT_CUES, "abc==") == {
        "meeting_uuid": "abc==",
        "text": CLEAN_TRANSCRIPT,
        "speaker_count": 4,
        "word_count": 48,
        "language": None,
        "segment_count": 7,
    }


def test_caption_rows_treat_naive_start_as_utc():
    cues = parse_captions(sample("captions.vtt"))
    rows = caption_rows(cues, "m1", datetime(2024, 1, 1, 12, 0))
    assert [(r["sequence"], r["start_time"], r["speaker"], r["text"]) for r in rows] == [
        (1, datetime(2024, 1, 1, 12, 0, 10, tzinfo=UTC), None, "Here is a caption"),
        (2, datetime(2024, 1, 1, 12, 0, 16, 500000, tzinfo=UTC), None, "and a second one\non two lines"),
        (3, datetime(2024, 1, 1, 12, 0, 20, tzinfo=UTC), "Maria Lopez", "short cue"),
    ]


def test_caption_markup_is_removed_and_entities_decoded():
    text = (
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n"
        "Ana: <c.yellow>hi</c>&nbsp;there <b>&lt;3</b> <00:00:01.500>R&amp;D\n"
    )
    assert parse_vtt(text) == [Cue(1, 1000, 2000, "Ana", "hi there <3 R&D")]
