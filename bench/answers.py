"""Offline answer quality and "not covered" decisions on Spoken-SQuAD, old answerer vs new, one run.

    .venv/bin/python -m bench.answers --no-sweep            # 1,000 questions a side, ~4 min
    .venv/bin/python -m bench.answers                       # with the answer-building sweep
    .venv/bin/python -m bench.answers --questions 300 --captions auto

Spoken-SQuAD's test split (ASR transcripts of 48 Wikipedia articles read aloud): the articles are
sorted by title and every other one is ingested as the bench channel (each paragraph a video,
chunked and embedded by the product's own code, with caption cues), the rest are out of scope
(same kind of text, so many out-of-scope questions are near misses). ``--captions punctuated``
gives one cue per sentence, as manual captions; ``--captions auto`` strips punctuation and cuts
cues of 6-9 words with no pause between them, as YouTube's automatic captions, so sentences must
be found without full stops.

Questions are sampled (seeded) from both sides and split in two halves by question id: **dev**,
on which the coverage signals are calibrated (the trade-off curve is printed), and **test**, on
which every figure is reported with the product's constants (chat/answers/offline.py).

Per question both answerers see the same ``passages_search`` result. Figures:
- answer_hit: in-scope questions not refused whose answer text holds a gold answer (SQuAD
  normalisation: lower case, no punctuation or articles);
- first_hit: the same for the first quoted sentence (excerpt for the old answerer);
- citation precision: listed sources that hold a gold answer (the old answerer lists every
  retrieved passage; the new one its quoted sentences);
- refusal: out-of-scope questions answered "not covered"; false_refusal: in-scope ones refused;
- time to the first piece (new): retrieval + sentence scoring + composing, p50/p95.

The last line is ``answer_hit = 0.NNN refusal = 0.NNN false_refusal = 0.NNN`` (new answerer, test).
Results: docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import signal
import statistics
import string
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import django
import numpy as np

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("YOPPY_REALDATA", REPO.parent / "shared" / "realdata"))
DATASET = REALDATA / "qa_benchmark" / "spoken_squad" / "spoken_test-v1.1.json"
WORDS_PER_S = 2.5
# The ceiling on in-scope questions refused: coverage is calibrated to the highest refusal
# of out-of-scope questions that keeps dev's false refusals at or under it.
MAX_FALSE_REFUSAL = 0.05


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    article: str
    in_scope: bool


@dataclass
class Outcome:
    question: Question
    old: dict = field(default_factory=dict)
    new: dict = field(default_factory=dict)
    first_piece_ms: float = 0.0
    cpu_ms: float = 0.0
    live: bool = False

    @property
    def signals(self) -> tuple[float, float, float, float]:
        return self.new["signals"]


def normalise(text: str) -> str:
    """SQuAD's answer normalisation."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation) | {"\u201c", "\u201d", "\u2026"})
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def holds(text: str, answers: tuple[str, ...]) -> bool:
    haystack = f" {normalise(text)} "
    return any(f" {normalise(answer)} " in haystack for answer in answers if normalise(answer))


def quotes(markdown: str) -> list[str]:
    """The quoted sentences of an offline answer, in order."""
    return [match.group(1) for match in re.finditer(r'^> "(.*)" \[\d+\]$', markdown, re.M)]


def cues_for(text: str, *, mode: str, rng: random.Random) -> list[tuple[float, float, str]]:
    """Caption cues for a paragraph read at WORDS_PER_S: one per sentence (with a short pause
    after it) or, for ``auto``, unpunctuated runs of 6-9 words back to back."""
    cues, clock = [], 0.0
    if mode == "punctuated":
        for sentence in (s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()):
            seconds = len(sentence.split()) / WORDS_PER_S
            cues.append((clock, clock + seconds, sentence))
            clock += seconds + 0.5
        return cues
    words = re.sub(r"[.?!,;:]", " ", text).split()
    index = 0
    while index < len(words):
        size = rng.randint(6, 9)
        part = words[index : index + size]
        seconds = len(part) / WORDS_PER_S
        cues.append((clock, clock + seconds, " ".join(part)))
        clock += seconds
        index += size
    return cues


