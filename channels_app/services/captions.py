"""Parse caption files (WebVTT, SRT, YouTube json3, plain transcripts) into segments.

Pure functions, no Django. Whatever the format, the segments that come back have
plain text (no tags, no entities, single spaces), each spoken phrase once (the
rolling repeats of YouTube auto-captions removed), start times that never go
backwards, and end_s >= start_s. A transcript without timing gives segments with
start_s == end_s == 0.0: callers must treat that as "time unknown", not "at 0:00".
"""

from __future__ import annotations

import codecs
import html
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from yoppy import safejson


class CaptionParseError(ValueError):
    """The data cannot be read as captions; str() says why, in words fit for a log or a user."""


@dataclass(frozen=True)
class Segment:
    start_s: float
    end_s: float
    text: str


def parse_captions(data: bytes, *, fmt: str | None = None, filename: str | None = None) -> list[Segment]:
    """Decode and parse a caption file; `fmt` ("vtt", "srt", "json3", "txt") skips detection.

    Detection looks at the content first and at the filename's extension only when
    the content looks like plain text. Raises CaptionParseError, never returns [].
    """
    text = _decode(data)
    if not text.strip():
        raise CaptionParseError(f"{filename or 'The caption file'} is empty.")
    if _looks_binary(text):
        raise CaptionParseError(
            f"{filename or 'The caption file'} looks like binary data, not captions "
            "(or UTF-16 text without a byte-order mark)."
        )
    chosen = (fmt or _sniff_format(text) or _format_from_filename(filename) or "txt").lower()
    if chosen == "xml":
        raise CaptionParseError("XML timedtext captions (srv1/srv3) are not supported: fetch vtt or json3.")
    parser = _PARSERS.get(chosen)
    if parser is None:
        raise CaptionParseError(f"Unknown caption format {chosen!r}: expected vtt, srt, json3 or txt.")
    try:
        return parser(text)
    except CaptionParseError as exc:
        if filename:
            raise CaptionParseError(f"{filename}: {exc}") from None
        raise


def parse_vtt(text: str) -> list[Segment]:
    """Parse WebVTT, including YouTube auto-captions and the 2018 "Kind:/Style:/##" header."""
    # webvtt-py requires "WEBVTT" on the very first line; tolerate blank lines before it.
    text = text.lstrip("\ufeff \t\r\n")
    try:
        captions = webvtt.from_string(text).captions
    except (MalformedFileError, MalformedCaptionError, ValueError) as exc:
        raise CaptionParseError(f"This is not a valid WebVTT file ({exc}).") from None
    if not captions:
        raise CaptionParseError("The WebVTT file has no cues.")
    raw = [
        Segment(
            caption.start_time.in_milliseconds() / 1000,
            caption.end_time.in_milliseconds() / 1000,
            # Raw lines, tags included: _clean needs the line breaks to find rolling repeats.
            "\n".join(caption.lines),
        )
        for caption in captions
    ]
    return _finish(raw, "WebVTT")


_SRT_TIMING = re.compile(
    r"\s*(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})\s*-->\s*(\d+):(\d{1,2}):(\d{1,2})[,.](\d{1,3})"
)


def parse_srt(text: str) -> list[Segment]:
    """Parse SubRip: overlapping cues, CRLF, <i> tags and a missing final blank line are fine."""
    # A small line parser rather than webvtt-py's: a cue starts at its timing line, so a
    # missing blank line or index number between cues does not swallow the next cue.
    cues: list[tuple[float, float, list[str]]] = []
    for line in text.splitlines():
        match = _SRT_TIMING.match(line)
        if match is None:
            if cues:
                cues[-1][2].append(line)
            continue
        if cues and cues[-1][2] and cues[-1][2][-1].strip().isdigit():
            cues[-1][2].pop()  # the index number of the cue that starts here
        g = match.groups()
        cues.append((_clock(*g[0:4]), _clock(*g[4:8]), []))
    if not cues:
        raise CaptionParseError("No SRT cues found (no 'hh:mm:ss,mmm --> hh:mm:ss,mmm' lines).")
    return _finish([Segment(start, end, "\n".join(lines)) for start, end, lines in cues], "SRT")


