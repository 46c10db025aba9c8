from __future__ import annotations

import codecs
import difflib
import json
import os
import re
from pathlib import Path

import pytest
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from channels_app.services.captions import (
    CaptionParseError,
    Segment,
    parse_captions,
    parse_json3,
    parse_plain_text,
    parse_srt,
    parse_vtt,
)

DATA = Path(__file__).parent / "data"
REALDATA = Path(
    os.environ.get("YOPPY_REALDATA") or Path(__file__).resolve().parents[3] / "shared" / "realdata"
)
REAL_CAPTIONS = REALDATA / "captions"
needs_realdata = pytest.mark.skipif(not REAL_CAPTIONS.is_dir(), reason=f"no real captions at {REAL_CAPTIONS}")


def parse_file(name: str, **kwargs) -> list[Segment]:
    return parse_captions((DATA / name).read_bytes(), filename=name, **kwargs)


def words_of(segments: list[Segment]) -> list[str]:
    return " ".join(s.text for s in segments).split()


def assert_times_are_sane(segments: list[Segment]) -> None:
    for previous, segment in zip(segments, segments[1:], strict=False):
        assert segment.start_s >= previous.start_s
    for segment in segments:
        assert segment.end_s >= segment.start_s >= 0


def rolling_repeat_share(words: list[str], size: int = 8, within: int = 50) -> float:
    """Share of `size`-word windows that already appeared in the previous `within` words.

    Real speech repeats a phrase now and then (at most 0.1% of windows in the real
    files); a parse that keeps YouTube's rolling lines shows every line two or three
    times (about 33% of windows). Windows with fewer than 4 distinct words ("no no no ...") are skipped.
    """
    last_seen: dict[tuple[str, ...], int] = {}
    windows = repeats = 0
    for i in range(len(words) - size + 1):
        window = tuple(w.lower().strip(".,!?") for w in words[i : i + size])
        if len(set(window)) < 4:
            continue
        windows += 1
        if i - last_seen.get(window, -within - 1) <= within:
            repeats += 1
        last_seen[window] = i
    return repeats / max(windows, 1)


def similarity(a: list[str], b: list[str]) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


# --- WebVTT ------------------------------------------------------------------


def test_it_keeps_each_phrase_of_rolling_auto_captions_once():
    segments = parse_file("rolling_auto.en.vtt")

    assert [s.text for s in segments] == [
        "welcome back to the garden",
        "today we plant tomatoes and basil",
        "side by side because they help",
        "each other grow",
    ]
    # The 10 ms repeat cues extend the phrase they repeat instead of adding a segment.
    assert (segments[0].start_s, segments[0].end_s) == (0.4, 2.76)
    assert (segments[-1].start_s, segments[-1].end_s) == (7.41, 9.0)
    assert_times_are_sane(segments)


def test_it_reads_the_2018_youtube_header_and_color_tags():
    segments = parse_file("old_header_2018.en.vtt")

    assert words_of(segments) == ["so", "my", "name", "is", "Ada", "and", "I", "build", "engines"]
    assert not any("<" in s.text or "cue" in s.text or "##" in s.text for s in segments)


def test_it_unescapes_entities_strips_tags_and_skips_note_and_style_blocks():
    segments = parse_file("entities_and_blocks.vtt")

    assert [s.text for s in segments] == [
        "[Music]",
        "Salt & pepper, always > nothing",
        "Café <3 — done",
    ]
    assert segments[1].start_s == 2.0


def test_it_tolerates_blank_lines_before_the_webvtt_header():
    assert parse_vtt("\n\nWEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhi there\n") == [
        Segment(1.0, 2.0, "hi there")
    ]


def test_it_keeps_a_word_repeated_across_a_cue_boundary():
    text = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\ncoming from very\n\n00:00:02.000 --> 00:00:03.000\nvery far away\n"

    assert words_of(parse_vtt(text)) == ["coming", "from", "very", "very", "far", "away"]


def test_it_drops_the_repeated_words_of_single_line_rolling_cues():
    text = (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n\n"
        "00:00:02.000 --> 00:00:03.000\nhello world\n\n"
        "00:00:03.000 --> 00:00:04.000\nhello world how are you\n"
    )

    assert [(s.start_s, s.text) for s in parse_vtt(text)] == [
        (1.0, "hello"),
        (2.0, "world"),
        (3.0, "how are you"),
    ]


# --- SRT -------------------------------------------------------------------------


