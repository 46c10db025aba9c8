"""Suggested questions read like a person asked them (issue 12: "What do you say about starter?")."""

from __future__ import annotations

from chat.starters import GENERIC, starters_for


def test_it_turns_topic_phrases_into_natural_questions():
    assert starters_for(["sourdough starters", "laminated dough", "gluten free bread"]) == [
        "What's your take on sourdough starters?",
        "What should a beginner know about laminated dough?",
        "What's the most common mistake with gluten free bread?",
    ]


def test_it_falls_back_to_good_generic_questions_for_lone_lowercase_words():
    # The local profile's "starter", "butter" and "fold": a lone word may be a verb or an adjective.
    assert starters_for(["starter", "butter", "fold"]) == list(GENERIC)


def test_it_keeps_names_and_their_capitals():
    assert starters_for(["Photoshop", "Python decorators", "iPhone photos"]) == [
        "What's your take on Photoshop?",
        "What should a beginner know about Python decorators?",
        "What's the most common mistake with iPhone photos?",
    ]


def test_it_skips_phrases_cut_out_of_speech_odd_values_and_duplicates():
    topics = ["and butter", "the best", "fold it", "42 tips", "", None, 7, "a" * 3, "cold proof", "Cold proof"]
    assert starters_for(topics) == ["What's your take on cold proof?", *GENERIC[:2]]


def test_it_always_offers_something():
    assert starters_for([]) == list(GENERIC) and len(starters_for(["x y"] * 10, count=2)) == 2
