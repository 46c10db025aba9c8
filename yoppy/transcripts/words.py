"""Words of a question or a transcript: which say nothing about a topic, and crude stems.

One stop list serves the whole project's reading of questions (retrieval's follow-up detection,
the answers' term overlap and coverage). The persona's topic analysis uses scikit-learn's longer
document list beside these, because it looks for subjects in whole transcripts, not questions.
"""

from __future__ import annotations

import functools
import re

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

# Words that say nothing about what a question is about: English function words, and the
# conversational ones a fan asks with ("what did he say about", "your thoughts on").
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing don't down during each few for from
    further had has have having he her here hers him his how i i'm if in into is it it's its just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that that's the their them then there these they this those through to too
    under until up very was we were what what's when where which while who whom why will with
    would you you're your yours yourself ever really think thinks thought thoughts say said says
    tell told talk talked talking mention mentioned explain explained discuss discussed video
    videos opinion know like get got make go also much many thing things way please ok okay yes
    yeah thanks thank""".split()  # noqa: SIM905 - a word block reads better than 160 quoted words
)


def stem(word: str) -> str:
    """A crude stem, enough to match "resting" with "rest" and "juices" with "juice"."""
    word = word.removesuffix("'s")
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> set[str]:
    """The stems of ``text``'s words that are not stop words."""
    return {stem(word) for word in WORD.findall(text.lower().replace("\u2019", "'")) if word not in STOP_WORDS}


@functools.cache
def singular(token: str) -> str:
    """Plural folding only, so "neural networks" and "neural network" count as one phrase while
    "cooking" stays "cooking" (a topic is shown as it was said)."""
    if token.endswith("'s"):
        token = token[:-2]
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token
