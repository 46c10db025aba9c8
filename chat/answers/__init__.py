"""Everything between retrieved passages and the text and HTML a fan sees: citations, coverage,
the sentences (moments) of passages, the offline answer, the LLM prompt, safety filters and the
sanitised rendering.

Pure code: no database, no network; vectors are computed by the caller. Passages are
``chat.retrieval.Passage``. The names below are the package's public surface.
"""

from chat.answers.citations import Citation, citations_for, citations_from_dicts, strip_unknown_citations
from chat.answers.coverage import (
    CONFIDENCE_LEVELS,
    HIGH_SIMILARITY,
    KEYWORD_FLOOR_SIMILARITY,
    LOW_SIMILARITY,
    MEDIUM_SIMILARITY,
    confidence_for,
)
from chat.answers.moments import Moment, moments_for, passage_moments
from chat.answers.offline import (
    MOMENT_PASSAGES,
    OFFLINE_LABEL,
    Coverage,
    Plan,
    ScoredMoment,
    answer_from_moments,
    answer_plan,
    cited_only,
    coverage_for,
    embed_stored_first,
    moment_citations,
    moments_chosen,
    moments_scored,
    offline_answer,
    quotable,
    refusal,
    related_moments,
    with_antecedents,
)
from chat.answers.prompt import HISTORY_EXCHANGES, prompt_messages
from chat.answers.render import ALLOWED_TAGS, URL_REPLACEMENT, answer_html
from chat.answers.safety import (
    LINK_REPLACEMENT,
    PLANTED_RUN,
    OutputGuard,
    SafeStream,
    guarded_fallback,
    is_injection,
    is_self_question,
    planted_lines,
    self_answer,
    unsafe_piece,
)

__all__ = [
    "ALLOWED_TAGS", "CONFIDENCE_LEVELS", "HIGH_SIMILARITY", "HISTORY_EXCHANGES", "KEYWORD_FLOOR_SIMILARITY",
    "LINK_REPLACEMENT", "PLANTED_RUN", "OutputGuard", "guarded_fallback", "planted_lines", "LOW_SIMILARITY", "MEDIUM_SIMILARITY", "MOMENT_PASSAGES", "OFFLINE_LABEL",
    "URL_REPLACEMENT", "Citation", "Coverage", "Moment", "Plan", "answer_plan", "offline_answer", "SafeStream", "ScoredMoment", "answer_from_moments",
    "answer_html", "cited_only", "citations_for", "citations_from_dicts", "confidence_for", "coverage_for", "embed_stored_first",
    "is_injection", "is_self_question", "moment_citations", "moments_chosen", "moments_for", "moments_scored",
    "passage_moments", "prompt_messages", "quotable", "refusal", "related_moments", "with_antecedents", "self_answer", "strip_unknown_citations",
    "unsafe_piece",
]  # fmt: skip