def test_it_parses_srt_with_crlf_overlaps_tags_repeats_and_no_final_newline():
    segments = parse_file("overlapping_crlf.srt")

    assert segments == [
        Segment(1.0, 4.0, "First line of the story"),
        # Starts before the first cue ends; its exact repeat (cue 3) only extends its end.
        Segment(3.5, 8.0, "second cue starts early"),
        Segment(8.0, 10.25, "the end"),
    ]


def test_it_decodes_windows_1252_srt():
    segments = parse_file("windows_1252.srt")

    assert [s.text for s in segments] == ["Café crème, c’est bon.", "À bientôt – merci"]


def test_it_decodes_utf8_with_bom_and_utf16_with_bom():
    srt = "1\n00:00:01,000 --> 00:00:02,000\nnaïve café\n"
    expected = [Segment(1.0, 2.0, "naïve café")]

    assert parse_captions(srt.encode("utf-8-sig")) == expected
    assert parse_captions(codecs.BOM_UTF16_LE + srt.encode("utf-16-le")) == expected
    assert parse_captions(codecs.BOM_UTF16_BE + srt.encode("utf-16-be")) == expected


def test_it_clamps_a_cue_that_starts_before_the_previous_one():
    srt = "1\n00:00:05,000 --> 00:00:06,000\nlater\n\n2\n00:00:02,000 --> 00:00:01,000\nearlier\n"

    assert parse_srt(srt) == [Segment(5.0, 6.0, "later"), Segment(5.0, 5.0, "earlier")]


def test_it_reads_srt_cues_without_blank_lines_between_them():
    srt = "1\n00:00:01,000 --> 00:00:02,000\none\n2\n00:00:02,000 --> 00:00:03,000\ntwo"

    assert parse_srt(srt) == [Segment(1.0, 2.0, "one"), Segment(2.0, 3.0, "two")]


# --- json3 -----------------------------------------------------------------------


def test_it_parses_json3_events_and_skips_line_break_events():
    segments = parse_file("auto.en.json3")

    assert segments == [
        Segment(0.16, 4.48, "Dashboards are a staple"),
        Segment(2.24, 5.68, "of design & data"),
        Segment(4.48, 5.48, "[music]"),
    ]


def test_it_ignores_the_timing_of_json3_events_without_words():
    doc = {"events": [{"segs": [{"utf8": "\n"}]}, {"tStartMs": 1500, "segs": [{"utf8": "hi"}]}]}

    assert parse_json3(json.dumps(doc)) == [Segment(1.5, 1.5, "hi")]


# --- plain text ------------------------------------------------------------------


def test_it_reads_start_plus_duration_transcripts():
    segments = parse_file("transcript_start_plus_duration.txt")

    assert segments[:2] == [Segment(0.5, 2.5, "[Music]"), Segment(2.5, 5.75, "hello and welcome to the")]
    assert segments[-1] == Segment(7.75, 9.25, "we sharpen chisels")


def test_it_reads_clock_prefixed_transcripts_and_ends_each_line_at_the_next():
    segments = parse_file("transcript_clock.txt")

    assert segments == [
        Segment(5.0, 12.0, "First we open the hood."),
        Segment(12.0, 3723.0, "Then we check the oil."),
        Segment(3723.0, 3723.0, "Much later, the engine runs."),
    ]


def test_it_gives_untimed_text_sentence_segments_with_no_invented_times():
    segments = parse_file("transcript_plain.txt")

    assert [s.text for s in segments] == [
        "This transcript has no timing at all.",
        "It was typed by hand!",
        "Does it still work?",
        "It should, with every time set to zero.",
    ]
    assert {(s.start_s, s.end_s) for s in segments} == {(0.0, 0.0)}


def test_it_cuts_unpunctuated_untimed_text_into_pieces_of_at_most_60_words():
    segments = parse_plain_text(" ".join(f"w{i}" for i in range(130)))

    assert [len(s.text.split()) for s in segments] == [60, 60, 10]


def test_it_treats_numbers_and_a_stray_time_at_line_starts_as_speech():
    text = "2 000 team value is a lot\nwe kicked off at\n10:30 in the morning\nand nothing more"

    assert {(s.start_s, s.end_s) for s in parse_plain_text(text)} == {(0.0, 0.0)}


