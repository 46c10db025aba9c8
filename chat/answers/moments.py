"""Moments: the sentences of a passage, each with the seconds it is said.

Captions arrive as cues (a few words shown for a few seconds). Manual captions are punctuated;
YouTube's automatic captions are not, so a sentence cannot simply end at a full stop. A moment ends:

- after a word ending in ".", "?" or "!" (punctuated captions, ASR with punctuation);
- at a pause between cues of at least ``PAUSE_S`` once it has ``MIN_WORDS`` words (speakers stop
  between thoughts, and auto-captions start a new cue after a silence);
- past ``TARGET_WORDS`` words, at the next cue boundary before a word that usually opens a new
  clause ("so", "and", "but", "now", ...), and at ``MAX_WORDS`` words at the latest, so an
  unpunctuated monologue still reads as sentences a fan can take in at once.

Each word is placed in time by its position inside its cue (cues are short, 2-5 s, so this is
within a second or two); a passage without cues (stored before cues were kept) gives every moment
the passage's own span. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from yoppy.transcripts import CAPTION_TAG

if TYPE_CHECKING:
    from chat.retrieval import Passage

PAUSE_S = 0.8
MIN_WORDS = 6
TARGET_WORDS = 22
MAX_WORDS = 40
# Words that open a new clause in unpunctuated speech: a good place to cut a long run.
_OPENERS = frozenset(
    [
        "so",
        "and",
        "but",
        "now",
        "okay",
        "ok",
        "then",
        "because",
        "anyway",
        "well",
        "which",
        "or",
        "actually",
        "basically",
        "also",
        "if",
        "when",
        "what",
        "first",
        "second",
        "next",
        "finally",
        "i",
        "we",
        "you",
    ]
)
_SENTENCE_END = re.compile(r"[.?!][\"')\]]*$")


@dataclass(frozen=True)
class Moment:
    """One sentence of a passage. ``passage`` is its index in the list the moments were made from."""

    passage: int
    start_s: float
    end_s: float
    text: str


@dataclass(frozen=True)
class _Word:
    text: str
    start_s: float
    end_s: float
    cue_start: bool  # first word of its cue
    pause_before: float  # silence since the previous cue ended (0 inside a cue)


def _words(passage: Passage) -> tuple[list[_Word], bool]:
    """The passage's words with their times, and whether the times are the words' own."""
    cues = [cue for cue in (passage.cues or ()) if str(cue[2]).split()]
    timed = bool(cues)
    if not timed:
        cues = [(passage.start_s, passage.end_s, passage.text)]
    words: list[_Word] = []
    previous_end: float | None = None
    for start, end, text in cues:
        start, end = float(start), max(float(start), float(end))
        parts = CAPTION_TAG.sub(" ", str(text)).split()
        if not parts:
            continue
        step = (end - start) / len(parts)
        pause = max(0.0, start - previous_end) if previous_end is not None else 0.0
        for index, part in enumerate(parts):
            words.append(
                _Word(
                    text=part,
                    start_s=start + index * step if timed else start,
                    end_s=start + (index + 1) * step if timed else end,
                    cue_start=index == 0,
                    pause_before=pause if index == 0 else 0.0,
                )
            )
        previous_end = end
    return words, timed


def _cut_before(words: list[_Word], index: int, length: int) -> bool:
    """Whether a moment of ``length`` words so far ends before ``words[index]``."""
    word = words[index]
    if length >= MAX_WORDS:
        return True
    if length < MIN_WORDS:
        return False
    if word.pause_before >= PAUSE_S:
        return True
    opener = word.text.lower().strip(",;:") in _OPENERS
    return length >= TARGET_WORDS and word.cue_start and opener


def passage_moments(passage: Passage, *, index: int = 0) -> list[Moment]:
    """The sentences of ``passage`` in order, as moments tagged with ``index``."""
    words, timed = _words(passage)
    runs: list[list[_Word]] = []
    run: list[_Word] = []
    for position, word in enumerate(words):
        if run and _cut_before(words, position, len(run)):
            runs.append(run)
            run = []
        run.append(word)
        if _SENTENCE_END.search(word.text) and len(run) >= 2:
            runs.append(run)
            run = []
    if run:
        # A tail too short to stand alone ("right.") joins the sentence before it.
        if runs and len(run) < 3 and len(runs[-1]) + len(run) <= MAX_WORDS:
            runs[-1].extend(run)
        else:
            runs.append(run)
    moments = []
    for words_of in runs:
        text = " ".join(word.text for word in words_of)
        if timed:
            start, end = words_of[0].start_s, words_of[-1].end_s
        else:
            start, end = float(passage.start_s), float(passage.end_s)
        moments.append(Moment(passage=index, start_s=start, end_s=end, text=text))
    return moments


def moments_for(passages: Sequence[Passage]) -> list[Moment]:
    """The moments of every passage, in passage order."""
    return [
        moment for index, passage in enumerate(passages) for moment in passage_moments(passage, index=index)
    ]
