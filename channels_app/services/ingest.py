"""The ingestion pipeline: list a channel's videos, then per video fetch captions, parse, chunk,
embed and store; then learn the channel's profile and tell the owner.

Every function here is safe to run twice. Video work is claimed with a conditional UPDATE, and a
video's chunks are replaced in one transaction: a crash at any point leaves either the old chunks
or the new ones, never half of each, and never duplicates.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from billing.selectors import plan_get_for_user
from channels_app import jobs
from channels_app.models import Channel, Chunk, Video
from channels_app.services.captions import CaptionParseError, Segment, parse_captions
from channels_app.services.chunking import chunk_segments
from channels_app.services.youtube import VideoListing, YouTubeClient, YouTubeError
from channels_app.services.youtube_urls import parse_youtube_url

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Channel: resolve and list


def _client(client: YouTubeClient | None) -> YouTubeClient:
    return client or YouTubeClient()


def channel_process(*, channel: Channel, client: YouTubeClient | None = None) -> None:
    """Resolve the channel, record its videos (skipped ones with their reason) and queue them."""
    if channel.kind == Channel.Kind.UPLOADS:
        return
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.PROCESSING, status_reason="")
    target = parse_youtube_url(channel.source_url)
    youtube = _client(client)
    try:
        info = youtube.channel_info(target)
        listings = youtube.list_videos(
            target,
            include_live=channel.include_live,
            limit=plan_get_for_user(user=channel.owner).max_videos_per_channel,
        )
    except YouTubeError as exc:
        Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.FAILED, status_reason=str(exc)[:500])
        return

    same = (
        Channel.objects.filter(owner=channel.owner, kind=channel.kind, delete_requested_at__isnull=True)
        .exclude(pk=channel.pk)
        .filter(youtube_channel_id=info.youtube_channel_id)
    )
    if channel.kind == Channel.Kind.CHANNEL and info.youtube_channel_id and same.exists():
        Channel.objects.filter(pk=channel.pk).update(
            status=Channel.Status.FAILED,
            status_reason=f"This is the same channel as “{same.first().display_name}”, which you already added.",
        )
        return

    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        if channel.kind == Channel.Kind.CHANNEL or not channel.title:
            channel.title = info.title[:300]
        channel.youtube_channel_id = info.youtube_channel_id
        channel.handle = info.handle[:100]
        channel.avatar_url = info.avatar_url[:1000]
        channel.description = info.description
        channel.save()
        from channels_app.services.channels import channel_slug_assign

        channel_slug_assign(channel=channel)
        _videos_record(channel=channel, listings=listings)
        channel_refresh_progress(channel_id=channel.pk)


def channel_sync(*, channel: Channel, client: YouTubeClient | None = None) -> int:
    """Add and queue only the videos not yet known; returns how many were queued."""
    if channel.kind == Channel.Kind.UPLOADS or channel.delete_requested_at:
        return 0
    target = parse_youtube_url(channel.source_url)
    try:
        listings = _client(client).list_videos(
            target,
            include_live=channel.include_live,
            limit=plan_get_for_user(user=channel.owner).max_videos_per_channel,
        )
    except YouTubeError as exc:
        logger.warning("sync of channel %s failed: %s", channel.pk, exc)
        return 0
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        queued = _videos_record(channel=channel, listings=listings)
        channel.last_synced_at = timezone.now()
        if queued:
            channel.status = Channel.Status.PROCESSING
        channel.save(update_fields=["last_synced_at", "status", "updated_at"])
    return queued


def _videos_record(*, channel: Channel, listings: list[VideoListing]) -> int:
    """Create rows for videos not seen before and queue the ingestible ones.

    Precondition: inside a transaction holding the channel row.
    """
    known = {video.youtube_id: video for video in channel.videos.all()}
    new = [listing for listing in listings if listing.youtube_id not in known]
    # A video skipped earlier (upcoming, live at the time) that is now ingestible gets its turn.
    revived = [
        known[listing.youtube_id]
        for listing in listings
        if listing.youtube_id in known
        and known[listing.youtube_id].status == Video.Status.SKIPPED
        and not listing.skip_reason
    ]
    for video in revived:
        Video.objects.filter(pk=video.pk).update(status=Video.Status.QUEUED, reason="")
        video.status = Video.Status.QUEUED
    rows = [
        Video(
            channel=channel,
            youtube_id=listing.youtube_id,
            title=(listing.title or listing.youtube_id)[:300],
            description=listing.description or "",
            published_at=listing.published_at,
            duration_s=listing.duration_s,
            thumbnail_url=(listing.thumbnail_url or "")[:1000],
            status=Video.Status.SKIPPED if listing.skip_reason else Video.Status.QUEUED,
            reason=listing.skip_reason[:500],
        )
        for listing in new
    ]
    created = Video.objects.bulk_create(rows)
    queued = revived + [video for video in created if video.status == Video.Status.QUEUED]
    for video in queued:
        jobs.enqueue_video_ingest(video.pk)
    return len(queued)


# --------------------------------------------------------------------------------------------
# Video: captions → segments → chunks → embeddings → rows


class _NoCaptions(Exception):
    pass


def video_claim(*, video_id: int) -> Video | None:
    """Take a queued video (or one whose worker died: stale heartbeat) for processing.

    One conditional UPDATE, so two workers never process the same video at once.
    """
    now = timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.INGEST_STALE_AFTER_S)
    claimable = Q(status=Video.Status.QUEUED) | Q(status=Video.Status.PROCESSING, heartbeat_at__lt=stale_before)
    claimed = (
        Video.objects.filter(claimable, pk=video_id, channel__delete_requested_at__isnull=True)
        .update(status=Video.Status.PROCESSING, processing_started_at=now, heartbeat_at=now, reason="")
    )
    if not claimed:
        return None
    Video.objects.filter(pk=video_id).update(attempts=F("attempts") + 1)
    return Video.objects.select_related("channel").get(pk=video_id)


def _heartbeat(video: Video) -> None:
    Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING).update(heartbeat_at=timezone.now())


def _caption_bytes(*, video: Video, client: YouTubeClient | None) -> bytes:
    """The caption file kept for this video, or a fresh download (then kept)."""
    if video.caption_file:
        with video.caption_file.open("rb") as handle:
            return handle.read()
    fetched = _client(client).video_captions(video.youtube_id, preferred_language=video.channel.language)
    if fetched is None:
        raise _NoCaptions
    video.captions_source = fetched.track.source
    video.captions_language = fetched.track.language[:16]
    video.captions_format = fetched.track.fmt[:8]
    video.caption_file.save(
        f"{video.channel_id}-{video.youtube_id}.{fetched.track.fmt}", ContentFile(fetched.data), save=False
    )
    Video.objects.filter(pk=video.pk).update(
        captions_source=video.captions_source,
        captions_language=video.captions_language,
        captions_format=video.captions_format,
        caption_file=video.caption_file.name,
    )
    return fetched.data


@dataclass(frozen=True)
class IngestResult:
    status: str
    chunks: int = 0
    reason: str = ""


def video_ingest(*, video: Video, client: YouTubeClient | None = None) -> IngestResult:
    """Process one claimed video end to end and record its outcome; never raises for bad input."""
    try:
        data = _caption_bytes(video=video, client=client)
        segments = parse_captions(data, fmt=video.captions_format or None, filename=video.caption_file.name)
        count = video_store_chunks(video=video, segments=segments)
        result = IngestResult(Video.Status.READY, chunks=count)
    except _NoCaptions:
        result = IngestResult(Video.Status.NO_CAPTIONS, reason="This video has no captions.")
    except CaptionParseError as exc:
        result = IngestResult(Video.Status.FAILED, reason=f"Captions could not be read: {exc}")
    except YouTubeError as exc:
        if exc.retryable and video.attempts < settings.INGEST_MAX_ATTEMPTS:
            # Back off before the next attempt; the channel keeps processing meanwhile.
            Video.objects.filter(pk=video.pk).update(status=Video.Status.QUEUED, reason=str(exc)[:500])
            jobs.enqueue_video_ingest(video.pk, delay=dt.timedelta(seconds=60 * 2**video.attempts))
            return IngestResult(Video.Status.QUEUED, reason=str(exc))
        result = IngestResult(Video.Status.FAILED, reason=str(exc))
    Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING).update(
        status=result.status, reason=result.reason[:500], chunk_count=result.chunks, heartbeat_at=None
    )
    channel_refresh_progress(channel_id=video.channel_id)
    return result


def video_store_chunks(*, video: Video, segments: list[Segment]) -> int:
    """Chunk, embed and store a video's segments, replacing its previous chunks atomically."""
    from yoppy.ai.embeddings import embedding_provider

    chunks = chunk_segments(segments, title=video.title)
    provider = embedding_provider()
    vectors = []
    # Large groups: the model sorts each group by length, so bigger groups pad less. The
    # heartbeat between groups keeps a long video from looking stale (INGEST_STALE_AFTER_S).
    batch = 1024
    for start in range(0, len(chunks), batch):
        vectors.extend(provider.embed_documents([c.embed_text for c in chunks[start : start + batch]]))
        _heartbeat(video)
    rows = [
        Chunk(
            video_id=video.pk,
            channel_id=video.channel_id,
            position=chunk.position,
            start_s=chunk.start_s,
            end_s=chunk.end_s,
            text=chunk.text,
            word_count=chunk.word_count,
            cues=[list(cue) for cue in chunk.cues],
            embedding=vector,
            embedding_model=provider.name,
            embedding_dim=provider.dimension,
        )
        for chunk, vector in zip(chunks, vectors, strict=True)
    ]
    with transaction.atomic():
        # Lock the video so a concurrent redo of the same video waits instead of interleaving.
        Video.objects.select_for_update().filter(pk=video.pk).first()
        Chunk.objects.filter(video_id=video.pk).delete()
        Chunk.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def video_fail(*, video_id: int, reason: str) -> None:
    """Mark a video failed (timeouts, crashes) so the failure is visible, and move the channel on."""
    updated = Video.objects.filter(pk=video_id, status=Video.Status.PROCESSING).update(
        status=Video.Status.FAILED, reason=reason[:500], heartbeat_at=None
    )
    if updated:
        channel_id = Video.objects.filter(pk=video_id).values_list("channel_id", flat=True).first()
        if channel_id:
            channel_refresh_progress(channel_id=channel_id)


