"""Retrieval quality and latency on Spoken-SQuAD, through ``passages_search`` itself.

    .venv/bin/python -m bench.retrieval                    # base run, ~5 min
    .venv/bin/python -m bench.retrieval --scale 1000000    # with 1 M filler chunks, ~25 min

Spoken-SQuAD's test split (ASR transcripts of 48 Wikipedia articles read aloud) becomes one bench
channel: each paragraph is a video titled after its article, cut into chunks by the product's own
chunker (one segment per sentence; most paragraphs make one chunk, long ones two or three, so
MiniLM's 256-word-piece limit loses no tail) and embedded as ingestion does (``title + "\\n" + text``).
Every question is a query; the relevant passage is any passage of its paragraph's video. Each query
goes through ``passages_search(mode=...)`` for dense-only, keyword-only and hybrid, and its latency
includes embedding the question.

``--scale N`` first measures the real paragraphs alone, then adds filler chunks to the same
channel until it holds N, builds the indexes, and measures again (see ``filler_rows``). It runs in
a database of its own, created and dropped here, so the dev database never carries a million
rows or a rebuilt index. The base run uses the dev database. Either way everything belongs to a
throwaway user that is deleted at the end.

The last line is ``R@5 hybrid = 0.NNN best_single = 0.NNN MRR hybrid = 0.NNN``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
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
    connection.settings_dict["TEST"]["NAME"] = f"bench_retrieval_{os.getpid()}"
    started = time.perf_counter()
    bench_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    print(f"database {bench_db} created and migrated in {time.perf_counter() - started:.0f} s", flush=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(bench_db, verbosity=0)


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
            Video(channel=channel, title=p.title, status=Video.Status.READY, captions_source="upload") for p in data
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
            total = scale_up(channel=channel, provider=provider, data=data, target=args.scale, real_rows=len(rows))
            results = evaluate(questions, video_ids, channel.pk)
            print_table(f"with filler, {total:,} chunks", results, total=total)
            for mode in MODES:
                before, after = base[mode]["recall"][5], results[mode]["recall"][5]
                print(f"R@5 {mode}: {before:.3f} → {after:.3f} ({after - before:+.3f})")
    finally:
        user_delete(user=user)

    hybrid = results["hybrid"]
    best_single = max(results["dense"]["recall"][5], results["keyword"]["recall"][5])
    print(f"R@5 hybrid = {hybrid['recall'][5]:.3f} best_single = {best_single:.3f} MRR hybrid = {hybrid['mrr']:.3f}")


def copy_chunks(rows, *, connection=None) -> int:
    """COPY chunk rows in binary (the tsvector is generated by the server)."""
    from django.db import connection as default_connection
    from pgvector.psycopg import register_vector

    connection = connection or default_connection
    connection.ensure_connection()
    raw = connection.connection
    register_vector(raw)
    count = 0
    with raw.cursor() as cursor, cursor.copy(
        f"COPY channels_app_chunk ({', '.join(CHUNK_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    ) as copy:
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
    from chat.services.retrieval import passages_search

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


def scale_up(*, channel, provider, data, target: int, real_rows: int) -> int:
    raise NotImplementedError


if __name__ == "__main__":
    main()