def load(questions_per_side: int) -> tuple[list[dict], list[Question]]:
    data = json.loads(DATASET.read_text())["data"]
    articles = sorted(data, key=lambda article: article["title"])
    ingested = articles[0::2]
    outside = articles[1::2]
    pools: dict[bool, list[Question]] = {True: [], False: []}
    for in_scope, group in ((True, ingested), (False, outside)):
        for article in group:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    pools[in_scope].append(
                        Question(
                            id=qa["id"],
                            text=qa["question"].strip(),
                            answers=tuple(answer["text"] for answer in qa["answers"]),
                            article=article["title"],
                            in_scope=in_scope,
                        )  # fmt: skip
                    )
    rng = random.Random(11)
    sample = rng.sample(pools[True], questions_per_side) + rng.sample(pools[False], questions_per_side)
    return ingested, sample


def cached_vectors(provider, texts: list[str]) -> np.ndarray:
    """The texts' embeddings, kept in var/ between runs (keyed by model and texts): re-embedding
    the same 1,100 chunks on every run costs minutes and measures nothing new."""
    key = hashlib.sha256("\n".join([provider.name, *texts]).encode()).hexdigest()[:16]
    path = REPO / "var" / f"bench_answers_{key}.npy"
    if path.exists():
        return np.load(path)
    vectors = np.asarray(provider.embed_documents(texts), dtype=np.float32)
    path.parent.mkdir(exist_ok=True)
    np.save(path, vectors)
    return vectors