def video_requeue_stale() -> int:
    """Queue again the videos whose worker died mid-way (no heartbeat for INGEST_STALE_AFTER_S).

    Their chunks were replaced in one transaction that never committed, so the redo starts from
    the previous state: no half-written video, no duplicate chunks.
    """
    stale_before = timezone.now() - dt.timedelta(seconds=settings.INGEST_STALE_AFTER_S)
    stale = list(
        Video.objects.filter(status=Video.Status.PROCESSING, heartbeat_at__lt=stale_before).values_list(
            "pk", flat=True
        )
    )
    requeued = 0
    for video_id in stale:
        with transaction.atomic():
            # Conditional: a worker that was only slow and has just beaten its heart keeps it.
            if Video.objects.filter(
                pk=video_id, status=Video.Status.PROCESSING, heartbeat_at__lt=stale_before
            ).update(status=Video.Status.QUEUED, heartbeat_at=None):
                jobs.enqueue_video_ingest(video_id)
                requeued += 1
    return requeued


# --------------------------------------------------------------------------------------------
# Channel progress and completion


def channel_refresh_progress(*, channel_id: int) -> None:
    """Recount the channel's progress; when every video is done, queue the finishing job."""
    counts = Video.objects.filter(channel_id=channel_id).aggregate(
        total=Count("pk", filter=~Q(status=Video.Status.SKIPPED)),
        done=Count("pk", filter=Q(status__in=[Video.Status.READY, Video.Status.NO_CAPTIONS, Video.Status.FAILED])),
        chunks=Sum("chunk_count", filter=Q(status=Video.Status.READY)),
    )
    Channel.objects.filter(pk=channel_id).update(
        videos_total=counts["total"], videos_done=counts["done"], chunks_count=counts["chunks"] or 0
    )
    if counts["done"] >= counts["total"]:
        with transaction.atomic():
            jobs.enqueue_channel_finalize(channel_id)