# --- detection and errors -------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected_first_text"),
    [
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nvtt text\n", "vtt text"),
        (b"1\n00:00:01,000 --> 00:00:02,000\nsrt text\n", "srt text"),
        (
            b'{"events": [{"tStartMs": 1000, "dDurationMs": 500, "segs": [{"utf8": "json text"}]}]}',
            "json text",
        ),
        (b"[1.0 + 2.0] timed text\n[3.0 + 1.0] more\n", "timed text"),
        (b"just words.", "just words."),
    ],
)
def test_it_detects_the_format_from_the_content(data, expected_first_text):
    assert parse_captions(data)[0].text == expected_first_text


def test_an_explicit_format_overrides_detection():
    data = b"1\n00:00:01,000 --> 00:00:02,000\nsrt text\n"

    assert parse_captions(data, fmt="txt")[0].start_s == 0.0


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (b"", {}, "empty"),
        (b"  \r\n\t ", {}, "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", {}, "binary"),
        (bytes(range(1, 256)) * 4, {}, "binary"),  # control characters, no NUL
        (b"WEBVTT\nKind: captions\n\nNOTE only a note\n", {}, "no cues"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<c> </c>&nbsp;\n", {}, "no caption text"),
        (b"hello there", {"fmt": "vtt"}, "not a valid WebVTT"),
        (b"hello there", {"filename": "talk.vtt"}, "talk.vtt"),
        (b'{"wireMagic": "pb3"}', {}, "not YouTube json3"),
        (b'[["sentence", 0.0, 1.0]]', {}, "not YouTube json3"),
        (b'{"events": [{"segs": [{"utf8": "no start"}]}]}', {}, "tStartMs"),
        (b"{not json", {"fmt": "json3"}, "not valid JSON"),
        (b"no cues here", {"fmt": "srt"}, "No SRT cues"),
        (b"1\n00:00:01,000 --> 00:00:02,000\n\n", {}, "no caption text"),
        (b'<?xml version="1.0"?><transcript><text start="0">hi</text></transcript>', {}, "XML"),
        (b"hello", {"fmt": "docx"}, "Unknown caption format"),
    ],
)
def test_it_raises_a_clear_error_for_files_it_cannot_read(data, kwargs, message):
    with pytest.raises(CaptionParseError, match=message):
        parse_captions(data, **kwargs)


def test_its_error_is_a_value_error():
    assert issubclass(CaptionParseError, ValueError)


@settings(max_examples=300)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode()),
        st.lists(
            st.sampled_from(
                [
                    "WEBVTT",
                    "\n",
                    "\n\n",
                    "1",
                    "00:00:01.000 --> 00:00:02.000",
                    "00:00:01,000 --> 0:0:2,5",
                    " ",
                    "<c>",
                    "</c>",
                    "&amp;",
                    "NOTE",
                    "STYLE",
                    "{",
                    "}",
                    '"events"',
                    "[",
                    "]",
                    "+",
                    "99:99:99.999",
                    "-->",
                    "word",
                    "é",
                    "\r\n",
                ]
            ),
            max_size=30,
        ).map(lambda parts: "".join(parts).encode()),
    )
)
def test_any_bytes_give_segments_or_a_caption_parse_error(data):
    try:
        segments = parse_captions(data)
    except CaptionParseError as exc:
        assert str(exc)
    else:
        assert segments
        assert all(s.text and s.text == " ".join(s.text.split()) for s in segments)
        assert_times_are_sane(segments)


# --- real captions (skipped when ../shared/realdata is absent) --------------------

REAL_SUFFIXES = {".vtt", ".srt", ".json3"}


def real_caption_files() -> list[Path]:
    if not REAL_CAPTIONS.is_dir():
        return []
    files = [p for p in REAL_CAPTIONS.rglob("*") if p.suffix in REAL_SUFFIXES]
    files += sorted((REAL_CAPTIONS / "transcript_txt").glob("*.txt"))
    files += sorted(REAL_CAPTIONS.glob("3b1b_manual/*/transcript.txt"))
    return sorted(files)


def auto_vtt_files() -> list[Path]:
    return sorted((REAL_CAPTIONS / "youtube_auto_vtt").glob("*.vtt")) if REAL_CAPTIONS.is_dir() else []


@needs_realdata
def test_the_real_data_has_the_files_these_tests_expect():
    assert len(real_caption_files()) >= 25
    assert len(auto_vtt_files()) >= 10


