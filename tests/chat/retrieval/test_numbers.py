"""Numbers in a question are also searched as they are spoken."""

from __future__ import annotations

from chat.retrieval import keyword_text


def test_numbers_are_also_searched_as_spoken_words():
    assert "fifty" in keyword_text("Who won Super Bowl 50?")
    assert "nineteen ninety" in keyword_text("in 1990")
    assert "third" in keyword_text("the 3rd album")
    assert "two thousand five hundred" in keyword_text("2,500 subscribers")
    assert keyword_text("f/1.8 lens") == "f/1.8 lens"
