"""Retrieval quality and latency on Spoken-SQuAD, through ``passages_search`` itself.

    .venv/bin/python -m bench.retrieval                    # base run, ~5 min
    .venv/bin/python -m bench.retrieval --scale 1000000 --questions 1000                # ~25 min
    .venv/bin/python -m bench.retrieval --scale 1000000 --questions 1000 --filler same  # one big channel

Spoken-SQuAD's test split (ASR transcripts of 48 Wikipedia articles read aloud) becomes one bench
channel: each paragraph is a video titled after its article, cut into chunks by the product's own
chunker (one segment per sentence; most paragraphs make one chunk, long ones two or three, so
MiniLM's 256-word-piece limit loses no tail) and embedded as ingestion does (``title + "\\n" + text``).
Every question is a query; the relevant passage is any passage of its paragraph's video. Each query
goes through ``passages_search(mode=...)`` for dense-only, keyword-only and hybrid, and its latency
includes embedding the question.

``--scale N`` first measures the real paragraphs alone, then adds filler chunks until the chunk
table holds N, builds the indexes, and measures again, with a dense index-vs-exact check (see
``scale_up`` and ``filler_rows``). By default (``--filler others``) the filler belongs to other
channels of 5,000 chunks each, as on a platform of many creators where every question is asked of
one channel; ``--filler same`` puts it in the bench channel itself, one channel of N chunks. The
filler is real transcript speech on other topics, sprinkled with the benchmark's own words so it
competes on keywords (in the same channel), with vectors spread as real embeddings of such text
are (``fidelity`` prints how closely), and the real videos' chunks placed among it in the table as
a channel's history would.
Fair, with two known gaps: its topics come from 21 transcripts, fewer than a real million chunks
span (clustering that makes the index's work harder, not easier); and a row's residual is drawn
apart from its text, so its vector matches its own words less than a real embedding would
(cosine ~0.71 to the real one), which makes it a slightly weaker distractor for the hybrid score.
Every run uses a database of its own, created and dropped here, so the dev database never carries
a million rows or a rebuilt index, and everything belongs to a throwaway user deleted at the end.

The last line is ``R@5 hybrid = 0.NNN best_single = 0.NNN MRR hybrid = 0.NNN``.

Figures, the diagnosis of the earlier 1 M collapse and what the filler is: docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import django
import numpy as np

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("YOPPY_REALDATA", REPO.parent / "shared" / "realdata"))
DATASET = REALDATA / "qa_benchmark" / "spoken_squad" / "spoken_test-v1.1.json"
MODES = ("dense", "keyword", "hybrid")
CUTOFFS = (1, 5, 10)
CHUNK_COLUMNS = (
    "video_id", "channel_id", "position", "start_s", "end_s", "text", "word_count", "embedding",
    "embedding_model", "embedding_dim",
)  # fmt: skip
# Size of each filler channel with --filler others: a large creator's (a 500-video channel makes
# 8,000-10,000 chunks).
FILLER_CHANNEL_CHUNKS = 5000
CHUNK_TYPES = ["int8", "int8", "int4", "float8", "float8", "text", "int4", "vector", "text", "int2"]


@dataclass(frozen=True)
class Paragraph:
    title: str
    text: str
    questions: list[str]


def paragraphs() -> list[Paragraph]:
    data = json.loads(DATASET.read_text())
    return [
        Paragraph(
            title=article["title"].replace("_", " "),
            text=" ".join(paragraph["context"].split()),
            questions=[qa["question"].strip() for qa in paragraph["qas"]],
        )
        for article in data["data"]
        for paragraph in article["paragraphs"]
    ]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if s.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=0, help="total chunks in the bench channel")
    parser.add_argument("--questions", type=int, default=0, help="evaluate a random sample of questions")
    parser.add_argument(
        "--hnsw",
        default=None,
        help="with --scale: the HNSW build parameters, as 'm = 16, ef_construction = 64' "
        "(default: the product's, HNSW_PARAMS in channels_app/management/commands/reembed.py)",
    )
    parser.add_argument(
        "--filler",
        choices=("others", "same"),
        default="others",
        help="with --scale: filler in other channels of the table (a platform of many creators, the "
        "default) or in the bench channel itself (one channel of that size)",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the bench database for inspection")
    args = parser.parse_args()
    if not DATASET.exists():
        sys.exit(f"Spoken-SQuAD not found at {DATASET}: set YOPPY_REALDATA to the realdata folder.")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()
    from django.db import connection

    # A database of its own, beside the dev one on the same server: the scale run drops and rebuilds
    # the chunk indexes, and neither run should depend on (or disturb) the dev data and migrations.
    name = f"bench_retrieval_{os.getpid()}"
    connection.settings_dict["TEST"]["NAME"] = name
    started = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    print(f"database {name} created and migrated in {time.perf_counter() - started:.0f} s", flush=True)
    # A background run ignores SIGINT: make `kill` (SIGTERM) clean up too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))
    try:
        run(args)
    finally:
        connection.close()
        if args.keep_db:
            print(f"database {name} kept: drop it with DROP DATABASE {name}")
        else:
            with connection._nodb_cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(args: argparse.Namespace) -> None:
    from channels_app.models import Channel, Video
    from channels_app.services.captions import Segment
    from channels_app.services.chunking import chunk_segments
    from yoppy.ai.embeddings import embedding_provider
    from yoppy.users.models import User
    from yoppy.users.services import user_delete

    provider = embedding_provider()
    data = paragraphs()
    questions = [(q, i) for i, p in enumerate(data) for q in p.questions]
    if args.questions:
        questions = random.Random(7).sample(questions, args.questions)

    user = User.objects.create_user(email=f"bench-{time.time_ns()}@yoppy.invalid", password=None)
    try:
        channel = Channel.objects.create(
            owner=user, kind=Channel.Kind.UPLOADS, source_url="", source_key="bench-spoken-squad",
            title="Spoken-SQuAD bench", status=Channel.Status.READY,
        )  # fmt: skip
        videos = Video.objects.bulk_create(
            Video(channel=channel, title=p.title, status=Video.Status.READY, captions_source="upload")
            for p in data
        )
        video_ids = [v.pk for v in videos]
        rows, embed_texts = [], []
        for paragraph, video_id in zip(data, video_ids, strict=True):
            segments, clock = [], 0.0
            for sentence in sentences(paragraph.text):
                seconds = 0.4 * len(sentence.split())
                segments.append(Segment(clock, clock + seconds, sentence))
                clock += seconds
            for chunk in chunk_segments(segments, title=paragraph.title):
                rows.append((video_id, chunk))
                embed_texts.append(chunk.embed_text)
        started = time.perf_counter()
        vectors = provider.embed_documents(embed_texts)
        embed_s = time.perf_counter() - started
        copy_chunks(
            (video_id, channel.pk, c.position, c.start_s, c.end_s, c.text, c.word_count, vector, provider.name,
             provider.dimension)
            for (video_id, c), vector in zip(rows, vectors, strict=True)
        )  # fmt: skip
        set_chunks_count(channel, len(rows))
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
        print(f"model: {provider.name} ({provider.dimension}-d)")
        print(
            f"corpus: {len(data)} paragraphs as videos, {len(rows)} chunks "
            f"({embed_s:.0f} s to embed), {len(questions)} questions"
        )

        base = evaluate(questions, video_ids, channel.pk)
        print_table("real paragraphs only" if args.scale else "base", base, total=len(rows))
        results = base
        if args.scale:
            total = scale_up(
                channel=channel, provider=provider, data=data, target=args.scale, real_rows=len(rows),
                placement=args.filler, hnsw=args.hnsw,
            )  # fmt: skip
            results = evaluate(questions, video_ids, channel.pk)
            in_channel = Channel.objects.get(pk=channel.pk).chunks_count
            print_table(f"with filler ({args.filler}), {total:,} chunks in the table", results, total=in_channel)
            index_recall_check(questions=questions, video_ids=video_ids, channel_id=channel.pk)
            selective_channel_check(
                channel=channel, data=data, questions=questions, video_ids=video_ids, table_rows=total
            )
            if args.filler == "others":
                threshold_check(owner=channel.owner, questions=questions)
            for mode in MODES:
                before, after = base[mode]["recall"][5], results[mode]["recall"][5]
                print(f"R@5 {mode}: {before:.3f} → {after:.3f} ({after - before:+.3f})")
    finally:
        if not args.keep_db:
            user_delete(user=user)

    hybrid = results["hybrid"]
    best_single = max(results["dense"]["recall"][5], results["keyword"]["recall"][5])
    print(
        f"R@5 hybrid = {hybrid['recall'][5]:.3f} best_single = {best_single:.3f} MRR hybrid = {hybrid['mrr']:.3f}"
    )


def copy_chunks(rows, *, connection=None) -> int:
    """COPY chunk rows in binary (the tsvector is generated by the server)."""
    from django.db import connection as default_connection
    from pgvector.psycopg import register_vector

    connection = connection or default_connection
    connection.ensure_connection()
    raw = connection.connection
    register_vector(raw)
    count = 0
    with (
        raw.cursor() as cursor,
        cursor.copy(
            f"COPY channels_app_chunk ({', '.join(CHUNK_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(CHUNK_TYPES)
        for row in rows:
            copy.write_row(row)
            count += 1
    if not connection.get_autocommit():
        raw.commit()
    return count


def set_chunks_count(channel, count: int) -> None:
    from channels_app.models import Channel

    Channel.objects.filter(pk=channel.pk).update(chunks_count=count)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE channels_app_chunk")


def evaluate(questions, video_ids, channel_id) -> dict[str, dict]:
    from chat.retrieval import passages_search

    results = {}
    for question, _ in questions[:20]:  # warm the model, the caches and the connection
        passages_search(query=question, channel_ids=[channel_id], k=10)
    for mode in MODES:
        hits = dict.fromkeys(CUTOFFS, 0)
        reciprocal, latencies = 0.0, []
        for question, paragraph_index in questions:
            started = time.perf_counter()
            passages = passages_search(query=question, channel_ids=[channel_id], k=10, mode=mode)
            latencies.append((time.perf_counter() - started) * 1000)
            target = video_ids[paragraph_index]
            rank = next((i for i, p in enumerate(passages) if p.video_id == target), None)
            if rank is not None:
                reciprocal += 1 / (rank + 1)
                for cutoff in CUTOFFS:
                    hits[cutoff] += rank < cutoff
        latencies.sort()
        results[mode] = {
            "recall": {cutoff: hits[cutoff] / len(questions) for cutoff in CUTOFFS},
            "mrr": reciprocal / len(questions),
            "p50": statistics.median(latencies),
            "p95": latencies[int(0.95 * (len(latencies) - 1))],
        }
    return results


def print_table(label: str, results: dict[str, dict], *, total: int) -> None:
    print(f"\n{label} ({total:,} chunks in the channel)")
    print(f"{'mode':<8} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for mode in MODES:
        r = results[mode]
        print(
            f"{mode:<8} {r['recall'][1]:>6.3f} {r['recall'][5]:>6.3f} {r['recall'][10]:>6.3f} "
            f"{r['mrr']:>7.3f} {r['p50']:>7.1f} {r['p95']:>7.1f}"
        )
    print(flush=True)


# --------------------------------------------------------------------------------------------
# Filler for --scale


def caption_lines() -> list[list[str]]:
    """The caption lines of each English transcript of real videos in realdata."""
    from channels_app.services.captions import parse_captions

    root = REALDATA / "captions"
    files = sorted(root.glob("3b1b_manual/*/captions.srt")) + sorted(root.glob("youtube_*_vtt/*.vtt"))
    files += sorted(root.glob("transcript_txt/*.txt")) + sorted(root.glob("json3_srv3/*.json3"))
    return [[s.text for s in parse_captions(path.read_bytes(), filename=path.name)] for path in files]


def pool_texts_from(
    transcripts: list[list[str]], topic_words: list[str], *, count: int, rng: random.Random
) -> tuple[list[str], list[int]]:
    """``count`` texts of ~120 words, each from one real transcript: caption lines drawn at random
    and shuffled (real speech, one video's topic), with one word in ten replaced by a word drawn from
    ``topic_words`` (the benchmark's own content words, in their frequencies). Returns the texts and
    the transcript each came from.

    Why this mix: coherent speech keeps the vectors honest (word salad is a poor stand-in: bigram
    text over the benchmark's vocabulary beats the relevant paragraph's cosine for 1 question in 5
    among only 3,000 texts, far more than real text on the same topics would); the sprinkled topic
    words make the filler a keyword distractor, so the questions' rare terms match thousands of
    filler rows and their IDF falls as it would in a big channel.
    """
    texts, sources = [], []
    for _ in range(count):
        source = rng.randrange(len(transcripts))
        lines = transcripts[source]
        words: list[str] = []
        while len(words) < 120:
            words += rng.choice(lines).split()
        words = [rng.choice(topic_words) if rng.random() < 0.1 else word for word in words[:120]]
        texts.append(" ".join(words))
        sources.append(source)
    return texts, sources


def filler_rows(
    *,
    pool_texts: list[str],
    pool_sources: list[int],
    pool_vectors: np.ndarray,
    residuals: np.ndarray | None,
    count: int,
    rng: np.random.Generator,
    batch: int = 4096,
):
    """(text, vector) for each filler chunk: the first part of one pool text joined to the last part
    of another from the same transcript. Its vector is the length-weighted mean of their real
    embeddings plus a residual drawn like the measured ``residuals`` (real embedding of a filler
    text minus its mean; None: the mean alone), renormalised.

    Embedding a million texts would take ~2 h on this CPU, and the mean alone is a poor stand-in:
    means of pairs from a small pool lie on segments between pool vectors, twice as tight as real
    embeddings of the same texts (median nearest-neighbour cosine 0.72 vs 0.58 among 512), and these
    spokes trapped HNSW's greedy search (dense R@5 0.53 through the index vs 0.69 exact at 100 k).
    The residual is a zero-mean Gaussian with the second moment of real residuals (``residuals_of``),
    which restores the spread real text has: ``fidelity`` measures it on texts not used to fit it.
    Not mean and covariance apart: a real residual leans against its mean vector, an independent
    draw does not, and the fitted mean then thinned the filler's shared topic (mean pairwise cosine
    0.116 against 0.143 for real embeddings); zero-mean matched it (0.148 against 0.148).
    """
    words = [text.split() for text in pool_texts]
    by_source: dict[int, list[int]] = defaultdict(list)
    for index, source in enumerate(pool_sources):
        by_source[source].append(index)
    if residuals is not None:
        spread = residuals / np.sqrt(len(residuals))
    for done in range(0, count, batch):
        texts, means = [], np.empty((min(batch, count - done), pool_vectors.shape[1]), dtype=np.float32)
        for row in range(len(means)):
            a = int(rng.integers(len(words)))
            siblings = by_source[pool_sources[a]]
            b = siblings[int(rng.integers(len(siblings)))]
            cut = int(rng.integers(30, 90))
            first, second = words[a][:cut], words[b][cut:]
            texts.append(" ".join(first + second))
            means[row] = len(first) * pool_vectors[a] + len(second) * pool_vectors[b]
        means /= np.linalg.norm(means, axis=1, keepdims=True)
        vectors = means
        if residuals is not None:
            # z @ spread is Gaussian with the residuals' second moment: E[(z @ R)ᵀ(z @ R)] / n = RᵀR / n.
            vectors = means + rng.standard_normal((len(means), len(spread))).astype(np.float32) @ spread
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        yield from zip(texts, vectors, strict=True)


def embedded_sample(provider, pool_texts, pool_sources, pool_vectors, residuals, rng, *, count: int):
    """``count`` filler rows drawn as ``filler_rows`` draws them, and their texts embedded for real:
    (real embeddings, filler vectors)."""
    sample = list(
        filler_rows(
            pool_texts=pool_texts,
            pool_sources=pool_sources,
            pool_vectors=pool_vectors,
            residuals=residuals,
            count=count,
            rng=rng,
        )
    )
    real = np.asarray(provider.embed_documents([text for text, _ in sample]), dtype=np.float32)
    return real, np.array([vector for _, vector in sample], dtype=np.float32)


def residuals_of(provider, pool_texts, pool_sources, pool_vectors, rng, *, count: int = 512) -> np.ndarray:
    """Real embedding minus mean vector, for ``count`` filler texts embedded for real."""
    real, means = embedded_sample(provider, pool_texts, pool_sources, pool_vectors, None, rng, count=count)
    return real - means


def fidelity(provider, pool_texts, pool_sources, pool_vectors, residuals, rng, *, count: int = 512) -> str:
    """How the filler's vectors compare with the real embeddings of the same texts (fresh ones, not
    those the residuals were measured on): cosine of each pair, and the geometry HNSW navigates,
    the median nearest-neighbour cosine and the mean pairwise cosine among them."""

    def geometry(vectors: np.ndarray) -> tuple[float, float]:
        similarities = vectors @ vectors.T
        np.fill_diagonal(similarities, np.nan)
        return float(np.median(np.nanmax(similarities, axis=1))), float(np.nanmean(similarities))

    real, synthetic = embedded_sample(provider, pool_texts, pool_sources, pool_vectors, residuals, rng, count=count)
    (real_nn, real_mean), (synthetic_nn, synthetic_mean) = geometry(real), geometry(synthetic)
    return (
        f"cosine(real embedding, filler vector) {float(np.mean(np.sum(real * synthetic, axis=1))):.3f}; "
        f"median nearest-neighbour cosine among {count}: real {real_nn:.3f}, filler {synthetic_nn:.3f}; "
        f"mean pairwise cosine: real {real_mean:.3f}, filler {synthetic_mean:.3f}"
    )


def scale_up(
    *, channel, provider, data: list[Paragraph], target: int, real_rows: int, placement: str, hnsw: str | None
) -> int:
    """Fill the chunk table with synthetic chunks up to ``target`` rows and rebuild the indexes as a
    bulk load would: indexes dropped, COPY, GIN and HNSW built after. Returns the table's chunks.

    ``placement`` "others": the filler belongs to other channels of FILLER_CHANNEL_CHUNKS chunks
    each (a platform of many creators; the bench channel keeps its own size), "same": to the bench
    channel itself (one channel of ``target`` chunks, the extreme a single search set can reach).

    The real paragraphs' chunks are written again among the filler, each video's chunks together at
    a random place, as a channel's videos arrive over its history. The HNSW build inserts rows in
    table order, and with the 2,143 real chunks first and 98 % filler after, the filler rewired the
    real chunks' neighbour lists: at 100 k, dense R@5 0.25 through the index against 0.63
    interleaved (0.70 exact). That order is a real case (a channel ingested early in a table that
    then grows fifty-fold with other content) but not the one this run is about.
    """
    from django.db import connection

    from channels_app.models import Video

    count = target - real_rows
    per_video = 40
    rng, np_rng = random.Random(11), np.random.default_rng(11)
    transcripts = caption_lines()
    from yoppy.transcripts import STOP_WORDS as _STOP_WORDS

    topic_words = [
        w for p in data for w in p.text.replace(".", " ").split() if w not in _STOP_WORDS and len(w) > 2
    ]
    pool_size = min(20_000, max(1000, count // 40))
    started = time.perf_counter()
    pool_texts, pool_sources = pool_texts_from(transcripts, topic_words, count=pool_size, rng=rng)
    pool_vectors = np.asarray(provider.embed_documents(pool_texts), dtype=np.float32)
    residuals = residuals_of(provider, pool_texts, pool_sources, pool_vectors, np_rng)
    print(
        f"filler pool: {pool_size:,} texts from {len(transcripts)} real transcripts, and {len(residuals)} "
        f"filler texts to measure residuals, embedded in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    print(f"filler fidelity: {fidelity(provider, pool_texts, pool_sources, pool_vectors, residuals, np_rng)}")

    video_count = (count + per_video - 1) // per_video
    owners = [channel] * video_count
    if placement == "others":
        from channels_app.models import Channel

        videos_per_channel = FILLER_CHANNEL_CHUNKS // per_video
        others = Channel.objects.bulk_create(
            Channel(
                owner=channel.owner, kind=Channel.Kind.UPLOADS, source_url="", source_key=f"bench-filler-{i}",
                title=f"Filler channel {i}", status=Channel.Status.READY,
            )  # fmt: skip
            for i in range((video_count + videos_per_channel - 1) // videos_per_channel)
        )
        owners = [others[i // videos_per_channel] for i in range(video_count)]
    videos = Video.objects.bulk_create(
        (
            Video(channel=owner, title=f"Filler {i}", status=Video.Status.READY, captions_source="upload")
            for i, owner in enumerate(owners)
        ),
        batch_size=5000,
    )
    from channels_app.management.commands.reembed import HNSW_PARAMS, hnsw_index_sql

    hnsw = hnsw or HNSW_PARAMS
    if not re.fullmatch(r"m = \d+, ef_construction = \d+", hnsw):
        sys.exit(f"--hnsw {hnsw!r}: write it as 'm = 16, ef_construction = 64'")
    hnsw_sql = hnsw_index_sql(provider.dimension, params=hnsw)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX channels_chunk_embedding_hnsw_384")
        cursor.execute("DROP INDEX channels_chunk_search_gin")
    real_videos = real_chunks_taken_out(channel)
    # Filler row index before which each real video's chunks go in.
    places = np_rng.integers(0, count, len(real_videos)).tolist()
    slots = sorted(zip(places, real_videos, strict=True), key=lambda slot: slot[0])

    def rows():
        next_slot = 0
        for i, (text, vector) in enumerate(
            filler_rows(
                pool_texts=pool_texts,
                pool_sources=pool_sources,
                pool_vectors=pool_vectors,
                residuals=residuals,
                count=count,
                rng=np_rng,
            )
        ):
            while next_slot < len(slots) and slots[next_slot][0] <= i:
                yield from slots[next_slot][1]
                next_slot += 1
            video = videos[i // per_video]
            position = i % per_video
            yield (video.pk, video.channel_id, position, position * 60.0, position * 60.0 + 60, text,
                   len(text.split()), vector, provider.name, provider.dimension)  # fmt: skip
            if i and i % 100_000 == 0:
                print(f"  {i:,} rows, {time.perf_counter() - started:.0f} s", flush=True)
        for _, chunks in slots[next_slot:]:
            yield from chunks

    started = time.perf_counter()
    copy_chunks(rows())
    print(f"COPY of {count:,} filler chunks: {time.perf_counter() - started:.0f} s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '4GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 1")
        started = time.perf_counter()
        cursor.execute(
            "CREATE INDEX channels_chunk_search_gin ON channels_app_chunk USING gin (search_vector)"
        )
        print(f"GIN index: {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        cursor.execute(hnsw_sql)
        print(f"HNSW index ({hnsw}): {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("RESET maintenance_work_mem")
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE channels_app_chunk")
        print(f"VACUUM ANALYZE: {time.perf_counter() - started:.0f} s", flush=True)
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('channels_app_chunk'))")
        print(f"chunk table with indexes: {cursor.fetchone()[0]}", flush=True)
    if placement == "others":
        from channels_app.models import Channel

        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE channels_app_channel ch SET chunks_count = counted.n FROM "
                "(SELECT channel_id, count(*) AS n FROM channels_app_chunk GROUP BY channel_id) counted "
                "WHERE counted.channel_id = ch.id AND ch.owner_id = %s",
                [channel.owner_id],
            )
        print(f"filler channels: {Channel.objects.filter(owner=channel.owner).count() - 1:,}", flush=True)
    else:
        set_chunks_count(channel, real_rows + count)
    return real_rows + count


def real_chunks_taken_out(channel) -> list[list[tuple]]:
    """The channel's chunks, as COPY rows grouped by video, deleted from the table."""
    from django.db import connection
    from pgvector.psycopg import register_vector

    connection.ensure_connection()
    register_vector(connection.connection)
    with connection.connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM channels_app_chunk WHERE channel_id = %s RETURNING {', '.join(CHUNK_COLUMNS)}",  # noqa: S608
            [channel.pk],
        )
        by_video: dict[int, list[tuple]] = defaultdict(list)
        for row in cursor.fetchall():
            by_video[row[0]].append(tuple(row))
    if not connection.get_autocommit():
        connection.connection.commit()
    return [sorted(chunks, key=lambda row: row[2]) for _, chunks in sorted(by_video.items())]


