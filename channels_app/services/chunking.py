"""Group caption segments into overlapping chunks of about 200 words for embedding.

Pure functions, no Django. A chunk is always a run of whole segments, so every
chunk can cite the exact time its first segment starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels_app.services.captions import Segment


@dataclass(frozen=True)
class Chunk:
    position: int
    start_s: float
    end_s: float
    text: str
    embed_text: str
    word_count: int
    # The segments the chunk is made of, as (start_s, end_s, text): their texts joined by spaces
    # are ``text``, so any sentence of it can be cited to the second it is said.
    cues: tuple[tuple[float, float, str], ...] = ()


def chunk_segments(
    segments: list[Segment],
    *,
    title: str,
    target_words: int = 200,
    min_words: int = 150,
    max_words: int = 250,
    overlap_words: int = 40,
) -> list[Chunk]:
    """Return chunks of whole segments, in order, positions 0..n-1, covering every segment.

    A chunk closes once it reaches `target_words`, or before a segment that would
    push it past `max_words`; a segment longer than `max_words` is a chunk of its
    own, never split. Each chunk starts with up to `overlap_words` of whole
    segments from the end of the previous one (at least one, never all of it). A
    last chunk adding fewer than `min_words / 3` new words joins the previous one
    if the result stays within `1.25 * max_words`. Precondition: segments are in
    time order, as parse_captions returns them. Untimed segments (times 0) work;
    segments without words are skipped.
    """
    segments = [segment for segment in segments if segment.text.split()]
    counts = [len(segment.text.split()) for segment in segments]
    runs: list[tuple[int, int]] = []  # [start, end) indexes into segments
    start = end = 0
    while end < len(segments):
        words = sum(counts[start:end])  # the overlap carried over from the previous chunk
        while end < len(segments):
            if end > start and words + counts[end] > max_words:
                break
            words += counts[end]
            end += 1
            if words >= target_words:
                break
        runs.append((start, end))
        start = _overlap_start(counts, start, end, overlap_words)
        if end < len(segments) and sum(counts[start:end]) + counts[end] > max_words:
            start = end  # the overlap would leave no room for the next segment

    if len(runs) >= 2:
        (prev_start, prev_end), (_, last_end) = runs[-2], runs[-1]
        new_words = sum(counts[prev_end:last_end])
        if new_words < min_words / 3 and sum(counts[prev_start:last_end]) <= max_words * 1.25:
            runs[-2:] = [(prev_start, last_end)]

    return [_chunk(position, segments[a:b], title) for position, (a, b) in enumerate(runs)]


def _overlap_start(counts: list[int], start: int, end: int, overlap_words: int) -> int:
    """Index where the next chunk starts: whole trailing segments of [start, end)."""
    first = end - 1  # at least one segment...
    if first <= start:
        return end  # ...but never the whole chunk, so the pipeline always advances
    words = counts[first]
    while first - 1 > start and words + counts[first - 1] <= overlap_words:
        first -= 1
        words += counts[first]
    return first


def _chunk(position: int, run: list[Segment], title: str) -> Chunk:
    cues = tuple((segment.start_s, segment.end_s, " ".join(segment.text.split())) for segment in run)
    text = " ".join(cue[2] for cue in cues)
    title = title.strip()
    return Chunk(
        position=position,
        start_s=run[0].start_s,
        end_s=run[-1].end_s,
        text=text,
        # The title is embedded with the text: questions often name the video's topic.
        embed_text=f"{title}\n{text}" if title else text,
        word_count=len(text.split()),
        cues=cues,
    )
