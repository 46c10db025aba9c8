"""Follow-up questions made standalone before they are searched ("why?", "what did he say after
that?"): rewritten by the LLM when there is one, else blended with the topic words of the
questions before them."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from yoppy.ai.llm import LLMError, LLMMessage, LLMProvider
from yoppy.transcripts import STOP_WORDS

logger = logging.getLogger(__name__)

# Words that point back into the conversation ("why?", "what did he say after that?"). He, she and
# you are left out: in a persona chat they name the creator, not an earlier topic.
_REFERRING = frozenset(
    ["it", "its", "that", "this", "those", "these", "they", "them", "their", "there", "then", "same",
     "else", "another", "other", "more", "why", "before", "after", "earlier", "later"]
)  # fmt: skip
_CONNECTIVES = ("and ", "but ", "so ", "also ", "what about", "how about", "how come", "then ")
_WORD = re.compile(r"[\w'-]+")
_REWRITE_PROMPT = (
    "You turn a fan's follow-up question to a YouTube creator into one standalone search query for "
    "the creator's video transcripts. Replace pronouns and references with what they refer to in the "
    "conversation; keep names and specific terms; add nothing else. Reply with the query only."
)


def query_for_retrieval(
    *, question: str, history: Sequence[tuple[str, str]], llm: LLMProvider | None = None
) -> str:
    """The text to search the transcripts with for ``question``, asked after ``history``
    ((question, answer) pairs, oldest first).

    A question that stands alone is searched as it is. A follow-up ("why?", "what did he say after
    that?") is rewritten by ``llm`` into a standalone query when one is given; without one, or when
    it fails, the topic words of the previous questions are appended to it.
    """
    question = " ".join(question.split())
    if not history or not _is_follow_up(question):
        return question
    if llm is not None:
        try:
            rewritten = llm.complete(_rewrite_messages(question, history), max_tokens=60, temperature=0.0)
        except LLMError as exc:
            logger.info("Follow-up rewrite failed, blending history instead: %s", exc)
        else:
            cleaned = _cleaned_rewrite(rewritten)
            if cleaned:
                return cleaned
    return _blended_with_history(question, history)


def _content_words(text: str) -> list[str]:
    words = [word.strip("'-").lower() for word in _WORD.findall(text)]
    return [word for word in words if word and word not in STOP_WORDS and word not in _REFERRING]


def _is_follow_up(question: str) -> bool:
    """True for a question that needs the conversation: few topic words, a word pointing back, or
    an opening connective ("and what about…")."""
    words = {word.lower() for word in _WORD.findall(question)}
    return (
        len(_content_words(question)) <= 1
        or bool(words & _REFERRING)
        or question.lower().startswith(_CONNECTIVES)
    )


def _blended_with_history(question: str, history: Sequence[tuple[str, str]]) -> str:
    """The question followed by the topic words of the latest earlier questions (up to two, newest
    first, about eight words), skipping words it already has."""
    have = set(_content_words(question))
    added: list[str] = []
    for earlier, _answer in list(history)[::-1][:2]:
        for word in _content_words(earlier):
            if word not in have:
                have.add(word)
                added.append(word)
        if len(added) >= 3:
            break
    return " ".join([question, *added[:8]])


def _rewrite_messages(question: str, history: Sequence[tuple[str, str]]) -> list[LLMMessage]:
    lines = []
    for earlier, answer in list(history)[-3:]:
        lines.append(f"Fan: {earlier}")
        # The answer is cut short: what it was about is what matters, and the prompt stays cheap.
        lines.append(f"Creator: {answer[:400]}")
    conversation = "\n".join(lines)
    return [
        LLMMessage("system", _REWRITE_PROMPT),
        LLMMessage("user", f"Conversation:\n{conversation}\n\nFollow-up: {question}\n\nStandalone query:"),
    ]


def _cleaned_rewrite(text: str) -> str:
    """The first line of the model's reply without quotes or a label; "" when nothing usable."""
    for line in text.splitlines():
        line = line.strip().strip("\"'`").strip()
        line = re.sub(r"^(standalone )?(search )?query:\s*", "", line, flags=re.IGNORECASE).strip("\"'` ")
        if line:
            return line[:300]
    return ""
