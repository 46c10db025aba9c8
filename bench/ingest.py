"""Ingestion throughput: the full pipeline against the embedding model alone, in one run.

    .venv/bin/python -m bench.ingest            # from the repository root (make bench-ingest)

Ingests long real transcripts (3Blue1Brown captions, two long livestream auto-caption VTTs from
../shared/realdata) through the real pipeline — kept caption file → parse → chunk → embed →
replace the video's chunks in PostgreSQL — on the embedded services, and measures:

* raw: chunks/s of the configured embedding model on exactly the same chunk texts, model warm,
  nothing else (the best of two runs, one before and one after the pipeline, to damp noise);
* pipeline: chunks/s and videos/min of ``video_ingest`` over every video, wall clock.

The last line is ``pipeline/raw = 0.NN``. Everything it creates belongs to a throwaway user that
is deleted at the end.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("YOPPY_REALDATA", REPO.parent / "shared" / "realdata"))


def transcript_files() -> list[Path]:
    captions = REALDATA / "captions"
    files = sorted((captions / "3b1b_manual").glob("*/captions.srt"))
    files += [
        captions / "youtube_auto_vtt" / "vtuber_stream_2h28m.en.vtt",
        captions / "youtube_auto_vtt" / "vtuber_just_chatting_im_free_celebrate.VMfR5nr8gic.en.vtt",
    ]
    return [path for path in files if path.exists()]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()

    from django.core.files.base import ContentFile
    from django.db import transaction

    from channels_app.models import Channel, Chunk, Video
    from channels_app.services import ingest
    from channels_app.services.captions import parse_captions
    from channels_app.services.chunking import chunk_segments
    from yoppy.ai.embeddings import embedding_provider
    from yoppy.users.models import User
    from yoppy.users.services import user_delete

    files = transcript_files()
    if not files:
        sys.exit(f"No transcripts under {REALDATA}: set YOPPY_REALDATA to the realdata folder.")

    provider = embedding_provider()
    titles = {path: f"{path.parent.name if path.name == 'captions.srt' else path.stem}" for path in files}
    texts = []
    for path in files:
        segments = parse_captions(path.read_bytes(), filename=path.name)
        texts += [c.embed_text for c in chunk_segments(segments, title=titles[path])]
    words = sum(len(t.split()) for t in texts)
    provider.embed_documents(texts[:64])  # load and warm the model outside the clock

    def raw_run() -> float:
        started = time.perf_counter()
        provider.embed_documents(texts)
        return len(texts) / (time.perf_counter() - started)

    raw_before = raw_run()

    user = User.objects.create_user(email=f"bench-{time.time_ns()}@yoppy.invalid", password=None)
    try:
        channel = Channel.objects.create(
            owner=user, kind=Channel.Kind.UPLOADS, source_url="", source_key="bench", title="Bench",
            status=Channel.Status.PROCESSING,
        )  # fmt: skip
        videos = []
        for path in files:
            with transaction.atomic():
                video = Video.objects.create(channel=channel, title=titles[path], captions_source="upload")
                video.caption_file.save(f"bench-{video.pk}-{path.name}", ContentFile(path.read_bytes()))
            videos.append(video)

        started = time.perf_counter()
        for video in videos:
            claimed = ingest.video_claim(video_id=video.pk)
            ingest.video_ingest(video=claimed)
        pipeline_s = time.perf_counter() - started
        stored = Chunk.objects.filter(channel=channel).count()
        assert stored == len(texts), f"pipeline stored {stored} chunks, expected {len(texts)}"
        assert not Video.objects.filter(channel=channel).exclude(status=Video.Status.READY).exists()
    finally:
        for video in Video.objects.filter(channel__owner=user):
            if video.caption_file:
                video.caption_file.delete(save=False)
        user_delete(user=user)

    raw_after = raw_run()
    raw = max(raw_before, raw_after)
    pipeline = stored / pipeline_s

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"model: {provider.name} ({provider.dimension}-d), batch {os.environ.get('EMBEDDING_BATCH_SIZE', '64')}")
    print(f"transcripts: {len(files)} videos, {words:,} words, {len(texts)} chunks")
    print(f"raw embedding: {raw_before:.1f} / {raw_after:.1f} chunks/s (best {raw:.1f})")
    print(f"pipeline: {pipeline:.1f} chunks/s, {len(files) / pipeline_s * 60:.1f} videos/min ({pipeline_s:.1f} s)")
    print(f"pipeline/raw = {pipeline / raw:.2f}")


if __name__ == "__main__":
    main()