@needs_realdata
@pytest.mark.parametrize("path", real_caption_files(), ids=lambda p: p.name)
def test_it_parses_every_real_caption_file(path):
    segments = parse_captions(path.read_bytes(), filename=path.name)

    assert segments
    assert all(s.text == " ".join(s.text.split()) and "<" not in s.text.replace("<3", "") for s in segments)
    assert_times_are_sane(segments)


@needs_realdata
@pytest.mark.parametrize("path", auto_vtt_files(), ids=lambda p: p.name)
def test_real_auto_captions_say_each_phrase_once(path):
    raw = path.read_text(encoding="utf-8")
    words = words_of(parse_vtt(raw))
    naive = " ".join(caption.text for caption in webvtt.from_string(raw).captions).split()
    # YouTube marks the newly spoken words of a cue with <hh:mm:ss.mmm> tags; those lines
    # alone are an independent reference for "each phrase once".
    timed = re.compile(r"<\d\d:\d\d:\d\d\.\d{3}>")
    reference = " ".join(
        re.sub(r"<[^>]*>", "", line) for line in raw.splitlines() if timed.search(line)
    ).split()

    assert rolling_repeat_share(naive) > 0.2  # the check catches the rolling-duplicate bug (~0.33)...
    assert rolling_repeat_share(words) < 0.01  # ...and real speech passes it (at most 0.001)
    assert similarity(words, reference) >= 0.98


@needs_realdata
def test_the_real_vtt_and_its_ytdlp_srt_give_the_same_words():
    vtt = parse_captions(
        (REAL_CAPTIONS / "youtube_auto_vtt/sean_agent_team_vs_swarm.WuOlqBsDg-w.en.vtt").read_bytes()
    )
    srt = parse_captions(
        (REAL_CAPTIONS / "srt/sean_agent_team_vs_swarm.WuOlqBsDg-w.ytdlp_converted_auto.en.srt").read_bytes()
    )

    assert similarity(words_of(vtt), words_of(srt)) >= 0.95
    # Start times agree too: the first word of each SRT cue starts at a VTT segment.
    vtt_starts = {round(s.start_s, 2) for s in vtt}
    assert sum(round(s.start_s, 2) in vtt_starts for s in srt) >= 0.95 * len(srt)


@needs_realdata
def test_the_french_srt_reads_the_same_in_utf8_and_windows_1252():
    utf8 = parse_captions((REAL_CAPTIONS / "srt/pysrt_movie_fr.utf-8.srt").read_bytes())
    cp1252 = parse_captions((REAL_CAPTIONS / "srt/pysrt_movie_fr.windows-1252.srt").read_bytes())

    assert utf8 == cp1252
    assert "ÉVÉNEMENTS" in utf8[1].text


@needs_realdata
@pytest.mark.parametrize(
    "path", sorted(REAL_CAPTIONS.glob("3b1b_manual/*/captions.srt")), ids=lambda p: p.parent.name
)
def test_the_3b1b_srt_files_parse_and_keep_their_text(path):
    segments = parse_captions(path.read_bytes())
    cue_texts = [
        " ".join(block.splitlines()[2:]) for block in path.read_text(encoding="utf-8").strip().split("\n\n")
    ]

    # Manual captions have no rolling repeats: (almost) every word stays.
    assert similarity(words_of(segments), " ".join(cue_texts).split()) >= 0.99


@needs_realdata
def test_the_real_json3_keeps_every_spoken_word():
    path = REAL_CAPTIONS / "json3_srv3/aivants_dashboards_8min_auto.en.json3"
    events = json.loads(path.read_text(encoding="utf-8"))["events"]
    reference = "".join(seg.get("utf8", "") for e in events for seg in e.get("segs", [])).split()

    assert words_of(parse_json3(path.read_text(encoding="utf-8"))) == reference


@pytest.mark.parametrize("depth", [100, 900, 100_000])
def test_a_json_file_nested_far_too_deeply_is_a_clear_caption_error_not_a_crash(depth):
    nested = ('{"events":' + "[" * depth + "]" * depth + "}").encode()
    for kwargs in ({}, {"fmt": "json3"}, {"filename": "captions.json3"}):
        with pytest.raises(CaptionParseError, match="nested far too deeply"):
            parse_captions(nested, **kwargs)


def test_json3_at_its_real_depth_still_parses():
    doc = {"events": [{"tStartMs": 0, "dDurationMs": 1500, "segs": [{"utf8": "Hello there"}]}]}
    assert [s.text for s in parse_json3(json.dumps(doc))] == ["Hello there"]