def is_dev(question: Question) -> bool:
    return int(hashlib.sha256(question.id.encode()).hexdigest(), 16) % 2 == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--questions", type=int, default=1000, help="questions per side (in scope, out of scope)"
    )
    parser.add_argument("--captions", choices=("punctuated", "auto"), default="punctuated")
    parser.add_argument(
        "--live-timing", type=int, default=40,
        help="the first N questions embed their sentences at question time (today's path) for the timing",
    )  # fmt: skip
    parser.add_argument("--no-sweep", action="store_true", help="skip the answer-building sweep (slow)")
    args = parser.parse_args()
    if not DATASET.exists():
        sys.exit(f"Spoken-SQuAD not found at {DATASET}: set YOPPY_REALDATA to the realdata folder.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()
    from django.db import connection

    name = f"bench_answers_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    try:
        run(args)
    finally:
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(args: argparse.Namespace) -> None:
    from bench import baseline_answerer as old
    from bench.retrieval import set_chunks_count
    from channels_app.models import Channel, Chunk, Video
    from channels_app.services.captions import Segment
    from channels_app.services.chunking import chunk_segments
    from chat import answers
    from chat.answers import offline
    from chat.retrieval import passages_search
    from yoppy.ai.embeddings import embedding_provider
    from yoppy.users.models import User
    from yoppy.users.services import user_delete

    provider = embedding_provider()
    ingested, sample = load(args.questions)
    rng = random.Random(5)
    user = User.objects.create_user(email=f"bench-{time.time_ns()}@yoppy.invalid", password=None)
    try:
        channel = Channel.objects.create(
            owner=user, kind=Channel.Kind.UPLOADS, source_url="", source_key="bench-answers",
            title="Spoken-SQuAD bench", status=Channel.Status.READY,
        )  # fmt: skip
        rows = []
        for article in ingested:
            title = article["title"].replace("_", " ")
            for paragraph in article["paragraphs"]:
                video = Video.objects.create(
                    channel=channel, title=title, status=Video.Status.READY, captions_source="upload"
                )
                cues = cues_for(" ".join(paragraph["context"].split()), mode=args.captions, rng=rng)
                segments = [Segment(start, end, text) for start, end, text in cues]
                for chunk in chunk_segments(segments, title=title):
                    rows.append((video, chunk))
        started = time.perf_counter()
        vectors = cached_vectors(provider, [chunk.embed_text for _, chunk in rows])
        embed_s = time.perf_counter() - started
        Chunk.objects.bulk_create(
            [
                Chunk(
                    video=video,
                    channel=channel,
                    position=chunk.position,
                    start_s=chunk.start_s,
                    end_s=chunk.end_s,
                    text=chunk.text,
                    word_count=chunk.word_count,
                    cues=[list(cue) for cue in chunk.cues],
                    embedding=vector,
                    embedding_model=provider.name,
                    embedding_dim=provider.dimension,
                )  # fmt: skip
                for (video, chunk), vector in zip(rows, vectors, strict=True)
            ],
            batch_size=500,
        )
        set_chunks_count(channel, len(rows))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"model: {provider.name} ({provider.dimension}-d); captions: {args.captions}")
        print(
            f"channel: {len(ingested)} of 48 articles, {len(rows)} chunks ({embed_s:.0f} s to embed); "
            f"{len(sample)} questions ({args.questions} in scope, {args.questions} out of scope)"
        )
        # Sentence vectors as ingestion would store them: every sentence of every chunk, embedded
        # once (cached in var/ like the chunk vectors; the first run's time is the ingest cost).
        chunk_passages = [_chunk_passage(chunk) for _, chunk in rows]
        sentences = sorted({m.text for m in answers.quotable(answers.moments_for(chunk_passages))})
        started = time.perf_counter()
        stored = dict(zip(sentences, cached_vectors(provider, sentences), strict=True))
        print(f"sentence vectors: {len(sentences)} sentences ({time.perf_counter() - started:.0f} s to embed "
              f"or load), {len(sentences) / len(rows):.1f} per chunk")  # fmt: skip
        provider.embed_query("warm up")
        passages_search(query="warm up", channel_ids=[channel.pk])
        misses = [0, 0]

        def embed_stored(texts):
            """Stored vectors where a sentence is one of a chunk's; the rest (sentences across two
            merged chunks) embedded now."""
            missing = [text for text in texts if text not in stored]
            misses[0] += len(missing)
            misses[1] += len(texts)
            if missing:
                stored.update(zip(missing, provider.embed_documents(missing), strict=True))
            return np.asarray([stored[text] for text in texts], dtype=np.float32)

        creator = "Spoken-SQuAD bench"
        k = max(6, offline.MOMENT_PASSAGES)
        outcomes, cache = [], []
        for number, question in enumerate(sample):
            outcome = Outcome(question)
            live = number < args.live_timing
            started = time.perf_counter()
            cpu_started = time.process_time()
            passages = passages_search(query=question.text, channel_ids=[channel.pk], k=k)
            vector = provider.embed_query(question.text)
            plan = answers.answer_plan(
                question=question.text, passages=passages, question_vector=vector,
                embed=provider.embed_documents if live else embed_stored,
            )  # fmt: skip
            text, citations = answers.offline_answer(creator_name=creator, question=question.text, plan=plan)
            outcome.first_piece_ms = (time.perf_counter() - started) * 1000
            outcome.cpu_ms = (time.process_time() - cpu_started) * 1000
            outcome.live = live
            outcome.new = _new_outcome(plan, text)
            # The old answerer: every passage listed as a source, excerpts of ~30 words.
            old_passages = passages[:6]
            confidence = old.confidence_for(old_passages)
            old_text = old.answer_offline(
                creator_name=creator, question=question.text, passages=old_passages, confidence=confidence
            )
            outcome.old = {
                "refused": confidence == "not_covered", "text": old_text, "quotes": quotes(old_text),
                "sources": [p.text for p in old_passages],
            }  # fmt: skip
            outcomes.append(outcome)
            cache.append((question, passages, vector))
        print(f"sentences embedded at question time (not stored): {misses[0]} of {misses[1]}")

        report(outcomes, offline)
        memo: dict[tuple[str, int], list] = {}

        def search(text: str, n: int) -> list:
            if (text, n) not in memo:
                memo[text, n] = passages_search(query=text, channel_ids=[channel.pk], k=max(6, n))
            return memo[text, n]

        if args.no_sweep:
            final = globals()["_FINAL"]
            print(
                f"answer_hit = {final['answer_hit']:.3f} refusal = {final['refusal']:.3f} "
                f"false_refusal = {final['false_refusal']:.3f}"
            )
        else:
            sweep(cache, offline, answers, creator, embed_stored, search)
    finally:
        user_delete(user=user)