def channel_final_status(*, channel_id: int) -> tuple[str, str]:
    counts = Video.objects.filter(channel_id=channel_id).aggregate(
        ready=Count("pk", filter=Q(status=Video.Status.READY)),
        failed=Count("pk", filter=Q(status=Video.Status.FAILED)),
        no_captions=Count("pk", filter=Q(status=Video.Status.NO_CAPTIONS)),
        skipped=Count("pk", filter=Q(status=Video.Status.SKIPPED)),
    )
    if counts["ready"] == 0:
        if counts["failed"]:
            return Channel.Status.FAILED, f"None of the videos could be processed ({counts['failed']} failed)."
        return Channel.Status.FAILED, "No video with captions was found."
    if counts["failed"]:
        return Channel.Status.READY_WITH_ERRORS, f"{counts['failed']} video(s) failed; you can retry them."
    return Channel.Status.READY, ""


def channel_finalize(*, channel: Channel) -> bool:
    """Learn the profile, set the final status and email the owner — once per run.

    Returns False when there was nothing to finish (already finished, or still processing).
    """
    if channel.status != Channel.Status.PROCESSING:
        return False
    pending = channel.videos.filter(status__in=[Video.Status.QUEUED, Video.Status.PROCESSING]).exists()
    if pending:
        return False
    status, reason = channel_final_status(channel_id=channel.pk)
    if status != Channel.Status.FAILED and channel.profile_source != "edited":
        channel_profile_learn(channel=channel)
    finished = Channel.objects.filter(pk=channel.pk, status=Channel.Status.PROCESSING).update(
        status=status, status_reason=reason, processed_at=timezone.now()
    )
    if finished:
        channel.refresh_from_db()
        channel_notify_owner(channel=channel)
    return bool(finished)


