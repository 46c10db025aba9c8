"""The answer block as HTML: one partial (templates/chat/_answer.html) for the page's stored
answers and for the final event of a streamed one, so citation markup exists once."""

from __future__ import annotations

import html
from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils.html import strip_tags

from chat import answers
from chat.models import Message


def answer_block_context(*, markdown: str, citations: Sequence[answers.Citation], confidence: str) -> dict:
    """What templates/chat/_answer.html reads: the sanitised body, the citations, the confidence."""
    return {
        "answer_html": answers.answer_html(markdown, citations=citations),
        "citations": list(citations),
        "confidence": confidence,
        "confidence_label": Message.CONFIDENCE_LABELS.get(confidence, ""),
    }


def answer_block_html(*, markdown: str, citations: Sequence[answers.Citation], confidence: str) -> str:
    return render_to_string(
        "chat/_answer.html", answer_block_context(markdown=markdown, citations=citations, confidence=confidence)
    ).strip()


def answer_plain_text(*, markdown: str, citations: Sequence[answers.Citation]) -> str:
    """The answer without markup, from the same sanitised HTML (so it holds no URL either);
    citation buttons read "[n]"."""
    body = answers.answer_html(markdown, citations=citations)
    body = body.replace("</p>", "\n\n").replace("<br>", "\n").replace("</li>", "\n")
    return html.unescape(strip_tags(body)).strip()