def _chunk_passage(chunk):
    from chat.retrieval import Passage

    return Passage(
        chunk_ids=(0,), channel_id=0, video_id=0, video_title="", youtube_id="", thumbnail_url="",
        start_s=chunk.start_s, end_s=chunk.end_s, text=chunk.text, score=0.0, similarity=0.0,
        keyword_hit=False, cues=tuple(tuple(cue) for cue in chunk.cues),
    )  # fmt: skip


def _new_outcome(plan, text: str) -> dict:
    return {
        "refused": not plan.coverage.covered, "text": text, "quotes": quotes(text),
        "scored": [(item.similarity, plan.passages[item.moment.passage].video_id, item.moment.text)
                   for item in plan.scored[:40]],
        "signals": (plan.coverage.sentence_similarity, plan.coverage.passage_similarity,
                    plan.coverage.term_share, plan.coverage.keyword_share),
    }  # fmt: skip


def metrics(outcomes: list[Outcome], side: str) -> dict[str, float]:
    inside = [o for o in outcomes if o.question.in_scope]
    outside = [o for o in outcomes if not o.question.in_scope]
    hits = first = 0
    cited = cited_right = 0
    for outcome in inside:
        result = getattr(outcome, side)
        if result["refused"]:
            continue
        quoted = result["quotes"]
        hits += any(holds(q, outcome.question.answers) for q in quoted)
        first += bool(quoted) and holds(quoted[0], outcome.question.answers)
        sources = result.get("sources", quoted)
        cited += len(sources)
        cited_right += sum(holds(s, outcome.question.answers) for s in sources)
    return {
        "answer_hit": hits / max(1, len(inside)),
        "first_hit": first / max(1, len(inside)),
        "citation_precision": cited_right / max(1, cited),
        "sources_per_answer": cited / max(1, sum(not getattr(o, side)["refused"] for o in inside)),
        "refusal": sum(getattr(o, side)["refused"] for o in outside) / max(1, len(outside)),
        "false_refusal": sum(getattr(o, side)["refused"] for o in inside) / max(1, len(inside)),
    }


def curve(
    outcomes: list[Outcome], weights: tuple[float, float, float, float]
) -> list[tuple[float, float, float]]:
    """(threshold, refusal, false refusal) for the combined signal with ``weights``."""
    values = [
        (sum(w * s for w, s in zip(weights, o.signals, strict=True)), o.question.in_scope) for o in outcomes
    ]
    inside = sum(1 for _, scope in values if scope)
    outside = len(values) - inside
    points = []
    for threshold in np.arange(0.20, 3.00, 0.01):
        refused_out = sum(1 for v, scope in values if not scope and v < threshold)
        refused_in = sum(1 for v, scope in values if scope and v < threshold)
        points.append((float(threshold), refused_out / max(1, outside), refused_in / max(1, inside)))
    return points


