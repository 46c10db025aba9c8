"""Channel lifecycle: add, sync, delete, retry, profile edits (the writes behind the dashboard)."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from billing.services import user_plan_lock
from channels_app import jobs
from channels_app.models import Channel, Video
from channels_app.services.youtube_urls import YouTubeTarget, parse_youtube_url

logger = logging.getLogger(__name__)


class ChannelLimitReached(Exception):
    """The owner's plan allows no more channels."""


class ChannelAlreadyAdded(Exception):
    """The owner already has this channel; ``channel`` is the existing one."""

    def __init__(self, channel: Channel):
        super().__init__(f"You already added {channel.display_name}.")
        self.channel = channel


def source_key_for(target: YouTubeTarget) -> str:
    # Handles are case-insensitive on YouTube; ids are not.
    value = target.value.lower() if target.value.startswith("@") else target.value
    return f"{target.kind}:{value}"


def _check_channel_limit(*, owner) -> None:
    """Precondition: inside a transaction. Locks the owner's plan so two adds cannot both pass."""
    plan = user_plan_lock(user=owner)
    if plan.channel_limit is None:
        return
    used = Channel.objects.owned_by(owner).filter(is_demo=False).count()
    if used >= plan.channel_limit:
        raise ChannelLimitReached(
            f"Your {plan.name} plan includes {plan.channel_limit} channels and you have {used}. "
            "Upgrade to add more, or delete one first."
        )


@transaction.atomic
def channel_create(*, owner, url: str, include_live: bool = False) -> Channel:
    """Add a YouTube channel, playlist or video for ``owner`` and queue its processing.

    Raises ``InvalidYouTubeUrl`` (nothing is created), ``ChannelAlreadyAdded`` or
    ``ChannelLimitReached``. The processing job is enqueued only once the row is committed.
    """
    target = parse_youtube_url(url)
    _check_channel_limit(owner=owner)
    key = source_key_for(target)
    existing = Channel.objects.filter(owner=owner, source_key=key).first()
    if existing is not None:
        if existing.delete_requested_at is None:
            raise ChannelAlreadyAdded(existing)
        # Being deleted: free the key now so the creator can add it again at once.
        existing.source_key = f"deleted:{existing.pk}:{key}"[:200]
        existing.save(update_fields=["source_key"])
    channel = Channel.objects.create(
        owner=owner,
        kind=target.kind,
        source_url=target.canonical_url,
        source_key=key,
        include_live=include_live,
        title=target.value if target.kind == Channel.Kind.CHANNEL else "",
        status=Channel.Status.QUEUED,
    )
    jobs.enqueue_channel_process(channel.pk)
    return channel


@transaction.atomic
def channel_create_for_uploads(*, owner, title: str) -> Channel:
    """A channel made only of uploaded transcripts (a podcast, a course)."""
    title = title.strip()
    if not title:
        raise ValueError("Give the collection a name.")
    _check_channel_limit(owner=owner)
    channel = Channel.objects.create(
        owner=owner,
        kind=Channel.Kind.UPLOADS,
        source_url="",
        source_key=f"uploads:{slugify(title)[:60]}:{timezone.now().timestamp()}",
        title=title[:300],
        status=Channel.Status.READY,
        processed_at=timezone.now(),
    )
    return channel


class ChannelNotReady(Exception):
    """The channel has no passages yet, so a public page would have nothing to answer from."""


@transaction.atomic
def channel_sync_request(*, channel: Channel) -> str:
    """Check YouTube again: a sync that adds only the videos not yet known, or, when YouTube
    could not be read at all the first time (no video known), the whole first read again.

    The request is recorded on the row (``sync_requested_at``) so the page says "checking" until
    the job reports, and the job stores why it failed in ``sync_error``. Returns "sync" or
    "retry" (which one was queued).
    """
    if Channel.objects.select_for_update().get(pk=channel.pk).listing_failed:
        channel_retry(channel=channel)
        return "retry"
    Channel.objects.filter(pk=channel.pk).update(sync_requested_at=timezone.now(), sync_error="")
    jobs.enqueue_channel_sync(channel.pk)
    return "sync"


@transaction.atomic
def channel_retry(*, channel: Channel) -> int:
    """Try again what failed: the first read of the channel from YouTube when it failed before
    any video was known, else every failed or caption-less video. Returns how many videos were
    queued (0 when the whole read was queued again)."""
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.listing_failed:
        Channel.objects.filter(pk=channel.pk).update(
            status=Channel.Status.QUEUED, status_reason="", sync_requested_at=None, sync_error=""
        )
        jobs.enqueue_channel_process(channel.pk)
        return 0
    queued = 0
    for video in channel.videos.filter(status__in=[Video.Status.FAILED, Video.Status.NO_CAPTIONS]):
        if video_retry(video=video).status == Video.Status.QUEUED:
            queued += 1
    return queued


@transaction.atomic
def video_delete(*, video: Video) -> None:
    """Remove one video with its passages and caption file, and recount the channel.

    A video that came from the YouTube listing is remembered in ``removed_video_ids`` so the
    next sync does not add it back (uploading captions for it again brings it back).
    """
    channel = Channel.objects.select_for_update().get(pk=video.channel_id)
    if video.youtube_id and channel.kind != Channel.Kind.UPLOADS and video.youtube_id not in channel.removed_video_ids:
        channel.removed_video_ids = [*channel.removed_video_ids, video.youtube_id]
        channel.save(update_fields=["removed_video_ids", "updated_at"])
    caption_file = video.caption_file.name if video.caption_file else ""
    video_id = video.pk
    video.delete()  # its chunks go with it (on_delete=CASCADE)
    # After commit: a job that starts meanwhile finds no row and stops (video_claim).
    transaction.on_commit(lambda: jobs.cancel_video_job(video_id))
    if caption_file:
        from django.core.files.storage import default_storage

        transaction.on_commit(lambda: _storage_delete(default_storage, caption_file))
    _channel_recount_after_removal(channel=channel)


