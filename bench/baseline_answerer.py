"""The offline answerer as it was before issue 11 (chat/answers.py at a147ab2), kept only so
bench/answers.py can measure the old and the new answerer in one run. Not product code.

It quotes up to three ~30-word stretches of the top passages sharing most words with the question,
and calls a question "not covered" only from the best passage similarity (``confidence_for``).
"""

from __future__ import annotations

from collections.abc import Sequence

from chat.answers.text import _markdown_text, _name
from yoppy.transcripts import CAPTION_TAG as _CAPTION_TAG
from yoppy.transcripts import terms as _terms

OFFLINE_LABEL = "**Offline answer** (no AI model configured)"
OFFLINE_EXCERPTS = 3
EXCERPT_WORDS = 30
HIGH_SIMILARITY, MEDIUM_SIMILARITY, LOW_SIMILARITY, KEYWORD_FLOOR_SIMILARITY = 0.55, 0.40, 0.30, 0.20


def confidence_for(passages) -> str:
    if not passages:
        return "not_covered"
    best = max(float(passage.similarity) for passage in passages)
    if best >= HIGH_SIMILARITY:
        return "high"
    if best >= MEDIUM_SIMILARITY:
        return "medium"
    if best >= LOW_SIMILARITY:
        return "low"
    if any(p.keyword_hit and float(p.similarity) >= KEYWORD_FLOOR_SIMILARITY for p in passages):
        return "low"
    return "not_covered"


def _spans(words: list[str]) -> list[tuple[int, int]]:
    """Candidate excerpts as (start, end) word ranges: sentences when the text is punctuated,
    else (auto-captions) overlapping windows; a long sentence is cut into windows too."""
    spans = []
    start = 0
    for index, word in enumerate(words):
        if word.endswith((".", "!", "?")) or index == len(words) - 1:
            spans.append((start, index + 1))
            start = index + 1
    windows = []
    step = EXCERPT_WORDS // 2
    for begin, end in spans:
        if end - begin <= EXCERPT_WORDS:
            windows.append((begin, end))
            continue
        for left in range(begin, end, step):
            windows.append((left, min(end, left + EXCERPT_WORDS)))
            if left + EXCERPT_WORDS >= end:
                break
    return windows


def _excerpt(text: str, question_terms: set[str]) -> tuple[str, int]:
    """(the short stretch of ``text`` sharing most words with the question, how many it shares).
    Ties go to the earlier stretch; an ellipsis marks a cut inside the passage."""
    words = _CAPTION_TAG.sub(" ", text).split()
    if not words:
        return "", 0
    best_span, best_score = (0, 0), -1
    for begin, end in _spans(words):
        score = len(question_terms & _terms(" ".join(words[begin:end])))
        if score > best_score:
            best_span, best_score = (begin, end), score
    begin, end = best_span
    excerpt = " ".join(words[begin:end])
    if begin > 0:
        excerpt = "\u2026" + excerpt
    if end < len(words) and not excerpt.endswith((".", "!", "?")):
        excerpt += "\u2026"
    return excerpt, best_score


def answer_offline(*, creator_name: str, question: str, passages: Sequence[object], confidence: str) -> str:
    """An extractive markdown answer for when no LLM is configured: deterministic, and every word
    in quotes is the passages' own.

    Quotes the best passage and up to two more that share words with the question, each followed by
    its marker. With confidence "low" the quotes are introduced as loosely related; with
    "not_covered" (or no passages) the answer says the videos don't seem to cover it.
    """
    name = _markdown_text(_name(creator_name))
    if confidence == "not_covered" or not passages:
        return (
            f"{OFFLINE_LABEL}: {name}'s videos don't seem to cover this. Try rephrasing your "
            f"question, or ask about something {name} talks about in the videos."
        )
    question_terms = _terms(question)
    chosen: list[tuple[int, str]] = []
    for number, passage in enumerate(passages, start=1):
        excerpt, score = _excerpt(passage.text, question_terms)
        if excerpt and (not chosen or score > 0):
            chosen.append((number, excerpt))
        if len(chosen) == OFFLINE_EXCERPTS:
            break
    if not chosen:
        return f"{OFFLINE_LABEL}: {name}'s videos don't seem to cover this. Try rephrasing your question."
    if confidence == "low":
        intro = (
            f"{OFFLINE_LABEL}: {name}'s videos don't seem to answer this directly. "
            "These are the closest moments found:"
        )
    else:
        intro = f"{OFFLINE_LABEL}: here is what {name} says in the videos:"
    quotes = [f'> "{_markdown_text(excerpt)}" [{number}]' for number, excerpt in chosen]
    return "\n\n".join([intro, *quotes])
