"""An answer as Telegram messages: escaped HTML parse mode, citations as links to the moment,
the confidence and the AI-persona line, split into messages Telegram accepts.

Pure code. The answer's text is AnswerDone.text (plain, "[n]" markers kept) and its citations
AnswerDone.citations; nothing here builds citation text beyond formatting those for Telegram.
In HTML parse mode only ``<``, ``>`` and ``&`` must be escaped in text (and ``"`` inside an
attribute): everything from the answer, a video title or a creator's name goes through ``escape``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from bots.telegram.client import MESSAGE_LIMIT
from chat.answers import Citation

# A sentence ends at . ! ? or … (with closing quotes or brackets), then whitespace; a newline
# (paragraph, list item) ends one too.
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?…][\"'”’)\]]*(?=\s)|\n|$)\s*")
# "[3]" or "[1, 2]": kept whole when a long sentence is cut between words.
_WORDS = re.compile(r"\[\d{1,2}(?:\s*,\s*\d{1,2})*\]\S*|\S+\s*")
_MARKER = re.compile(r"\[(\d{1,2}(?:\s*,\s*\d{1,2})*)\]")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _attribute(text: str) -> str:
    return html.escape(text, quote=True)


def visible_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP is two)."""
    return len(text.encode("utf-16-le")) // 2


def sentences(text: str) -> list[str]:
    """``text`` cut after each sentence, whitespace kept with the sentence before it; joined
    back, the pieces are ``text``."""
    return [piece for piece in _SENTENCE.findall(text) if piece]


def split_text(text: str, *, limit: int = MESSAGE_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` (visible) characters, cut at sentence boundaries;
    a sentence longer than ``limit`` is cut between words, a word longer than that anywhere."""
    text = text.strip()
    if visible_length(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for unit in _units(text, limit=limit):
        if current and visible_length(current + unit.rstrip()) > limit:
            parts.append(current.strip())
            current = ""
        current += unit
    if current.strip():
        parts.append(current.strip())
    return parts


def _units(text: str, *, limit: int) -> list[str]:
    units: list[str] = []
    for sentence in sentences(text):
        if visible_length(sentence.rstrip()) <= limit:
            units.append(sentence)
            continue
        for word in _WORDS.findall(sentence):
            while visible_length(word.rstrip()) > limit:
                cut = _cut_at(word, limit)
                units.append(word[:cut])
                word = word[cut:]
            units.append(word)
    return units


def _cut_at(word: str, limit: int) -> int:
    """The longest prefix of ``word`` within ``limit`` UTF-16 units (never half a surrogate pair)."""
    units = 0
    for index, char in enumerate(word):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return max(1, index)
    return len(word)


def linked_markers(text: str, citations: Sequence[Citation]) -> str:
    """Escaped ``text`` whose "[n]" markers link to citation n's moment."""
    urls = {citation.number: citation.url for citation in citations}

    def link(match: re.Match[str]) -> str:
        numbers = [int(n) for n in match.group(1).split(",")]
        if len(numbers) == 1 and urls.get(numbers[0]):
            return f'<a href="{_attribute(urls[numbers[0]])}">[{numbers[0]}]</a>'
        return "[" + ", ".join(
            f'<a href="{_attribute(urls[n])}">{n}</a>' if urls.get(n) else str(n) for n in numbers
        ) + "]"

    pieces = []
    last = 0
    for match in _MARKER.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(link(match))
        last = match.end()
    pieces.append(escape(text[last:]))
    return "".join(pieces)


def citation_lines(citations: Sequence[Citation]) -> list[str]:
    """One line per cited moment: "[n] Title · 2:03", linked to the second."""
    lines = []
    for citation in citations:
        label = f"[{citation.number}] {escape(citation.video_title or 'Video')} · {citation.timestamp}"
        lines.append(f'<a href="{_attribute(citation.url)}">{label}</a>' if citation.url else label)
    return lines


def persona_line(persona_name: str) -> str:
    name = escape(persona_name)
    return f"<i>AI persona of {name}: answers are written by an AI from the videos, not by {name}.</i>"


def footer(*, citations: Sequence[Citation], confidence_label: str, persona_name: str) -> str:
    lines = citation_lines(citations)
    if confidence_label:
        lines.append(f"<i>{escape(confidence_label)}</i>")
    lines.append(persona_line(persona_name))
    return "\n".join(lines)


def answer_messages(
    *, text: str, citations: Sequence[Citation], confidence_label: str, persona_name: str,
    limit: int = MESSAGE_LIMIT,
) -> list[str]:
    """The answer as HTML messages of at most ``limit`` visible characters each: the text cut
    at sentence boundaries, the footer (citations, confidence, persona line) after the last
    piece, or as a message of its own when it does not fit there."""
    end = footer(citations=citations, confidence_label=confidence_label, persona_name=persona_name)
    end_length = visible_length(html.unescape(re.sub(r"<[^>]+>", "", end)))
    pieces = split_text(text, limit=limit) or [""]
    messages = [linked_markers(piece, citations) for piece in pieces]
    if visible_length(pieces[-1]) + 2 + end_length <= limit:
        messages[-1] = (messages[-1] + "\n\n" + end).strip()
    else:
        messages.append(end)
    return messages


def draft_text(text: str, *, limit: int = MESSAGE_LIMIT) -> str:
    """What a streaming preview shows: the answer so far, escaped, cut to Telegram's limit at
    the last sentence that fits (the final messages carry the rest)."""
    pieces = split_text(text, limit=limit - 2)
    if not pieces:
        return ""
    return escape(pieces[0]) + (" …" if len(pieces) > 1 else "")