def _storage_delete(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("could not delete caption file %s", name)


def _channel_recount_after_removal(*, channel: Channel) -> None:
    """A finished channel's counts and status follow its remaining videos (removing the one
    failed video makes it ready). Precondition: in a transaction holding the channel row."""
    from channels_app.services.ingest import channel_final_status, channel_refresh_progress

    channel_refresh_progress(channel_id=channel.pk)
    if not channel.is_finished:
        return  # still processing: channel_finalize settles the status when the rest is done
    if channel.kind == Channel.Kind.UPLOADS and not channel.videos.exists():
        status, reason = Channel.Status.READY, ""  # an empty collection waits for uploads
    else:
        status, reason = channel_final_status(channel_id=channel.pk)
    Channel.objects.filter(pk=channel.pk).update(status=status, status_reason=reason)


@transaction.atomic
def channel_publish(*, channel: Channel, is_public: bool) -> Channel:
    """Open the channel's public page /c/<slug>/ to anyone, or close it.

    Raises ChannelNotReady when opening a channel that has no passages yet: fans would find a
    page that can answer nothing.
    """
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if is_public and not channel.chunks_count:
        raise ChannelNotReady(
            f"{channel.display_name} has no processed videos yet, so its public page could answer nothing. "
            "Make it public once a video is ready."
        )
    channel.is_public = is_public
    channel.save(update_fields=["is_public", "updated_at"])
    if is_public:
        channel_slug_assign(channel=channel)
    return channel


@transaction.atomic
def channel_delete_request(*, channel: Channel) -> None:
    """Hide the channel at once; the channel_delete job removes its rows, files and jobs."""
    Channel.objects.filter(pk=channel.pk).update(delete_requested_at=timezone.now())
    jobs.enqueue_channel_delete(channel.pk)


def channel_delete(*, channel: Channel) -> None:
    """Remove a channel with its videos, chunks, caption files and pending jobs. Safe to repeat."""
    video_ids = list(channel.videos.values_list("pk", flat=True))
    files = list(channel.videos.exclude(caption_file="").values_list("caption_file", flat=True))
    jobs.cancel_channel_jobs(channel_id=channel.pk, video_ids=video_ids)
    with transaction.atomic():
        channel.delete()
    from django.core.files.storage import default_storage

    for name in files:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("could not delete caption file %s", name)


@transaction.atomic
def video_retry(*, video: Video) -> Video:
    """Queue a video that is not done again from scratch: failed, caption-less, stuck in the
    queue (its job lost), or "processing" with no heartbeat (its worker gone). A video a live
    worker is processing is left to it."""
    stale_before = timezone.now() - dt.timedelta(seconds=settings.INGEST_STALE_AFTER_S)
    retryable = Q(status__in=[Video.Status.FAILED, Video.Status.NO_CAPTIONS, Video.Status.QUEUED]) | Q(
        status=Video.Status.PROCESSING, heartbeat_at__lt=stale_before
    )
    updated = Video.objects.filter(retryable, pk=video.pk).update(
        status=Video.Status.QUEUED, reason="", attempts=0, heartbeat_at=None
    )
    if updated:
        Channel.objects.filter(pk=video.channel_id).exclude(status=Channel.Status.PROCESSING).update(
            status=Channel.Status.PROCESSING
        )
        jobs.enqueue_video_ingest(video.pk)
    video.refresh_from_db()
    return video


@transaction.atomic
def channel_rerun(*, channel: Channel) -> int:
    """Process every (non-skipped) video of the channel again, e.g. after a parser fix.

    Old chunks stay searchable until each video's new chunks replace them. Returns the number of
    videos queued.
    """
    if channel.kind != Channel.Kind.UPLOADS and not channel.videos.exists():
        Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.QUEUED, status_reason="")
        jobs.enqueue_channel_process(channel.pk)
        return 0
    videos = list(channel.videos.exclude(status=Video.Status.SKIPPED).values_list("pk", flat=True))
    Video.objects.filter(pk__in=videos).update(status=Video.Status.QUEUED, reason="", attempts=0, heartbeat_at=None)
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.PROCESSING, status_reason="")
    for video_id in videos:
        jobs.enqueue_video_ingest(video_id)
    return len(videos)


@transaction.atomic
def channel_profile_update(*, channel: Channel, summary: str, topics: list[str], style: dict) -> Channel:
    """The creator's edit of the persona; marked ``edited`` so a later sync keeps it. (Opening
    the public page is channel_publish, the switch on the channel page.)"""
    channel.summary = summary.strip()
    channel.topics = [t.strip() for t in topics if t.strip()][:20]
    channel.style = style
    channel.profile_source = "edited"
    channel.save(update_fields=["summary", "topics", "style", "profile_source", "updated_at"])
    return channel


def channel_slug_assign(*, channel: Channel) -> str:
    """A unique, readable slug for the public page /c/<slug>, assigned once."""
    if channel.slug:
        return channel.slug
    base = slugify(channel.handle.lstrip("@") or channel.title or "channel")[:100] or "channel"
    candidate, n = base, 1
    while Channel.objects.filter(slug=candidate).exclude(pk=channel.pk).exists():
        n += 1
        candidate = f"{base}-{n}"
    Channel.objects.filter(pk=channel.pk).update(slug=candidate)
    channel.slug = candidate
    return candidate
