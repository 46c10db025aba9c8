"""Give chunks stored before caption cues were kept their cues, from each video's kept caption file.

Answers cite each quoted sentence to its own second from these cues; a chunk without them still
works, cited with its whole span. Idempotent: only chunks without cues are touched, and a run can
be stopped and started again.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from channels_app.models import Video
from channels_app.services.ingest import video_restore_chunk_cues


class Command(BaseCommand):
    help = "Re-derive caption cues for chunks stored without them, from the kept caption files."

    def handle(self, *args, **options) -> None:
        videos = Video.objects.filter(chunks__cues=[]).exclude(caption_file="").distinct().order_by("pk")
        total = chunks = 0
        for video in videos.iterator():
            chunks += video_restore_chunk_cues(video=video)
            total += 1
        self.stdout.write(f"{chunks} chunks of {total} videos got their caption cues back.")
