from __future__ import annotations

from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from channels_app.models import Chunk
from tests.channels_app.factories import ChannelFactory, VideoFactory


def _old_chunks(alice, n: int) -> list[Chunk]:
    video = VideoFactory(channel=ChannelFactory(owner=alice), title="Sourdough basics")
    return Chunk.objects.bulk_create(
        Chunk(video=video, channel=video.channel, position=i, start_s=i * 60, end_s=i * 60 + 60,
              text=f"part {i} about feeding a sourdough starter", embedding=[1.0, 0.0, 0.0],
              embedding_model="old/model", embedding_dim=3)
        for i in range(n)
    )  # fmt: skip


def test_reembed_moves_every_chunk_to_the_configured_model_and_is_resumable(alice):
    _old_chunks(alice, 5)

    call_command("reembed", "--limit", "2", "--batch-size", "1", stdout=StringIO())
    assert Chunk.objects.filter(embedding_model="local/all-MiniLM-L6-v2").count() == 2

    out = StringIO()
    call_command("reembed", stdout=out)

    assert "3 chunk(s)" in out.getvalue()
    for chunk in Chunk.objects.all():
        assert (chunk.embedding_model, chunk.embedding_dim, len(chunk.embedding)) == ("local/all-MiniLM-L6-v2", 384, 384)
        assert abs(np.linalg.norm(chunk.embedding) - 1) < 1e-3
    again = StringIO()
    call_command("reembed", stdout=again)
    assert "already embedded" in again.getvalue()


def test_reembed_gives_the_sentences_the_new_models_vectors_too(alice):
    from yoppy.ai.embeddings import embedding_provider

    _old_chunks(alice, 2)
    Chunk.objects.update(sentences=["part"], sentence_vectors=np.ones(3, dtype=np.float32).tobytes())

    call_command("reembed", stdout=StringIO())

    for chunk in Chunk.objects.all():
        assert chunk.sentences == [chunk.text]  # one short sentence per chunk here
        vectors = np.frombuffer(bytes(chunk.sentence_vectors), dtype=np.float32).reshape(1, 384)
        assert np.allclose(vectors, embedding_provider().embed_documents(chunk.sentences), atol=1e-5)


def test_the_vector_index_for_the_default_model_exists(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'channels_chunk_embedding_hnsw_384'")
        (definition,) = cursor.fetchone()
    assert "hnsw" in definition and "vector_cosine_ops" in definition and "embedding_dim = 384" in definition
    # Migration 0004's build parameters, the ones a new dimension's index gets too.
    assert "WITH (m='32', ef_construction='128')" in definition


@pytest.mark.django_db(transaction=True)
def test_a_new_model_dimension_gets_its_own_partial_hnsw_index():
    from channels_app.management.commands.reembed import ensure_vector_index

    assert ensure_vector_index(8)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'channels_chunk_embedding_hnsw_8'")
        definition = cursor.fetchone()[0]
        assert "embedding_dim = 8" in definition and "WITH (m='32', ef_construction='128')" in definition
        cursor.execute("DROP INDEX channels_chunk_embedding_hnsw_8")
    assert not ensure_vector_index(3072)  # above pgvector's HNSW limit: no index, and it says so