def index_recall_check(*, questions, video_ids, channel_id, sample: int = 200) -> None:
    """Dense R@5 of a sample of questions through the HNSW index and by an exact scan of the
    channel's rows (the two paths ``RETRIEVAL_EXACT_SCAN_MAX_CHUNKS`` chooses between), so an index
    that loses the real chunks shows as such whichever path the product took."""
    from django.test import override_settings

    from chat.retrieval import passages_search

    asked = random.Random(3).sample(questions, min(sample, len(questions)))

    def recall() -> tuple[float, float]:
        found, started = 0, time.perf_counter()
        for question, i in asked:
            passages = passages_search(query=question, channel_ids=[channel_id], k=5, mode="dense")
            found += any(p.video_id == video_ids[i] for p in passages)
        return found / len(asked), (time.perf_counter() - started) * 1000 / len(asked)

    with override_settings(RETRIEVAL_EXACT_SCAN_MAX_CHUNKS=0):
        indexed, indexed_ms = recall()
    with override_settings(RETRIEVAL_EXACT_SCAN_MAX_CHUNKS=10**9):
        exact, exact_ms = recall()
    print(
        f"dense R@5 on {len(asked)} questions: HNSW {indexed:.3f} ({indexed_ms:.0f} ms/query), "
        f"exact scan {exact:.3f} ({exact_ms:.0f} ms/query)",
        flush=True,
    )


