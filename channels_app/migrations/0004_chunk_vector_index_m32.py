# The HNSW index for 384-d vectors rebuilt with m = 32, ef_construction = 128 (was 16 / 64).
# Measured in bench/retrieval.py on one channel of 300k chunks (docs/BENCHMARKS.md): dense R@5
# through the index 0.595 → 0.720 against 0.735 for an exact scan, at the same query latency, for a
# ~3x longer build (296 s vs ~100 s at 300k rows) and slower inserts, which stay far faster than
# embedding. Channels below RETRIEVAL_EXACT_SCAN_MAX_CHUNKS are scanned exactly and never use it.
#
# Built CONCURRENTLY under a new name, then swapped in, so a live table keeps its search and its
# writes during the build.
from django.db import migrations


def _create(name: str, params: str) -> str:
    return (
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON channels_app_chunk "
        f"USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH ({params}) "
        "WHERE embedding_dim = 384"
    )


def _swap(new_params: str, old_params: str) -> list[migrations.RunSQL]:
    return [
        migrations.RunSQL(
            _create("channels_chunk_embedding_hnsw_384_new", new_params),
            "DROP INDEX CONCURRENTLY IF EXISTS channels_chunk_embedding_hnsw_384_new",
        ),
        migrations.RunSQL(
            "DROP INDEX CONCURRENTLY IF EXISTS channels_chunk_embedding_hnsw_384",
            _create("channels_chunk_embedding_hnsw_384", old_params),
        ),
        migrations.RunSQL(
            "ALTER INDEX channels_chunk_embedding_hnsw_384_new RENAME TO channels_chunk_embedding_hnsw_384",
            "ALTER INDEX channels_chunk_embedding_hnsw_384 RENAME TO channels_chunk_embedding_hnsw_384_new",
        ),
    ]


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction
    dependencies = [("channels_app", "0003_chunk_vector_index")]
    operations = _swap("m = 32, ef_construction = 128", "m = 16, ef_construction = 64")