def report(outcomes: list[Outcome], offline) -> None:
    dev = [o for o in outcomes if is_dev(o.question)]
    test = [o for o in outcomes if not is_dev(o.question)]
    print(f"\ndev {len(dev)} questions, test {len(test)} questions")
    print(f"\ncalibration on dev: best refusal with false refusal <= {MAX_FALSE_REFUSAL}, per weight set")
    print("w_sentence w_passage w_terms w_keyword  threshold  refusal  false_refusal")
    best = None
    for w_passage in (0.0, 0.5, 1.0, 1.5):
        for w_terms in (0.0, 0.3, 0.5, 0.7):
            for w_keyword in (0.0, 0.5, 0.75, 1.0, 1.25):
                weights = (1.0, w_passage, w_terms, w_keyword)
                ok = [p for p in curve(dev, weights) if p[2] <= MAX_FALSE_REFUSAL]
                if not ok:
                    continue
                point = max(ok, key=lambda p: (p[1], -p[2]))
                print(f"   1.0       {w_passage:.2f}     {w_terms:.2f}     {w_keyword:.2f}         "
                      f"{point[0]:.2f}     {point[1]:.3f}    {point[2]:.3f}")  # fmt: skip
                if best is None or point[1] > best[1][1]:
                    best = (weights, point)
    product = (
        offline.COVER_SENTENCE,
        offline.COVER_PASSAGE,
        offline.COVER_TERMS,
        offline.COVER_KEYWORD,
    )
    print(f"best on dev: weights {best[0]} threshold {best[1][0]:.2f}; product: weights {product} "
          f"threshold {offline.COVERED_AT:.2f}")  # fmt: skip
    print("\ntrade-off curve of the product's weights (dev | test):")
    print("threshold  refusal  false_refusal | refusal  false_refusal")
    for (threshold, r_dev, f_dev), (_, r_test, f_test) in zip(
        curve(dev, product), curve(test, product), strict=True
    ):
        if (0.0 < f_dev <= 0.2 and round(threshold * 100) % 2 == 0) or abs(
            threshold - offline.COVERED_AT
        ) < 0.005:
            mark = "  <- chosen" if abs(threshold - offline.COVERED_AT) < 0.005 else ""
            print(
                f"  {threshold:.2f}     {r_dev:.3f}    {f_dev:.3f}     |  {r_test:.3f}    {f_test:.3f}{mark}"
            )
    print("\nresults on test (product constants):")
    print("answerer  answer_hit  first_hit  citation_precision  sources/answer  refusal  false_refusal")
    for side in ("old", "new"):
        m = metrics(test, side)
        print(f"{side:8s}  {m['answer_hit']:.3f}       {m['first_hit']:.3f}      {m['citation_precision']:.3f}"
              f"               {m['sources_per_answer']:.2f}            {m['refusal']:.3f}    {m['false_refusal']:.3f}")  # fmt: skip
    m_dev = metrics(dev, "new")
    print(f"new on dev: answer_hit {m_dev['answer_hit']:.3f} refusal {m_dev['refusal']:.3f} "
          f"false_refusal {m_dev['false_refusal']:.3f}")  # fmt: skip
    load = os.getloadavg()
    for live, label in ((False, "stored sentence vectors"), (True, "sentences embedded at question time")):
        group = [o for o in outcomes if o.live == live]
        if not group:
            continue
        wall = sorted(o.first_piece_ms for o in group)
        cpu = sorted(o.cpu_ms for o in group)
        print(
            f"time to first piece ({label}, {len(group)} questions): p50 {statistics.median(wall):.0f} ms, "
            f"p95 {wall[int(0.95 * (len(wall) - 1))]:.0f} ms; this process's CPU time p50 "
            f"{statistics.median(cpu):.0f} ms, p95 {cpu[int(0.95 * (len(cpu) - 1))]:.0f} ms "
            f"(load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f})"
        )
    globals()["_FINAL"] = metrics(test, "new")
    related_curve(outcomes, offline)


