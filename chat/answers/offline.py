"""Picking the sentences that answer a question, deciding whether the videos answer it at all, and
the offline answer (no LLM key, the default) built from them.

Every sentence (moment) of the best passages is scored against the question by meaning (cosine
similarity of the local embedding model, one batch for all of them) plus the share of the
question's words it holds, plus a little of its passage's own similarity (a sentence of the passage
retrieval found best is more likely to be the answer than an equally similar one elsewhere).

"Not covered" is decided from four measured signals, calibrated on Spoken-SQuAD (bench/answers.py,
curve and chosen point in docs/BENCHMARKS.md): the best sentence's similarity, the best passage's
similarity, the share of the question's words found in the best sentences, and how much of the
question's term weight the best passage matches (its BM25 share, from retrieval: rare words such
as names count most, so a near miss that never names what was asked scores low). Pure functions:
the vectors are computed by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from chat.answers.citations import _MARKER, Citation, _numbers
from chat.answers.coverage import confidence_for
from chat.answers.moments import Moment, moments_for
from chat.answers.safety import is_injection
from chat.answers.text import _markdown_text, _name
from yoppy.transcripts import terms as _terms

if TYPE_CHECKING:
    from chat.retrieval import Passage

OFFLINE_LABEL = "**Offline answer** (no AI model configured)"
MAX_QUOTES = 3
# Passages whose sentences are scored: 6 rather than 3 finds the answering sentence more often
# (bench/answers.py, docs/BENCHMARKS.md: answer_hit 0.635 -> 0.649 on dev, 0.579 -> 0.605 on test).
MOMENT_PASSAGES = 6
# Sentences scored per question at most. Their vectors are stored at ingestion, so this bounds
# the few embedded on asking (sentences of chunks kept before) and the scoring; beyond it, the ones
# sharing fewest question words, from the lower-ranked passages, are left out.
MAX_EMBEDDED = 40

# --- scoring (weights measured on the dev split of bench/answers.py) ------------------------
TERM_WEIGHT = 0.2
PASSAGE_WEIGHT = 0.5
# Added to a sentence holding what the question asks for: a number for "how many / how much /
# how long ...", a time (year, month, "century", a number) for "when / what year ..."
# (answer_type_fit). Measured on the dev split of bench/answers.py (docs/BENCHMARKS.md).
TYPE_WEIGHT = 0.1
# A further sentence is quoted when it scores within this of the best (and, from another video,
# only when it holds question words the sentences already chosen do not).
QUOTE_MARGIN = 0.15
# Quote the sentence before one that opens with a pronoun (see with_antecedents).
ANTECEDENTS = True

# --- coverage: covered = COVER_SENTENCE * best sentence similarity + COVER_PASSAGE * best
# passage similarity + COVER_TERMS * share of question words in the top sentences
# + COVER_KEYWORD * the best passage's keyword share >= COVERED_AT.
COVER_SENTENCE = 1.0
COVER_PASSAGE = 1.0
COVER_TERMS = 0.5
COVER_KEYWORD = 1.0
# Chosen on the dev split of 2,000 questions (docs/BENCHMARKS.md): the highest refusal with at
# most 5% of in-scope questions refused.
COVERED_AT = 1.48

# --- related moments offered with a refusal: a sentence at least this similar to the question
# (below what "covered" needs), one per video, at most MAX_RELATED. Measured in bench/answers.py:
# at 0.55 no refused out-of-scope question is offered any, while 78% of in-scope ones would be
# (holding the answer 45% of the time); at 0.50, 2.5% of out-of-scope ones are (docs/BENCHMARKS.md).
RELATED_AT = 0.55
MAX_RELATED = 3


@dataclass(frozen=True)
class ScoredMoment:
    moment: Moment
    similarity: float  # cosine similarity of the sentence to the question
    overlap: float  # share of the question's content words the sentence holds
    score: float


@dataclass(frozen=True)
class Coverage:
    covered: bool
    value: float  # the combined signal compared with COVERED_AT
    sentence_similarity: float
    passage_similarity: float
    term_share: float  # share of the question's words in the best sentences
    keyword_share: float  # the best passage's share of the question's term weight (Passage.keyword_share)


def quotable(moments: Sequence[Moment]) -> list[Moment]:
    """The moments that may be quoted: not empty, and not a planted instruction (safety)."""
    return [moment for moment in moments if moment.text.strip() and not is_injection(moment.text)]


_QUANTITY_QUESTION = re.compile(
    r"\bhow (many|much|long|far|old|big|large|high|tall|often|fast|heavy|deep|wide)\b"
    r"|\bwhat (percentage|percent|proportion|number|amount|fraction|temperature)\b",
    re.IGNORECASE,
)
_TIME_QUESTION = re.compile(
    r"^\W*when\b|\bwhen (did|was|were|is|does|do|will|had|has)\b"
    r"|\b(what|which|in what|in which) (year|years|century|decade|date|day|month|season|era|period|age)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand "
    "million billion trillion dozen half quarter percent"
)
_NUMBER = re.compile(rf"\d|\b({'|'.join(_NUMBER_WORDS.split())})\b", re.IGNORECASE)
_TIME = re.compile(
    r"\d|\b(century|centuries|decade|decades|year|years|ago|january|february|march|april|may|june|july|"
    rf"august|september|october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    rf"spring|summer|autumn|winter|{'|'.join(_NUMBER_WORDS.split())})\b",
    re.IGNORECASE,
)


def answer_type_fit(question: str, sentence: str) -> float:
    """1.0 when ``sentence`` holds the kind of thing ``question`` asks for and the kind is one
    that can be seen in text (a quantity, a time), else 0.0. A "how many" question is answered by
    a sentence with a number in it far more often than by one that only repeats its words."""
    if _QUANTITY_QUESTION.search(question):
        return 1.0 if _NUMBER.search(sentence) else 0.0
    if _TIME_QUESTION.search(question):
        return 1.0 if _TIME.search(sentence) else 0.0
    return 0.0


def moments_scored(
    *,
    question: str,
    moments: Sequence[Moment],
    passages: Sequence[Passage],
    question_vector: np.ndarray,
    moment_vectors: np.ndarray,
) -> list[ScoredMoment]:
    """``moments`` scored against the question, best first. Vectors are unit length (as the
    embedding providers return them); ``moment_vectors[i]`` belongs to ``moments[i]``."""
    if not moments:
        return []
    similarities = np.asarray(moment_vectors, dtype=np.float32) @ np.asarray(
        question_vector, dtype=np.float32
    )
    question_terms = _terms(question)
    scored = []
    for moment, similarity in zip(moments, similarities, strict=True):
        overlap = len(question_terms & _terms(moment.text)) / len(question_terms) if question_terms else 0.0
        passage_similarity = float(passages[moment.passage].similarity)
        score = float(similarity) + TERM_WEIGHT * overlap + PASSAGE_WEIGHT * passage_similarity
        if TYPE_WEIGHT:
            score += TYPE_WEIGHT * answer_type_fit(question, moment.text)
        scored.append(ScoredMoment(moment, float(similarity), overlap, score))
    scored.sort(key=lambda item: (-item.score, item.moment.passage, item.moment.start_s))
    return scored


def coverage_for(*, question: str, scored: Sequence[ScoredMoment], passages: Sequence[Passage]) -> Coverage:
    """Whether the videos answer the question, from the measured signals (see the constants)."""
    if not scored or not passages:
        return Coverage(False, 0.0, 0.0, 0.0, 0.0, 0.0)
    sentence = max(item.similarity for item in scored)
    passage = max(float(p.similarity) for p in passages)
    question_terms = _terms(question)
    top_terms: set[str] = set()
    for item in scored[:MAX_QUOTES]:
        top_terms |= _terms(item.moment.text)
    share = len(question_terms & top_terms) / len(question_terms) if question_terms else 0.0
    keyword = float(passages[0].keyword_share)
    value = COVER_SENTENCE * sentence + COVER_PASSAGE * passage + COVER_TERMS * share + COVER_KEYWORD * keyword
    return Coverage(value >= COVERED_AT, value, sentence, passage, share, keyword)


def moments_chosen(
    *, question: str, scored: Sequence[ScoredMoment], passages: Sequence[Passage]
) -> list[Moment]:
    """1 to ``MAX_QUOTES`` sentences to quote, in the order they are said (video by video).

    The best sentence always; another one when it scores within ``QUOTE_MARGIN`` of the best; from
    another video only if it also holds a question word the chosen ones lack (it adds something).
    """
    if not scored:
        return []
    best = scored[0]
    chosen = [best]
    question_terms = _terms(question)
    covered = question_terms & _terms(best.moment.text)
    videos = {passages[best.moment.passage].video_id}
    for item in scored[1:]:
        if len(chosen) == MAX_QUOTES or item.score < best.score - QUOTE_MARGIN:
            break
        video = passages[item.moment.passage].video_id
        new_terms = (question_terms & _terms(item.moment.text)) - covered
        if video not in videos and not new_terms:
            continue
        chosen.append(item)
        covered |= new_terms
        videos.add(video)
    order = {}
    for item in chosen:
        order.setdefault(passages[item.moment.passage].video_id, len(order))
    chosen.sort(key=lambda item: (order[passages[item.moment.passage].video_id], item.moment.start_s))
    return [item.moment for item in chosen]


# A sentence opening with one of these says what it says of something named before it ("He
# founded it in 1870"): quoted alone it may not hold the answer at all, so the sentence before it
# in the same passage is quoted with it.
ANAPHORS = frozenset(
    """he she it its it's they their them this these those his her hers such both there's""".split()  # noqa: SIM905
)
_LEADING = re.compile(r"^[\W_]+")


def with_antecedents(chosen: Sequence[Moment], moments: Sequence[Moment]) -> list[Moment]:
    """``chosen`` with each sentence that opens with an anaphor joined to the sentence before it in
    its passage (one moment from that sentence's start), unless that one is quoted anyway.
    ``moments`` are all the quotable moments of the passages, in order."""
    previous: dict[Moment, Moment] = {}
    for before, moment in zip(moments, moments[1:], strict=False):
        if before.passage == moment.passage:
            previous[moment] = before
    kept = set(chosen)
    result = []
    for moment in chosen:
        first = _LEADING.sub("", moment.text).split(" ", 1)[0].lower()
        before = previous.get(moment)
        if first in ANAPHORS and before is not None and before not in kept:
            moment = Moment(
                passage=moment.passage, start_s=before.start_s, end_s=moment.end_s,
                text=f"{before.text} {moment.text}",
            )  # fmt: skip
        result.append(moment)
    return result


def related_moments(plan: Plan) -> list[Moment]:
    """Moments to offer under "related moments" with a refusal: none when the question is covered
    (an answer lists its sources instead); else the best-scored sentences at least ``RELATED_AT``
    similar to the question, one per video, at most ``MAX_RELATED``, best first."""
    if plan.coverage.covered:
        return []
    chosen: list[Moment] = []
    videos: set[int] = set()
    for item in plan.scored:
        video = plan.passages[item.moment.passage].video_id
        if item.similarity < RELATED_AT or video in videos:
            continue
        chosen.append(item.moment)
        videos.add(video)
        if len(chosen) == MAX_RELATED:
            break
    return chosen


def moment_citations(moments: Sequence[Moment], passages: Sequence[Passage]) -> list[Citation]:
    """One citation per moment, numbered 1..n in the given order, at the moment's own seconds."""
    return [
        Citation.of(passages[moment.passage], number=number, start_s=moment.start_s, end_s=moment.end_s)
        for number, moment in enumerate(moments, start=1)
    ]


def answer_from_moments(*, creator_name: str, moments: Sequence[Moment], confidence: str) -> str:
    """The offline markdown answer: each chosen sentence in quotes, followed by its marker [n]
    (the numbers of ``moment_citations(moments, ...)``)."""
    name = _markdown_text(_name(creator_name))
    if confidence == "low":
        intro = f"{OFFLINE_LABEL}: the closest {name} comes to this in the videos:"
    else:
        intro = f"{OFFLINE_LABEL}: here is what {name} says in the videos:"
    quotes = [
        f'> "{_markdown_text(moment.text)}" [{number}]' for number, moment in enumerate(moments, start=1)
    ]
    return "\n\n".join([intro, *quotes])


def refusal(*, creator_name: str, offline: bool) -> str:
    """The honest answer when the videos do not cover a question: in the persona's voice, citing
    nothing, and never a guess."""
    name = _markdown_text(_name(creator_name))
    text = (
        f"I don't think I've covered that in my videos, so I'd rather not guess. I'm an AI persona "
        f"built from {name}'s videos and only answer from what {name} says in them: try asking "
        f"about something from the videos."
    )
    return f"{OFFLINE_LABEL}: {text}" if offline else text


def cited_only(text: str, citations: Sequence[Citation]) -> tuple[str, list[Citation]]:
    """``text`` and the citations it actually cites, renumbered 1..k in order of first mention.
    Markers naming no citation are removed, so the answer lists only the sources it cites."""
    by_number = {citation.number: citation for citation in citations}
    renumber: dict[int, int] = {}
    for match in _MARKER.finditer(text):
        for number in _numbers(match["numbers"]):
            if number in by_number and number not in renumber:
                renumber[number] = len(renumber) + 1

    def rewrite(match) -> str:
        numbers = [renumber[n] for n in _numbers(match["numbers"]) if n in renumber]
        unique = list(dict.fromkeys(numbers))
        return match["space"] + "[" + ", ".join(str(n) for n in unique) + "]" if unique else ""

    rewritten = _MARKER.sub(rewrite, text)
    kept = [
        Citation(
            number=new,
            video_id=by_number[old].video_id,
            video_title=by_number[old].video_title,
            youtube_id=by_number[old].youtube_id,
            start_s=by_number[old].start_s,
            end_s=by_number[old].end_s,
            thumbnail_url=by_number[old].thumbnail_url,
        )  # fmt: skip
        for old, new in renumber.items()
    ]
    return rewritten, kept


@dataclass(frozen=True)
class Plan:
    """What both modes answer from: the quotable moments of the best passages, scored, and the
    coverage decision with its confidence label."""

    passages: tuple[Passage, ...]
    moments: tuple[Moment, ...]
    scored: tuple[ScoredMoment, ...]
    coverage: Coverage
    confidence: str


def answer_plan(
    *,
    question: str,
    passages: Sequence[Passage],
    question_vector: np.ndarray,
    embed: Callable[[list[str]], np.ndarray],
) -> Plan:
    """Score the sentences of the best ``MOMENT_PASSAGES`` passages (one ``embed`` call for all of
    them) and decide coverage. Planted instruction lines are left out before anything else."""
    used = tuple(passages[:MOMENT_PASSAGES])
    moments = tuple(_capped(question, quotable(moments_for(used))))
    vectors = embed([moment.text for moment in moments]) if moments else np.zeros((0, len(question_vector)))
    scored = tuple(
        moments_scored(
            question=question,
            moments=moments,
            passages=used,
            question_vector=question_vector,
            moment_vectors=vectors,
        )  # fmt: skip
    )
    coverage = coverage_for(question=question, scored=scored, passages=used)
    if not coverage.covered:
        confidence = "not_covered"
    else:
        label = confidence_for(used)
        confidence = "low" if label == "not_covered" else label
    return Plan(used, moments, scored, coverage, confidence)


def embed_stored_first(
    stored: Mapping[str, np.ndarray], embed: Callable[[list[str]], np.ndarray]
) -> Callable[[list[str]], np.ndarray]:
    """An ``embed`` for ``answer_plan`` that takes each sentence's vector from ``stored`` (the
    vectors kept at ingestion, by sentence text) and embeds only the others, in one call."""

    def embed_with_stored(texts: list[str]) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in stored]
        fresh = dict(zip(missing, np.asarray(embed(missing), dtype=np.float32), strict=True)) if missing else {}
        return np.asarray([stored[text] if text in stored else fresh[text] for text in texts], dtype=np.float32)

    return embed_with_stored


