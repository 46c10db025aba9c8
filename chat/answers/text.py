"""Text helpers shared by the answer code: caption furniture, stop words, stems, fencing, escaping."""

from __future__ import annotations

import re

# "[Music]", "(laughs)" and ">>" speaker changes are caption furniture, not speech.
_CAPTION_TAG = re.compile(
    r"\[[^\]]{0,40}\]|\((?:music|applause|laughter|laughs|inaudible)\)|&gt;&gt;|>>", re.I
)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
# Words that say nothing about what a question is about.
_STOP_WORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing don't down during each few for from
    further had has have having he her here hers him his how i i'm if in into is it it's its just
    me more most my no nor not now of off on once only or other our out over own same she should
    so some such than that that's the their them then there these they this those through to too
    under until up very was we were what what's when where which while who whom why will with
    would you you're your yours yourself ever really think thoughts say said tell talk talked
    mention mentioned video videos opinion know like get got make go also much many thing things
    way please explain""".split()  # noqa: SIM905 - a word block reads better than 150 quoted words
)


def _stem(word: str) -> str:
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


def _terms(text: str) -> set[str]:
    return {
        _stem(word) for word in _WORD.findall(text.lower().replace("\u2019", "'")) if word not in _STOP_WORDS
    }


def _fenceable(text: str) -> str:
    """Untrusted text on one line, with angle brackets swapped for look-alikes so it can neither
    close our <passage> fence nor fake a new one."""
    return " ".join(str(text).replace("<", "\u2039").replace(">", "\u203a").split())


def _attribute(text: str) -> str:
    return _fenceable(text).replace('"', "\u201d")[:200]


def _name(creator_name: str) -> str:
    return _fenceable(creator_name)[:100] or "the creator"


def _markdown_text(text: str) -> str:
    """``text`` escaped so markdown shows it as written (and "[3]" in a transcript is no marker)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
