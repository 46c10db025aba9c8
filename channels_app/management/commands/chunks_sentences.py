"""Store the sentence vectors of chunks kept before they were (or whose cues were restored since).

Answers then embed only the question; a chunk without them still works, its sentences embedded
when a fan asks. Idempotent: only chunks without sentence vectors are touched, in batches, and a
run can be stopped and started again. Run after ``chunks_cues`` (new cues cut new sentences).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from channels_app.models import Chunk
from channels_app.services.ingest import chunks_store_sentences

BATCH = 200


class Command(BaseCommand):
    help = "Store sentence vectors for chunks that have none (answers then embed only the question)."

    def handle(self, *args, **options) -> None:
        stored = 0
        last = 0
        while True:
            ids = list(
                Chunk.objects.filter(sentence_vectors__isnull=True, pk__gt=last)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not ids:
                break
            stored += chunks_store_sentences(chunk_ids=ids)
            last = ids[-1]
        self.stdout.write(f"{stored} chunks got their sentence vectors.")
