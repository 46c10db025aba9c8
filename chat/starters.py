"""Suggested first questions for a persona's chat, built from its topic phrases.

Topics come from the channel profile: the LLM's short phrases ("sourdough starters"), the local
analysis' keyphrases (often one lowercase word: "starter", "fold"), or the creator's own edits.
A single lowercase word may be a verb or an adjective, and "What's your take on fold?" reads
like a machine wrote it, so only phrases of two to four words, or a capitalised name
("Photoshop", "NASA"), become topic questions; the rest of the list is good generic starters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

COUNT = 3

# One template per topic, in turn, so three starters do not all open with the same words.
TOPIC_TEMPLATES = (
    "What's your take on {topic}?",
    "What should a beginner know about {topic}?",
    "What's the most common mistake with {topic}?",
)
GENERIC = (
    "What are your most popular videos about?",
    "Where should someone new to your channel start?",
    "What's the one tip you give most often?",
)

_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Words a topic phrase must not start or end with: a phrase cut out of speech ("and butter",
# "the best") is not a subject.
_EDGE_WORDS = frozenset(
    "a an the and or but of to in on at for with from by about as is are was were be it this that "  # noqa: SIM905
    "these those my your our their his her its you we they i me very really just so how what why".split()
)


def _topic_phrase(topic: object) -> str | None:
    """The topic as it can stand in a question, or None when it would read oddly."""
    if not isinstance(topic, str):
        return None
    words = topic.split()
    if not words or len(words) > 4 or not all(_WORD.fullmatch(word) for word in words):
        return None
    if words[0].lower() in _EDGE_WORDS or words[-1].lower() in _EDGE_WORDS:
        return None
    if len(words) == 1:
        word = words[0]
        # A name ("Photoshop", "NASA") is a subject; a lone lowercase word may be anything.
        if len(word) < 3 or not word[0].isupper():
            return None
        return word
    if sum(len(word) for word in words) < 6:
        return None
    # Capitals stay as given: "Python decorators" starts with a name, and lowercasing it would
    # read worse than a sentence-cased "Sourdough baking" mid-question.
    return " ".join(words)


def starters_for(topics: Iterable[object], *, count: int = COUNT) -> list[str]:
    """Up to ``count`` natural questions: one per usable topic (most characteristic first), then
    generic ones. Never empty, no duplicates."""
    questions: list[str] = []
    seen: set[str] = set()
    for topic in topics:
        phrase = _topic_phrase(topic)
        if phrase is None or phrase.lower() in seen:
            continue
        seen.add(phrase.lower())
        questions.append(TOPIC_TEMPLATES[len(questions) % len(TOPIC_TEMPLATES)].format(topic=phrase))
        if len(questions) == count:
            return questions
    for generic in GENERIC:
        if len(questions) == count:
            break
        questions.append(generic)
    return questions
