"""Re-embed every chunk whose vector was made by another model than the configured one.

Resumable by construction: each batch is committed on its own and the next run picks up the
chunks still on the old model. Old vectors stay in place (and searchable by the old model)
until their batch is replaced.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Q

from channels_app.models import Chunk
from channels_app.services.ingest import chunk_sentences_embedded
from yoppy.ai.embeddings import embedding_provider

# pgvector's HNSW index on `vector` accepts at most 2,000 dimensions.
HNSW_MAX_DIM = 2000
# The build parameters of every chunk vector index, as migration 0004 set them for the default
# model's (the reasons and figures are there).
HNSW_PARAMS = "m = 32, ef_construction = 128"


def hnsw_index_sql(dimension: int, *, params: str = HNSW_PARAMS) -> str:
    """CREATE INDEX for the partial HNSW index of ``dimension``-d vectors."""
    dimension = int(dimension)
    return (
        f"CREATE INDEX IF NOT EXISTS channels_chunk_embedding_hnsw_{dimension} ON channels_app_chunk "
        f"USING hnsw ((embedding::vector({dimension})) vector_cosine_ops) "
        f"WITH ({params}) WHERE embedding_dim = {dimension}"
    )


def ensure_vector_index(dimension: int) -> bool:
    """Create the partial HNSW index for ``dimension`` if missing; False when it cannot exist."""
    if dimension > HNSW_MAX_DIM:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [f"channels_chunk_embedding_hnsw_{dimension}"])
        if cursor.fetchone():
            return True
        cursor.execute(hnsw_index_sql(dimension))
    return True


class Command(BaseCommand):
    help = "Re-embed chunks made by another embedding model, in batches; safe to interrupt and rerun."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=256)
        parser.add_argument("--limit", type=int, default=None, help="Stop after this many chunks (for a trial run).")

    def handle(self, *args, batch_size: int, limit: int | None, **options) -> None:
        provider = embedding_provider()
        stale = Chunk.objects.filter(~Q(embedding_model=provider.name) | Q(embedding__isnull=True))
        total = stale.count()
        if not total:
            self.stdout.write(f"Every chunk is already embedded with {provider.name}.")
            return
        self.stdout.write(f"Re-embedding {total} chunk(s) with {provider.name} ({provider.dimension}-d).")
        if not ensure_vector_index(provider.dimension):
            self.stderr.write(
                f"{provider.dimension}-d vectors are above pgvector's HNSW limit ({HNSW_MAX_DIM}); "
                "search will scan them without an index. Prefer a model (or dimensions setting) ≤ 2000."
            )
        done, started = 0, time.monotonic()
        while limit is None or done < limit:
            size = batch_size if limit is None else min(batch_size, limit - done)
            batch = list(stale.select_related("video").order_by("pk")[:size])
            if not batch:
                break
            vectors = provider.embed_documents([f"{chunk.video.title}\n{chunk.text}" for chunk in batch])
            # The sentences' vectors must be the new model's too (answers compare them with the
            # question's): re-embedded in the same batch.
            sentences = chunk_sentences_embedded(batch, provider=provider)
            for chunk, vector, (texts, blob) in zip(batch, vectors, sentences, strict=True):
                chunk.embedding = vector
                chunk.embedding_model = provider.name
                chunk.embedding_dim = provider.dimension
                chunk.sentences, chunk.sentence_vectors = texts, blob
            with transaction.atomic():
                Chunk.objects.bulk_update(
                    batch, ["embedding", "embedding_model", "embedding_dim", "sentences", "sentence_vectors"]
                )
            done += len(batch)
            rate = done / max(time.monotonic() - started, 1e-6)
            self.stdout.write(f"  {done}/{total} ({rate:.0f} chunks/s)")
        remaining = stale.count()
        self.stdout.write(self.style.SUCCESS(f"Re-embedded {done} chunk(s); {remaining} left."))
