"""Dropping the words and cues consecutive chunks repeat."""

from __future__ import annotations

from yoppy.transcripts import merge_overlapping, overlap_size


def test_merging_drops_the_repeated_words_only():
    assert merge_overlapping("a b c d", "c d e") == "a b c d e"
    assert merge_overlapping("a b", "c d") == "a b c d"
    assert merge_overlapping("a b", "a b") == "a b"


def test_an_overlap_shorter_than_the_minimum_counts_as_none():
    assert overlap_size(["a", "b", "c", "d"], ["c", "d", "e"], max_size=10) == 2
    assert overlap_size(["a", "b", "c", "d"], ["c", "d", "e"], max_size=10, min_size=3) == 0
    assert overlap_size(["a", "b", "c", "d"], ["b", "c", "d", "e"], max_size=2) == 0  # longer than allowed
