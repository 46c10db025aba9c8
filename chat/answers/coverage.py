"""How well the retrieved passages cover a question: the confidence label of an answer.

Pure functions, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chat.retrieval import Passage

# --- confidence thresholds -------------------------------------------------------------------
# Cosine similarity of all-MiniLM-L6-v2 between the question and the best retrieved passage.
# Calibrated on Spoken-SQuAD (../shared/realdata/qa_benchmark, ASR transcripts, 600 questions),
# treating each article's paragraphs as one "channel". Best-passage similarity when the channel
# covers the question: 5th/10th/50th percentile 0.30/0.36/0.57; when it does not (another
# article): 50th/90th/95th percentile 0.17/0.29/0.32. Share of each at or above a threshold:
#
#     threshold   covered   not covered
#       0.55        57 %        0 %
#       0.40        85 %        1 %
#       0.30        95 %        8 %
HIGH_SIMILARITY = 0.55  # the videos answer this directly
MEDIUM_SIMILARITY = 0.40  # they touch on it
LOW_SIMILARITY = 0.30  # only loosely related moments; below this, not covered
# A keyword hit is weak evidence on its own (any shared rare word counts: on the calibration set a
# shared word rescued 19 of 29 covered questions below 0.30 but also 10 % of uncovered ones), so it
# only lifts "not covered" to "low", and only for a passage that is at least this similar. It keeps
# proper names MiniLM does not know ("what about Kalanick?") from being called not covered.
KEYWORD_FLOOR_SIMILARITY = 0.20

CONFIDENCE_LEVELS = ("high", "medium", "low", "not_covered")


# --- confidence ------------------------------------------------------------------------------


def confidence_for(passages: Sequence[Passage]) -> str:
    """One of "high", "medium", "low" or "not_covered", from the best similarity among the passages.

    Thresholds and their calibration are above (``HIGH_SIMILARITY`` ...). The best similarity, not
    the first passage's: retrieval orders by a fused score, so the most similar may be second.
    """
    if not passages:
        return "not_covered"
    best = max(float(passage.similarity) for passage in passages)
    if best >= HIGH_SIMILARITY:
        return "high"
    if best >= MEDIUM_SIMILARITY:
        return "medium"
    if best >= LOW_SIMILARITY:
        return "low"
    if any(p.keyword_hit and float(p.similarity) >= KEYWORD_FLOOR_SIMILARITY for p in passages):
        return "low"
    return "not_covered"
