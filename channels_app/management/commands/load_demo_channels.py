"""`manage.py load_demo_channels`: the offline demo channel, Mira Bakes (demo), ready to chat.

Called by `manage.py up` (so by `make run`) on every start. The transcripts in channels_app/demo/
are fictional and shipped with the code, so no network is needed; the videos are processed here,
synchronously, by the same pipeline as real ones, so the demo is ready when the URL is printed.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from channels_app.models import Channel, Video
from channels_app.services import ingest
from channels_app.services.channels import channel_delete

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
DEMO_SLUG = "mira-bakes-demo"
DEMO_SOURCE_KEY = "demo:mira-bakes"
# The superuser `manage.py up` creates; the demo belongs to it so the admin can see and edit it.
DEMO_OWNER_EMAIL = "admin@yoppy.local"


class Command(BaseCommand):
    help = "Load the fictional demo channel Mira Bakes (demo) from channels_app/demo/ (idempotent)."

    def handle(self, *args, **options) -> None:
        ready = Channel.objects.filter(
            is_demo=True, slug=DEMO_SLUG, status=Channel.Status.READY, delete_requested_at__isnull=True
        )
        if ready.exists():
            self.stdout.write("Demo channel already loaded.")
            return

        owner = _demo_owner()
        if owner is None:
            self.stdout.write(
                f"No superuser to own the demo channel: create {DEMO_OWNER_EMAIL} "
                "(`manage.py up` does) and run load_demo_channels again."
            )
            return

        # A demo that is not ready was interrupted (or failed) last time: start again from scratch.
        stale = Channel.objects.filter(
            Q(slug=DEMO_SLUG) | Q(owner=owner, source_key=DEMO_SOURCE_KEY), is_demo=True
        )
        for old in stale:
            self.stdout.write(
                f"Removing the unfinished demo channel (#{old.pk}, {old.get_status_display()})."
            )
            channel_delete(channel=old)

        meta = json.loads((DEMO_DIR / "demo.json").read_text(encoding="utf-8"))
        self.stdout.write(f"Loading demo channel {meta['title']}: {len(meta['videos'])} videos…")
        channel = _demo_channel_create(owner=owner, meta=meta)

        for video in channel.videos.order_by("published_at"):
            claimed = ingest.video_claim(video_id=video.pk)
            if claimed is None:
                raise CommandError(f"Demo video {video.youtube_id} could not be claimed for processing.")
            ingest.video_ingest(video=claimed)
            video.refresh_from_db()
            self.stdout.write(f"  {video.title}: {video.get_status_display()}, {video.chunk_count} passages")

        ingest.channel_finalize(channel=Channel.objects.get(pk=channel.pk))
        channel.refresh_from_db()
        if channel.status != Channel.Status.READY:
            # Reported, not raised: `make run` still starts, and its next start loads the demo again.
            self.stderr.write(
                f"The demo channel finished as {channel.get_status_display()}: {channel.status_reason} "
                "It will be loaded again on the next run."
            )
            return
        self.stdout.write(self.style.SUCCESS(f"Demo channel ready: {channel.chunks_count} passages."))


def _demo_owner():
    User = get_user_model()
    superusers = User.objects.filter(is_superuser=True).order_by("pk")
    return superusers.filter(email=DEMO_OWNER_EMAIL).first() or superusers.first()


@transaction.atomic
def _demo_channel_create(*, owner, meta: dict) -> Channel:
    """Create the channel and its queued videos, each with its caption file kept as if fetched."""
    channel = Channel.objects.create(
        owner=owner,
        kind=Channel.Kind.UPLOADS,
        source_url="",
        source_key=DEMO_SOURCE_KEY,
        title=meta["title"],
        handle=meta["handle"],
        description=meta["description"],
        slug=DEMO_SLUG,
        is_public=True,
        is_demo=True,
        status=Channel.Status.PROCESSING,
    )
    for entry in meta["videos"]:
        filename = entry["file"]
        video = Video.objects.create(
            channel=channel,
            youtube_id=entry["youtube_id"],
            title=entry["title"],
            duration_s=entry["duration_s"],
            published_at=parse_datetime(entry["published_at"]),
            captions_source=Video.CaptionSource.MANUAL,
            captions_language="en",
            captions_format=filename.rsplit(".", 1)[-1],
        )
        data = (DEMO_DIR / filename).read_bytes()
        video.caption_file.save(f"{channel.pk}-{video.youtube_id}.{video.captions_format}", ContentFile(data))
    return channel