def related_curve(outcomes: list[Outcome], offline) -> None:
    """Related moments offered with a refusal, by sentence-similarity threshold (all questions):
    out of scope, the videos do not hold the answer, so what is offered is at best same-domain;
    in scope (refused wrongly, or every in-scope question as if refused), what is offered should
    hold the answer or be near it."""
    print("\nrelated moments with a refusal: threshold | refused out of scope offered any | in scope "
          "(as if refused) offered any | ... whose related moments hold the gold answer")
    for threshold in (0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70):
        out = [o for o in outcomes if not o.question.in_scope and o.new["refused"]]
        inside = [o for o in outcomes if o.question.in_scope]
        offered_out = sum(any(sim >= threshold for sim, _, _ in o.new["scored"]) for o in out)
        offered_in = holding = 0
        for o in inside:
            seen, related = set(), []
            for sim, video, text in o.new["scored"]:
                if sim >= threshold and video not in seen:
                    seen.add(video)
                    related.append(text)
            related = related[: offline.MAX_RELATED]
            offered_in += bool(related)
            holding += any(holds(text, o.question.answers) for text in related)
        mark = "  <- chosen" if abs(threshold - offline.RELATED_AT) < 0.001 else ""
        print(f"  {threshold:.2f} | {offered_out / max(1, len(out)):.3f} | {offered_in / max(1, len(inside)):.3f} "
              f"| {holding / max(1, len(inside)):.3f}{mark}")  # fmt: skip


def sweep(cache, offline, answers, creator: str, embed, search) -> None:
    """Answer-building choices on dev (and test, to show the noise): passages whose sentences are
    scored, sentences embedded at most, antecedents of pronoun sentences; with each, the coverage
    threshold giving the best refusal at false refusal <= MAX_FALSE_REFUSAL on dev with the product's weights."""
    print("\nanswer building (dev | test): passages cap antecedents  threshold | answer_hit first_hit refusal "
          "false_refusal | answer_hit refusal false_refusal")  # fmt: skip
    defaults = (offline.MOMENT_PASSAGES, offline.MAX_EMBEDDED, offline.ANTECEDENTS, offline.COVERED_AT)
    weights = (offline.COVER_SENTENCE, offline.COVER_PASSAGE, offline.COVER_TERMS, offline.COVER_KEYWORD)
    try:
        for passages_n, cap, antecedents in (
            (3, 24, False), (3, 24, True), (6, 24, True), (6, 40, True), (6, 60, True), (8, 60, True),
            (10, 80, True),
        ):
            offline.MOMENT_PASSAGES, offline.MAX_EMBEDDED, offline.ANTECEDENTS = passages_n, cap, antecedents
            outcomes = []
            for question, passages, vector in cache:
                if len(passages) < passages_n:
                    passages = search(question.text, passages_n)
                offline.COVERED_AT = -1.0  # every question answered: refusal decided from the signals below
                plan = answers.answer_plan(
                    question=question.text, passages=passages, question_vector=vector, embed=embed
                )
                text, _ = answers.offline_answer(creator_name=creator, question=question.text, plan=plan)
                offline.COVERED_AT = defaults[3]
                outcome = Outcome(question)
                outcome.new = _new_outcome(plan, text)
                outcomes.append(outcome)
            dev = [o for o in outcomes if is_dev(o.question)]
            test = [o for o in outcomes if not is_dev(o.question)]
            ok = [p for p in curve(dev, weights) if p[2] <= MAX_FALSE_REFUSAL]
            threshold = max(ok, key=lambda p: (p[1], -p[2]))[0] if ok else defaults[3]
            row = []
            for group in (dev, test):
                for o in group:
                    o.new["refused"] = sum(w * v for w, v in zip(weights, o.signals, strict=True)) < threshold
                row.append(metrics(group, "new"))
            d, t = row
            print(f"  {passages_n:2d}  {cap:3d}  {antecedents!s:5s}  {threshold:.2f} | {d['answer_hit']:.3f} "
                  f"{d['first_hit']:.3f} {d['refusal']:.3f} {d['false_refusal']:.3f} | {t['answer_hit']:.3f} "
                  f"{t['refusal']:.3f} {t['false_refusal']:.3f}")  # fmt: skip
    finally:
        offline.MOMENT_PASSAGES, offline.MAX_EMBEDDED, offline.ANTECEDENTS, offline.COVERED_AT = defaults
    final = globals()["_FINAL"]
    print(
        f"answer_hit = {final['answer_hit']:.3f} refusal = {final['refusal']:.3f} "
        f"false_refusal = {final['false_refusal']:.3f}"
    )


if __name__ == "__main__":
    main()
