"""Chunks keep their sentences' vectors, so an answer embeds only the question. Existing chunks
get them from ``manage.py chunks_sentences`` (until then their sentences are embedded on asking)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("channels_app", "0005_chunk_cues")]

    operations = [
        migrations.AddField(model_name="chunk", name="sentences", field=models.JSONField(blank=True, default=list)),
        migrations.AddField(model_name="chunk", name="sentence_vectors", field=models.BinaryField(blank=True, null=True)),
    ]