def _capped(question: str, moments: list[Moment]) -> list[Moment]:
    """At most ``MAX_EMBEDDED`` moments, keeping those sharing most question words (ties: the
    better passage, then the earlier moment), in their original order."""
    if len(moments) <= MAX_EMBEDDED:
        return moments
    question_terms = _terms(question)
    ranked = sorted(
        range(len(moments)),
        key=lambda i: (-len(question_terms & _terms(moments[i].text)), moments[i].passage, i),
    )
    keep = set(ranked[:MAX_EMBEDDED])
    return [moment for i, moment in enumerate(moments) if i in keep]


def offline_answer(*, creator_name: str, question: str, plan: Plan) -> tuple[str, list[Citation]]:
    """The offline answer's markdown and the citations it cites: a refusal (citing nothing) when
    the videos do not cover the question, else 1-3 sentences each cited to its own moment."""
    if not plan.coverage.covered:
        return refusal(creator_name=creator_name, offline=True), []
    chosen = moments_chosen(question=question, scored=plan.scored, passages=plan.passages)
    if ANTECEDENTS:
        chosen = with_antecedents(chosen, quotable(moments_for(plan.passages)))
    text = answer_from_moments(creator_name=creator_name, moments=chosen, confidence=plan.confidence)
    return text, moment_citations(chosen, plan.passages)