def threshold_check(*, owner, questions, sample: int = 200) -> None:
    """What the exact scan costs at its limit: dense searches over filler channels asked together
    that hold RETRIEVAL_EXACT_SCAN_MAX_CHUNKS chunks between them (the biggest set still scanned
    exactly), timed by the exact scan and through the HNSW index."""
    from django.conf import settings
    from django.test import override_settings

    from channels_app.models import Channel
    from chat.retrieval import passages_search

    chosen, held = [], 0
    for other in Channel.objects.filter(owner=owner, source_key__startswith="bench-filler-").order_by("pk"):
        if held + other.chunks_count > settings.RETRIEVAL_EXACT_SCAN_MAX_CHUNKS:
            break
        chosen.append(other.pk)
        held += other.chunks_count
    if not chosen:
        return
    asked = random.Random(5).sample(questions, min(sample, len(questions)))

    def timed() -> str:
        latencies = []
        for question, _ in asked:
            started = time.perf_counter()
            passages_search(query=question, channel_ids=chosen, k=10, mode="dense")
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        return f"p50 {statistics.median(latencies):.1f} ms, p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms"

    exact = timed()
    with override_settings(RETRIEVAL_EXACT_SCAN_MAX_CHUNKS=0):
        indexed = timed()
    print(
        f"threshold: {len(chosen)} channels, {held:,} chunks, {len(asked)} dense questions "
        f"(with embedding): exact scan {exact}; HNSW {indexed}",
        flush=True,
    )