def channel_profile_learn(*, channel: Channel) -> None:
    """Write the persona's topics, summary and speaking style from the channel's transcripts
    (by the LLM when one is configured, else by the local analysis)."""
    from channels_app.services.profile import passages_sample, profile_build
    from yoppy.ai.llm import llm_provider

    passages = list(
        Chunk.objects.filter(channel=channel).order_by("video_id", "position").values_list("text", flat=True)
    )
    titles = list(channel.videos.filter(status=Video.Status.READY).values_list("title", flat=True)[:50])
    profile = profile_build(
        channel_title=channel.display_name,
        video_titles=titles,
        passages=passages_sample(passages, max_passages=300),
        llm=llm_provider(),
    )
    Channel.objects.filter(pk=channel.pk).exclude(profile_source="edited").update(
        summary=profile.summary, topics=profile.topics, style=profile.style, profile_source=profile.source
    )


def channel_notify_owner(*, channel: Channel) -> None:
    link = f"{settings.SITE_URL}{channel.get_absolute_url()}"
    if channel.status == Channel.Status.FAILED:
        subject = f"We could not process {channel.display_name}"
        body = f"{channel.status_reason}\n\nSee the details: {link}\n"
    else:
        subject = f"{channel.display_name} is ready to chat"
        body = (
            f"{channel.display_name} is ready: {channel.videos_done} videos, {channel.chunks_count} passages.\n"
            + (f"{channel.status_reason}\n" if channel.status_reason else "")
            + f"\nOpen it: {link}\n"
        )
    send_mail(subject, body, None, [channel.owner.email], fail_silently=False)


# --------------------------------------------------------------------------------------------
# Uploaded caption and transcript files


class UploadError(ValueError):
    """An uploaded file that cannot be used; nothing was stored."""


def video_upload_captions(
    *, channel: Channel, filename: str, data: bytes, title: str = "", video: Video | None = None
) -> Video:
    """Add an uploaded caption/transcript file: to an existing video (replacing its captions) or
    as a new standalone video of ``channel``. Validated before anything is written."""
    if not data:
        raise UploadError("The file is empty.")
    if len(data) > settings.CAPTION_UPLOAD_MAX_BYTES:
        raise UploadError(f"The file is larger than {settings.CAPTION_UPLOAD_MAX_BYTES // (1024 * 1024)} MB.")
    try:
        segments = parse_captions(data, filename=filename)
    except CaptionParseError as exc:
        raise UploadError(str(exc)) from exc
    if not segments:
        raise UploadError("The file contains no text.")
    extension = (filename.rsplit(".", 1)[-1] if "." in filename else "txt").lower()[:8]
    with transaction.atomic():
        if video is None:
            title = (title or filename.rsplit(".", 1)[0]).strip()[:300] or "Untitled transcript"
            video = Video.objects.create(channel=channel, title=title, status=Video.Status.QUEUED)
        else:
            Video.objects.filter(pk=video.pk).update(status=Video.Status.QUEUED, reason="", attempts=0)
        old_file = video.caption_file.name if video.caption_file else ""
        video.caption_file.save(f"{channel.pk}-upload-{video.pk}.{extension}", ContentFile(data), save=False)
        Video.objects.filter(pk=video.pk).update(
            caption_file=video.caption_file.name,
            captions_source=Video.CaptionSource.UPLOAD,
            captions_format="",
            status=Video.Status.QUEUED,
        )
        Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.PROCESSING)
        jobs.enqueue_video_ingest(video.pk)
        if old_file and old_file != video.caption_file.name:
            transaction.on_commit(lambda: video.caption_file.storage.delete(old_file))
    video.refresh_from_db()
    return video


def video_restore_chunk_cues(*, video: Video) -> int:
    """Give the video's chunks stored before cues were kept their caption cues, re-derived from
    the kept caption file without re-embedding: the file is parsed and chunked again exactly as
    at ingestion, and a chunk takes the cues of the new chunk at its position when their texts
    are the same (a chunk whose text differs, e.g. chunked by older rules, keeps whole-chunk
    timing). Returns how many chunks got cues; 0 without a kept file or when it cannot be read."""
    if not video.caption_file:
        return 0
    try:
        with video.caption_file.open("rb") as handle:
            data = handle.read()
        segments = parse_captions(data, fmt=video.captions_format or None, filename=video.caption_file.name)
    except (OSError, CaptionParseError):
        logger.warning("video %s: kept caption file could not be read for cues", video.pk)
        return 0
    derived = {chunk.position: chunk for chunk in chunk_segments(segments, title=video.title)}
    restored = 0
    with transaction.atomic():
        for chunk in Chunk.objects.select_for_update().filter(video_id=video.pk, cues=[]).only("id", "position", "text"):
            match = derived.get(chunk.position)
            if match is None or match.text != chunk.text:
                continue
            Chunk.objects.filter(pk=chunk.pk).update(cues=[list(cue) for cue in match.cues])
            restored += 1
    return restored