def parse_json3(text: str) -> list[Segment]:
    """Parse YouTube json3: one segment per event that has text; end = start + duration."""
    try:
        doc = safejson.loads(text)
    except safejson.JSONTooDeep:
        raise CaptionParseError("This JSON is nested far too deeply to be captions.") from None
    except ValueError:
        raise CaptionParseError("This is not valid JSON.") from None
    events = doc.get("events") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise CaptionParseError("This JSON is not YouTube json3 captions (it has no 'events' list).")
    raw = []
    for event in events:
        segs = event.get("segs") if isinstance(event, dict) else None
        if not isinstance(segs, list):
            continue  # window and style events carry no text
        line = "".join(s["utf8"] for s in segs if isinstance(s, dict) and isinstance(s.get("utf8"), str))
        if not line.strip():
            continue  # the "\n" events only scroll the display; their timing does not matter
        start_ms = _json_ms(event.get("tStartMs"))
        if start_ms is None:
            raise CaptionParseError("A json3 event with text has no valid tStartMs.")
        duration_ms = _json_ms(event.get("dDurationMs")) or 0.0
        raw.append(Segment(start_ms / 1000, (start_ms + duration_ms) / 1000, line))
    return _finish(raw, "json3")


# "[5.23 + 3.45] text": start and duration in seconds (youtube-transcript-api style dumps).
_START_PLUS_DURATION = re.compile(r"\[\s*(\d+(?:\.\d+)?)\s*\+\s*(\d+(?:\.\d+)?)\s*\]\s*(.*)")
# "[01:02] text", "(1:02:03) text", "01:02:03 text", "1:02.5 text".
_CLOCK_PREFIX = re.compile(r"[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:\.\d+)?)[\])]?\s+(.*)")
# A line style is used when nearly every line has it; the odd other line continues the text.
_TIMED_SHARE = 0.9
_UNTIMED_MAX_WORDS = 60
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def parse_plain_text(text: str) -> list[Segment]:
    """Parse a transcript: timed lines if nearly all lines carry a time, else untimed sentences.

    "[start + duration] text" lines keep their times; "[mm:ss] text" / "hh:mm:ss text"
    lines end where the next line starts. Untimed text becomes sentence segments
    (at most 60 words) with start_s == end_s == 0.0. No timing is ever guessed.
    """
    # Bare "start duration text" lines are not recognised: "2 000 team value" is speech.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise CaptionParseError("The transcript is empty.")
    for pattern, build in ((_START_PLUS_DURATION, _start_plus_duration), (_CLOCK_PREFIX, _clock_prefix)):
        matches = [pattern.fullmatch(line) for line in lines]
        if sum(m is not None for m in matches) >= _TIMED_SHARE * len(lines):
            return _finish(_timed_lines(lines, matches, build), "transcript")
    return _finish(_untimed_sentences(" ".join(lines)), "transcript")


def _timed_lines(
    lines: list[str],
    matches: list[re.Match[str] | None],
    build: Callable[[re.Match[str]], tuple[float, float | None, str]],
) -> list[Segment]:
    rows: list[tuple[float, float | None, list[str]]] = []
    pending: list[str] = []  # untimed lines before the first timed one
    for line, match in zip(lines, matches, strict=True):
        if match is None:
            (rows[-1][2] if rows else pending).append(line)
            continue
        start, end, first_line = build(match)
        rows.append((start, end, [*pending, first_line]))
        pending = []
    segments = []
    for i, (start, end, texts) in enumerate(rows):
        if end is None:  # a "[mm:ss]" line lasts until the next line starts
            end = rows[i + 1][0] if i + 1 < len(rows) else start
        segments.append(Segment(start, end, "\n".join(texts)))
    return segments


def _start_plus_duration(match: re.Match[str]) -> tuple[float, float | None, str]:
    start = float(match[1])
    return start, start + float(match[2]), match[3]


def _clock_prefix(match: re.Match[str]) -> tuple[float, float | None, str]:
    *hm, seconds = match[1].split(":")
    start = float(seconds) + sum(int(part) * 60 ** (len(hm) - i) for i, part in enumerate(hm))
    return start, None, match[2]


