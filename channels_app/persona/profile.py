"""A channel's persona profile: what its videos are about and how the creator speaks.

``ChannelProfile`` is what ingestion stores and the chat prompt reads (``style_prompt``). Pure
code, no Django. The creator may edit the stored profile later; nothing here assumes it still
looks like what we produced.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

STYLE_KEYS = (
    "catchphrases",
    "typical_phrases",
    "vocabulary_level",
    "avg_sentence_words",
    "tone",
    "addresses_viewers_as",
    "signature_openers",
)
VOCABULARY_LEVELS = ("simple", "conversational", "technical")

TOPIC_COUNT = 10  # within the 5-12 the persona prompt is designed for
MAX_CATCHPHRASES = 6
MAX_TYPICAL_PHRASES = 6
MAX_OPENERS = 3
LLM_MAX_TOPICS = 12
LLM_WORD_BUDGET = 6000  # titles + passages sent to the LLM, to stay well inside small context windows
LLM_MAX_TITLES = 30


@dataclass(frozen=True)
class ChannelProfile:
    summary: str
    topics: list[str]  # 5-12 short topic phrases, most characteristic first
    style: dict  # JSON-serialisable, exactly the keys in STYLE_KEYS
    source: str  # "llm" or "local"


class ProfileLLMOutputError(ValueError):
    """The LLM's answer is not the JSON profile we asked for; str() says what was wrong."""


# --- public API -------------------------------------------------------------------------


def passages_sample(passages: list[str], *, max_passages: int = 40, seed: int = 0) -> list[str]:
    """Return up to `max_passages` non-blank passages, in input order, spread over the whole list.

    The list is cut into `max_passages` equal stretches and one passage is drawn from each,
    so every part of the input (every video, when passages come video by video) is represented
    rather than just the first videos. Same input and seed, same sample.
    """
    candidates = [passage for passage in passages if passage.strip()]
    if len(candidates) <= max_passages:
        return candidates
    rng = random.Random(seed)  # noqa: S311 - picks a sample, no secret depends on it
    sample = []
    for index in range(max_passages):
        start = index * len(candidates) // max_passages
        end = (index + 1) * len(candidates) // max_passages
        sample.append(candidates[rng.randrange(start, end)])
    return sample



def style_prompt(profile: ChannelProfile, *, name: str | None = None) -> str:
    """Return a few lines for the chat system prompt telling the model how the creator speaks.

    Only what the profile knows is mentioned; an empty style gives just the first line. The
    creator may have edited the style, so values of the wrong type are skipped, never raised on.
    """
    style = profile.style if isinstance(profile.style, dict) else {}
    details = []
    if _text(style.get("tone")):
        details.append(f"tone {_text(style['tone'])}")
    if _text(style.get("vocabulary_level")):
        details.append(f"{_text(style['vocabulary_level'])} vocabulary")
    words = style.get("avg_sentence_words")
    if isinstance(words, int | float) and not isinstance(words, bool) and words > 0:
        details.append(f"sentences of about {round(words)} words")
    lines = [f"Speak like {name or 'the creator'}" + (": " + "; ".join(details) + "." if details else ".")]
    if _text(style.get("addresses_viewers_as")):
        lines.append(f"Address the viewer as {_quote(_text(style['addresses_viewers_as']))}.")
    if openers := _texts(style.get("signature_openers")):
        lines.append(f"When greeting, open the way they do, e.g. {_quote_list(openers)}.")
    if catchphrases := _texts(style.get("catchphrases")):
        lines.append(f"Catchphrases (use sparingly, where they fit): {_quote_list(catchphrases)}.")
    if typical := _texts(style.get("typical_phrases")):
        lines.append(f"Typical phrases: {_quote_list(typical)}.")
    return "\n".join(lines)


def _text(value: object) -> str:
    """`value` as one line of text, or "" when it is not a string."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _texts(value: object) -> list[str]:
    """The non-empty strings of a list, or [] when `value` is not a list."""
    return [text for item in value if (text := _text(item))] if isinstance(value, list) else []


def _quote(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _quote_list(values: list[str]) -> str:
    return ", ".join(_quote(value) for value in values)
