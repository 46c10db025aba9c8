"""What the answer core yields, the same for every surface (web page, bots, widget, API).

Neutral values, no transport: the web view formats them as Server-Sent Events, a bot edits its
message with the pieces and sends the final text with its own citation format. A stream is any
number of ``TextPiece`` then exactly one ``AnswerDone`` or ``AnswerFailed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chat.answers import Citation


@dataclass(frozen=True)
class TextPiece:
    """The next piece of the answer's text, safe to show as it arrives."""

    text: str


@dataclass(frozen=True)
class AnswerDone:
    """The answer, complete and stored.

    ``text``: plain text, citation markers kept as "[n]" (what bots and the API send);
    ``markdown``: the stored source; ``html``: the whole answer block (body, confidence,
    citations) rendered by templates/chat/_answer.html, the partial the page renders stored
    answers with; ``citations``: the cited moments (video, title, start and end second, link);
    ``related``: with a refusal only, moments close to the question offered under their own
    heading ("related moments"), never sources of an answer (a surface shows them apart, or not).
    """

    message_id: int
    text: str
    markdown: str
    html: str
    citations: tuple[Citation, ...]
    confidence: str
    confidence_label: str
    offline: bool
    related: tuple[Citation, ...] = ()
    # Anything else the answerer reports (e.g. related moments offered with a refusal); surfaces
    # that do not know a key ignore it.
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "message_id": self.message_id,
            "text": self.text,
            "html": self.html,
            "citations": [citation.as_dict() for citation in self.citations],
            "confidence": self.confidence,
            "confidence_label": self.confidence_label,
            "offline": self.offline,
            "related": [citation.as_dict() for citation in self.related],
        }


@dataclass(frozen=True)
class AnswerFailed:
    """The answer could not be given; ``message`` is for the fan, as is."""

    message: str


AnswerEvent = TextPiece | AnswerDone | AnswerFailed
