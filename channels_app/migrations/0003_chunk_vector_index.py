# Vector search on chunks (see PERFORMANCE_NOTES.md):
# - HNSW, cosine, as a partial expression index for the default 384-d model; retrieval queries
#   order by `(embedding::vector(384)) <=> q` with `embedding_dim = 384` so they use it. Other
#   dimensions get their own index from `manage.py reembed`.
# - STORAGE PLAIN keeps vectors inline instead of TOASTed beside the text (7x faster exact scans).
from django.db import migrations

CREATE_HNSW_384 = (
    "CREATE INDEX IF NOT EXISTS channels_chunk_embedding_hnsw_384 ON channels_app_chunk "
    "USING hnsw ((embedding::vector(384)) vector_cosine_ops) WITH (m = 16, ef_construction = 64) "
    "WHERE embedding_dim = 384"
)


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0002_channel_video_chunk")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE channels_app_chunk ALTER COLUMN embedding SET STORAGE PLAIN",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(CREATE_HNSW_384, "DROP INDEX IF EXISTS channels_chunk_embedding_hnsw_384"),
    ]