def _untimed_sentences(text: str) -> Iterable[Segment]:
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        # Cap the size so unpunctuated text still gives the chunker pieces to work with.
        for i in range(0, len(words), _UNTIMED_MAX_WORDS):
            yield Segment(0.0, 0.0, " ".join(words[i : i + _UNTIMED_MAX_WORDS]))


_PARSERS: dict[str, Callable[[str], list[Segment]]] = {
    "vtt": parse_vtt,
    "srt": parse_srt,
    "json3": parse_json3,
    "json": parse_json3,
    "txt": parse_plain_text,
    "text": parse_plain_text,
}

# Tags that start with a letter (<c>, <c.colorE5E5E5>, <i>, </c>, <v Bob>) or a
# timestamp (<00:00:01.234>). A "<" followed by a space or "3" is text ("x < 3", "<3").
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d+(?::\d+)*(?:\.\d+)?>")


def _clean(segments: Iterable[Segment]) -> list[Segment]:
    """Return plain-text segments, each phrase once, start times non-decreasing, end >= start.

    Expects raw segments whose text keeps the cue's line breaks.
    """
    out: list[Segment] = []
    previous_lines: list[str] = []  # cleaned lines of the previous cue with text, repeats included
    last_start = 0.0
    for segment in segments:
        lines = [clean for clean in map(_clean_line, segment.text.splitlines()) if clean]
        if not lines:
            continue
        new_words = _words_not_repeated(previous_lines, lines)
        previous_lines = lines
        start = max(segment.start_s, last_start)
        end = max(segment.end_s, start)
        if not new_words:
            # A pure repeat (YouTube's 10 ms "freeze" cues): its time belongs to the phrase shown.
            if out and end > out[-1].end_s:
                out[-1] = replace(out[-1], end_s=end)
            continue
        out.append(Segment(start, end, " ".join(new_words)))
        last_start = start
    return out


def _clean_line(line: str) -> str:
    # Tags first, then entities: "&lt;i&gt;" is text that reads "<i>", not a tag.
    return " ".join(html.unescape(_TAG.sub("", line)).split())


def _words_not_repeated(previous_lines: list[str], lines: list[str]) -> list[str]:
    """Drop the words of `lines` that repeat the end of the previous cue.

    Rolling captions repeat whole lines: a cue starts with the last line(s) of the
    one before (YouTube auto VTT), or with all of its words ("hello" -> "hello
    world"). Only whole trailing lines count, never a lone trailing word: real
    speech repeats words across cue boundaries ("coming from very / very far away").
    """
    words = " ".join(lines).split()
    for k in range(len(previous_lines), 0, -1):
        tail = " ".join(previous_lines[-k:]).split()
        if words[: len(tail)] == tail:
            return words[len(tail) :]
    return words


def _finish(raw: Iterable[Segment], label: str) -> list[Segment]:
    segments = _clean(raw)
    if not segments:
        raise CaptionParseError(f"The {label} file has no caption text.")
    return segments


def _decode(data: bytes) -> str:
    """Decode UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 (old .srt files)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _looks_binary(text: str) -> bool:
    sample = text[:20_000]
    if "\x00" in sample:
        return True
    junk = sum(1 for ch in sample if ch == "\ufffd" or (ch < " " and ch not in "\t\n\r\f"))
    return junk > 0.02 * len(sample)


_SRT_START = re.compile(r"^[ \t]*\d+[ \t]*\r?\n[ \t]*\d+:\d{1,2}:\d{1,2}[,.]\d{1,3}[ \t]*-->", re.MULTILINE)


def _sniff_format(text: str) -> str | None:
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith(("<?xml", "<transcript", "<timedtext")):
        return "xml"
    if head.startswith(("{", "[")):
        try:
            safejson.loads(head)
        except safejson.JSONTooDeep:
            return "json3"  # JSON all the same: parse_json3 says what is wrong with it
        except ValueError:
            pass  # e.g. "[5.23 + 3.45] text" transcripts also start with "["
        else:
            return "json3"
    if _SRT_START.search(head[:2000]):
        return "srt"
    return None


def _format_from_filename(filename: str | None) -> str | None:
    extension = PurePosixPath(filename or "").suffix.lower().lstrip(".")
    return extension if extension in ("vtt", "srt", "json3") else None


def _clock(hours: str, minutes: str, seconds: str, millis: str) -> float:
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


def _json_ms(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)
