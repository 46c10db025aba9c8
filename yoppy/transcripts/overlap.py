"""Consecutive chunks repeat whole caption segments (up to ~40 words, see chunk_segments): the
helpers here find and drop that repeat, for words and for cues alike."""

from __future__ import annotations

from collections.abc import Sequence


def overlap_size(previous: Sequence, following: Sequence, *, max_size: int, min_size: int = 1) -> int:
    """The length of the longest run, at most ``max_size`` and at least ``min_size`` items, that
    ends ``previous`` and starts ``following``; 0 when there is none."""
    for size in range(min(len(previous), len(following), max_size), min_size - 1, -1):
        if list(previous[-size:]) == list(following[:size]):
            return size
    return 0


def merge_overlapping(first: str, second: str, *, max_overlap_words: int = 200) -> str:
    """``first`` followed by ``second`` without the words ``second`` repeats from the end of
    ``first``."""
    a, b = first.split(), second.split()
    return " ".join(a + b[overlap_size(a, b, max_size=max_overlap_words) :])