def selective_channel_check(*, channel, data, questions, video_ids, table_rows: int, sample: int = 300) -> None:
    """A small channel among the million: copies of one article's chunks in a channel of their own.
    Its queries must still find k passages (iterative index scans) and stay fast."""
    from django.db import connection

    from channels_app.models import Channel, Video
    from chat.retrieval import passages_search

    small = Channel.objects.create(
        owner=channel.owner, kind=Channel.Kind.UPLOADS, source_url="", source_key="bench-small",
        title="Small channel", status=Channel.Status.READY,
    )  # fmt: skip
    title = data[0].title
    indexes = [i for i, p in enumerate(data) if p.title == title]
    copies = Video.objects.bulk_create(
        Video(channel=small, title=title, status=Video.Status.READY, captions_source="upload")
        for _ in indexes
    )
    new_id = {video_ids[i]: v.pk for i, v in zip(indexes, copies, strict=True)}
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO channels_app_chunk ({', '.join(CHUNK_COLUMNS)}) "  # noqa: S608
            "SELECT (%s::jsonb ->> video_id::text)::bigint, %s, position, start_s, end_s, text, word_count, "
            "embedding, embedding_model, embedding_dim FROM channels_app_chunk WHERE video_id = ANY(%s)",
            [json.dumps({str(k): v for k, v in new_id.items()}), small.pk, list(new_id)],
        )
        copied = cursor.rowcount
        cursor.execute("ANALYZE channels_app_chunk")
    Channel.objects.filter(pk=small.pk).update(chunks_count=copied)
    asked = [(q, i) for q, i in questions if data[i].title == title][:sample]
    latencies, short, found = [], 0, 0
    for question, i in asked:
        started = time.perf_counter()
        passages = passages_search(query=question, channel_ids=[small.pk], k=10)
        latencies.append((time.perf_counter() - started) * 1000)
        short += len(passages) < 10
        found += any(p.video_id == new_id[video_ids[i]] for p in passages[:5])
        assert all(p.channel_id == small.pk for p in passages)
    latencies.sort()
    print(
        f"selective filter: channel of {copied} chunks among {table_rows + copied:,}: "
        f"{len(asked)} questions, {short} got fewer than 10 passages, R@5 {found / max(len(asked), 1):.3f}, "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms",
        flush=True,
    )


if __name__ == "__main__":
    main()
