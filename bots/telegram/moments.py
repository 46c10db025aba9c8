"""The best moments of a persona's videos for a question, without an answer: what an inline
query (``@bot <question>``) offers, each a quote and its citation to the second.

Built from the answer core's own pieces (retrieval, the sentence scorer, Citation), so an
inline result quotes exactly what an answer would cite. No LLM runs and no question is charged.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels_app.models import Channel
from chat.answers import Citation


@dataclass(frozen=True)
class QuotedMoment:
    quote: str
    citation: Citation


def moments_best(*, question: str, channel: Channel, limit: int = 5) -> list[QuotedMoment]:
    """Up to ``limit`` moments answering ``question``, best first, one per second of video;
    none when the videos do not cover it (the same coverage decision as an answer's)."""
    from chat.services.answering import moments_plan

    passages, plan = moments_plan(query=question, channel_ids=[channel.pk])
    if not passages:
        return []
    if not plan.coverage.covered:
        return []
    chosen: list[QuotedMoment] = []
    seen: set[tuple[int, int]] = set()
    for scored in plan.scored:
        moment = scored.moment
        passage = plan.passages[moment.passage]
        citation = Citation.of(passage, number=len(chosen) + 1, start_s=moment.start_s, end_s=moment.end_s)
        if (citation.video_id, citation.second) in seen or not citation.url:
            continue
        seen.add((citation.video_id, citation.second))
        chosen.append(QuotedMoment(quote=moment.text.strip(), citation=citation))
        if len(chosen) == limit:
            break
    return chosen
