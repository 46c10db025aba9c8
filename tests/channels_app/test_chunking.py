from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from channels_app.services.captions import Segment
from channels_app.services.chunking import Chunk, chunk_segments

TITLE = "How to sharpen a chisel"


def make_segments(word_counts: list[int], *, timed: bool = True) -> list[Segment]:
    """Segments whose words name them ("s3w0 s3w1 ..."), so a chunk's text shows which it holds."""
    segments, t = [], 0.0
    for i, count in enumerate(word_counts):
        duration = count * 0.4 if timed else 0.0
        segments.append(Segment(t, t + duration, " ".join(f"s{i}w{k}" for k in range(count))))
        t += duration
    return segments


def segment_indexes(chunk: Chunk, segments: list[Segment]) -> list[int]:
    """The segments a chunk holds, asserting it is a run of whole segments in order."""
    first, last = (int(word[1:].split("w")[0]) for word in (chunk.text.split()[0], chunk.text.split()[-1]))
    indexes = [i for i in range(first, last + 1) if segments[i].text]
    assert chunk.text == " ".join(segments[i].text for i in indexes)
    return indexes


def realistic_counts(n: int = 400, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(5, 15) for _ in range(n)]


def test_it_makes_chunks_of_150_to_250_words_from_realistic_segments():
    counts = realistic_counts()
    chunks = chunk_segments(make_segments(counts), title=TITLE)

    assert len(chunks) > 10
    assert all(150 <= c.word_count <= 250 for c in chunks[:-1])
    assert 0 < chunks[-1].word_count <= 250 * 1.25
    assert all(c.word_count == len(c.text.split()) for c in chunks)


def test_consecutive_chunks_overlap_by_about_40_words_of_whole_segments():
    counts = realistic_counts()
    segments = make_segments(counts)
    chunks = chunk_segments(segments, title=TITLE)

    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        before, after = segment_indexes(previous, segments), segment_indexes(chunk, segments)
        shared = [i for i in after if i in before]
        assert shared, "consecutive chunks must overlap"
        assert shared == before[-len(shared) :] == after[: len(shared)]
        assert len(shared) < len(before)
        assert 15 <= sum(counts[i] for i in shared) <= 40


def test_it_never_splits_a_segment():
    segments = make_segments(realistic_counts())
    chunks = chunk_segments(segments, title=TITLE)

    for segment in segments:
        assert any(f" {segment.text} " in f" {c.text} " for c in chunks)
    for chunk in chunks:
        segment_indexes(chunk, segments)


def test_positions_count_from_zero_and_times_come_from_the_first_and_last_segment():
    segments = make_segments(realistic_counts())
    chunks = chunk_segments(segments, title=TITLE)

    assert [c.position for c in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        indexes = segment_indexes(chunk, segments)
        assert chunk.start_s == segments[indexes[0]].start_s
        assert chunk.end_s == segments[indexes[-1]].end_s
    assert all(a.start_s < b.start_s for a, b in zip(chunks, chunks[1:], strict=False))


def test_the_title_is_embedded_with_the_text():
    chunks = chunk_segments(make_segments([12] * 40), title="  Chisels 101 ")

    assert all(c.embed_text == f"Chisels 101\n{c.text}" for c in chunks)
    assert TITLE not in chunks[0].text


def test_a_giant_segment_stands_alone():
    counts = [10] * 12 + [400] + [10] * 12
    segments = make_segments(counts)
    chunks = chunk_segments(segments, title=TITLE)

    holding_giant = [c for c in chunks if 12 in segment_indexes(c, segments)]
    assert [c.text for c in holding_giant] == [segments[12].text]
    assert holding_giant[0].word_count == 400


def test_a_tiny_last_chunk_joins_the_previous_one():
    # 21 x 10 words: chunk one holds 20 (200 words), the next would add only 10 new words.
    segments = make_segments([10] * 21)
    chunks = chunk_segments(segments, title=TITLE)

    assert len(chunks) == 1
    assert segment_indexes(chunks[0], segments) == list(range(21))


def test_a_last_chunk_with_enough_new_words_stays_apart():
    segments = make_segments([10] * 26)
    chunks = chunk_segments(segments, title=TITLE)

    assert len(chunks) == 2
    assert segment_indexes(chunks[1], segments)[-1] == 25


def test_a_tiny_last_chunk_stays_apart_when_joining_would_make_the_chunk_too_big():
    chunks = chunk_segments(make_segments([300, 20]), title=TITLE)

    assert [c.word_count for c in chunks] == [300, 20]


def test_the_overlap_never_swallows_the_whole_previous_chunk():
    segments = make_segments([5] * 12)
    chunks = chunk_segments(
        segments, title=TITLE, target_words=20, min_words=10, max_words=25, overlap_words=30
    )

    runs = [segment_indexes(c, segments) for c in chunks]
    assert runs[:2] == [[0, 1, 2, 3], [1, 2, 3, 4]]  # 15 words of overlap, not all 20


def test_untimed_segments_give_untimed_chunks():
    chunks = chunk_segments(make_segments(realistic_counts(60), timed=False), title=TITLE)

    assert len(chunks) > 1
    assert {(c.start_s, c.end_s) for c in chunks} == {(0.0, 0.0)}


def test_no_segments_give_no_chunks():
    assert chunk_segments([], title=TITLE) == []
    assert chunk_segments([Segment(0.0, 1.0, "  ")], title=TITLE) == []


@given(
    st.lists(st.one_of(st.integers(1, 30), st.integers(0, 400)), max_size=120),
    st.sampled_from([(200, 150, 250, 40), (50, 30, 60, 10), (100, 80, 120, 0), (20, 10, 25, 30)]),
)
def test_every_segment_is_covered_and_chunks_always_advance(counts, sizes):
    target, low, high, overlap = sizes
    segments = make_segments(counts)
    chunks = chunk_segments(
        segments, title=TITLE, target_words=target, min_words=low, max_words=high, overlap_words=overlap
    )

    runs = [segment_indexes(c, segments) for c in chunks]
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert sorted({i for run in runs for i in run}) == [i for i, n in enumerate(counts) if n]
    for previous, run in zip(runs, runs[1:], strict=False):
        assert run[-1] > previous[-1]  # every chunk brings new segments
        assert run[0] > previous[0]  # and never repeats the whole previous chunk
    for chunk, run in zip(chunks, runs, strict=True):
        is_merged_last = chunk is chunks[-1] and chunk.word_count <= high * 1.25
        assert chunk.word_count <= high or len(run) == 1 or is_merged_last
