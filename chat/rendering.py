"""The answer block as HTML: one partial (templates/chat/_answer.html) for the page's stored
answers and for the final event of a streamed one, so citation markup exists once."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils.html import strip_tags

from chat import answers
from chat.models import Message

_BLANK_LINES = re.compile(r"\n\s*\n\s*")


def answer_block_context(
    *, markdown: str, citations: Sequence[answers.Citation], confidence: str,
    related: Sequence[answers.Citation] = (),
) -> dict:  # fmt: skip
    """What templates/chat/_answer.html reads: the sanitised body, the citations, the confidence,
    and the related moments a refusal offers (templates/chat/_related.html)."""
    return {
        "answer_html": answers.answer_html(markdown, citations=citations),
        "citations": list(citations),
        "confidence": confidence,
        "confidence_label": Message.CONFIDENCE_LABELS.get(confidence, ""),
        "related": list(related),
    }


def answer_block(
    *, markdown: str, citations: Sequence[answers.Citation], confidence: str,
    related: Sequence[answers.Citation] = (),
) -> tuple[str, str]:  # fmt: skip
    """The answer block's HTML and the answer as plain text, from one sanitised rendering (so the
    text holds no URL either; citation buttons read "[n]"). The text is the answer alone: related
    moments are in the HTML and in AnswerDone.related, for each surface to format."""
    context = answer_block_context(markdown=markdown, citations=citations, confidence=confidence)
    body = context["answer_html"].replace("</p>", "\n\n").replace("<br>", "\n").replace("</li>", "\n")
    text = _BLANK_LINES.sub("\n\n", html.unescape(strip_tags(body))).strip()
    context["related"] = list(related)
    return render_to_string("chat/_answer.html", context).strip(), text
