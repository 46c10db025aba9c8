"""The ingestion pipeline: list a channel's videos, then per video fetch captions, parse, chunk,
embed and store; then learn the channel's profile and tell the owner.

Every function here is safe to run twice. Video work is claimed with a conditional UPDATE, and a
video's chunks are replaced in one transaction: a crash at any point leaves either the old chunks
or the new ones, never half of each, and never duplicates.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import functools
import logging
import math
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

import redis
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from billing.selectors import plan_get_for_user
from channels_app import jobs, signals
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
        Channel.objects.owned_by(channel.owner).filter(kind=channel.kind)
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
        profile_before = (channel.title, channel.avatar_url)
        if channel.kind == Channel.Kind.CHANNEL or not channel.title:
            channel.title = info.title[:300]
        channel.youtube_channel_id = info.youtube_channel_id
        channel.handle = info.handle[:100]
        channel.avatar_url = info.avatar_url[:1000]
        if profile_before != (channel.title, channel.avatar_url):
            changed = channel
            transaction.on_commit(lambda: signals.channel_profile_changed.send(sender=Channel, channel=changed))
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
    # The plan's cap counts every video the channel already ingests (uploads included, as
    # _upload_cap_check does): a listing is capped on its own, but a sync adds to what is there,
    # so without this repeated syncs would grow a channel past its plan.
    plan = plan_get_for_user(user=channel.owner)
    room = max(plan.max_videos_per_channel - sum(v.status != Video.Status.SKIPPED for v in known.values()), 0)
    over_cap = (
        f"Over your {plan.name} plan's {plan.max_videos_per_channel} videos per channel; "
        "upgrade your plan to add it."
    )

    def takes_slot() -> bool:
        nonlocal room
        if room == 0:
            return False
        room -= 1
        return True

    revived: list[Video] = []
    rows: list[Video] = []
    # Listings come newest first, so the newest videos get the free slots.
    for listing in listings:
        video = known.get(listing.youtube_id)
        if video is not None:
            # A video skipped earlier (upcoming, live at the time, over the cap) that is now
            # ingestible gets its turn when a slot is free.
            if video.status == Video.Status.SKIPPED and not listing.skip_reason and takes_slot():
                Video.objects.filter(pk=video.pk).update(status=Video.Status.QUEUED, reason="")
                video.status = Video.Status.QUEUED
                revived.append(video)
            continue
        reason = listing.skip_reason or ("" if takes_slot() else over_cap)
        rows.append(
            Video(
                channel=channel,
                youtube_id=listing.youtube_id,
                title=(listing.title or listing.youtube_id)[:300],
                description=listing.description or "",
                published_at=listing.published_at,
                duration_s=listing.duration_s,
                thumbnail_url=(listing.thumbnail_url or "")[:1000],
                status=Video.Status.SKIPPED if reason else Video.Status.QUEUED,
                reason=reason[:500],
            )
        )
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


def heartbeat_interval_s() -> float:
    """How often a video being processed says it is alive: INGEST_HEARTBEAT_S, else a fifth of
    the stale limit, so four beats can be missed before the video is taken for abandoned."""
    return settings.INGEST_HEARTBEAT_S or settings.INGEST_STALE_AFTER_S / 5


@contextlib.contextmanager
def _heartbeat_running(video: Video) -> Iterator[None]:
    """Beat the video's heart on a timer, from a thread, while the body runs.

    Beating between embedding batches left 191 s between beats on a slow machine against a
    300 s stale limit: one slower batch and a live worker's video was redone by another. The
    thread has its own database connection; it gives it back when the body ends.
    """
    stop = threading.Event()
    interval = heartbeat_interval_s()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    _heartbeat(video)
                except DatabaseError:
                    # PostgreSQL is away: keep trying; a fresh connection is taken next time.
                    logger.warning("heartbeat of video %s failed", video.pk, exc_info=True)
                    with contextlib.suppress(DatabaseError):
                        close_old_connections()
        finally:
            with contextlib.suppress(DatabaseError):
                connection.close()

    thread = threading.Thread(target=beat, name=f"heartbeat-video-{video.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=interval + 5)


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
        with _heartbeat_running(video):
            data = _caption_bytes(video=video, client=client)
            # The base name only: an uploaded file keeps its original name there (see _upload_store).
            segments = parse_captions(
                data, fmt=video.captions_format or None, filename=PurePosixPath(video.caption_file.name).name
            )
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
    # A channel that finished a first run before this video started gets it from a sync.
    by_sync = Channel.objects.filter(pk=video.channel_id, processed_at__isnull=False).exists()
    recorded = Video.objects.filter(pk=video.pk, status=Video.Status.PROCESSING).update(
        status=result.status, reason=result.reason[:500], chunk_count=result.chunks, heartbeat_at=None
    )
    channel_refresh_progress(channel_id=video.channel_id)
    if recorded and result.status == Video.Status.READY:
        signals.video_ready.send(sender=Video, video=video, by_sync=by_sync)
    return result


def video_store_chunks(*, video: Video, segments: list[Segment]) -> int:
    """Chunk, embed and store a video's segments, replacing its previous chunks atomically."""
    from yoppy.ai.embeddings import embedding_provider

    chunks = chunk_segments(segments, title=video.title)
    provider = embedding_provider()
    vectors = []
    # Large groups: the model sorts each group by length, so bigger groups pad less. The
    # caller's heartbeat thread keeps a long video from looking stale (INGEST_STALE_AFTER_S).
    batch = 1024
    for start in range(0, len(chunks), batch):
        vectors.extend(provider.embed_documents([c.embed_text for c in chunks[start : start + batch]]))
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
    the previous state: no half-written video, no duplicate chunks. A video that has had its
    INGEST_MAX_ATTEMPTS is marked failed instead, visibly, so a video that kills its worker
    every time cannot loop for ever.
    """
    stale_before = timezone.now() - dt.timedelta(seconds=settings.INGEST_STALE_AFTER_S)
    stale = list(
        Video.objects.filter(status=Video.Status.PROCESSING, heartbeat_at__lt=stale_before).values_list(
            "pk", "attempts"
        )
    )
    requeued = 0
    for video_id, attempts in stale:
        # Conditional: a worker that was only slow and has just beaten its heart keeps it.
        still_stale = Video.objects.filter(pk=video_id, status=Video.Status.PROCESSING, heartbeat_at__lt=stale_before)
        if attempts >= settings.INGEST_MAX_ATTEMPTS:
            if still_stale.update(
                status=Video.Status.FAILED, heartbeat_at=None,
                reason=f"Processing stopped {attempts} times before it finished; you can retry it.",
            ):  # fmt: skip
                channel_id = Video.objects.filter(pk=video_id).values_list("channel_id", flat=True).first()
                if channel_id:
                    channel_refresh_progress(channel_id=channel_id)
            continue
        with transaction.atomic():
            if still_stale.update(status=Video.Status.QUEUED, heartbeat_at=None):
                jobs.enqueue_video_ingest(video_id)
                requeued += 1
    return requeued


def video_requeue_after_outage(*, video_id: int, reason: str) -> bool:
    """Put a video whose job died on a database or Redis outage back to "queued".

    No job is enqueued here: this runs inside the dying job, whose RQ record (same job id) rq
    saves as failed right after. ``video_enqueue_missing`` (the sweep, every minute and at
    worker start) gives it a fresh job once the outage is over. After INGEST_MAX_ATTEMPTS the
    video is failed instead, with the reason shown. Returns True when it was put back.
    """
    video = Video.objects.filter(pk=video_id, status=Video.Status.PROCESSING).only("attempts").first()
    if video is None:
        return False
    if video.attempts >= settings.INGEST_MAX_ATTEMPTS:
        video_fail(video_id=video_id, reason=reason)
        return False
    return bool(
        Video.objects.filter(pk=video_id, status=Video.Status.PROCESSING).update(
            status=Video.Status.QUEUED, heartbeat_at=None, reason=""
        )
    )


def video_enqueue_missing(*, older_than_s: float = 30.0) -> int:
    """Give a job to every queued video that has none in RQ; returns how many were enqueued.

    A video committed while Redis was down (the on-commit enqueue failed), or put back by
    ``video_requeue_after_outage``, would otherwise stay "queued" for good. Job ids are derived
    from the video, so a video whose job is waiting, scheduled (a back-off) or running is left
    alone; a second enqueue of the same id would only replace it. ``older_than_s`` leaves alone
    the rows whose commit is enqueueing their job right now.
    """
    recent = timezone.now() - dt.timedelta(seconds=older_than_s)
    queued = Video.objects.filter(
        status=Video.Status.QUEUED, channel__delete_requested_at__isnull=True, updated_at__lt=recent
    ).values_list("pk", flat=True)
    enqueued = 0
    for video_id in queued:
        if not jobs.job_is_pending(jobs.video_job_id(video_id)):
            jobs.enqueue_video_ingest(video_id)
            enqueued += 1
    return enqueued


def channel_enqueue_missing(*, older_than_s: float = 30.0) -> int:
    """Move on the channels whose next step was lost; returns how many were moved on.

    A channel "queued" with no listing job gets one; a channel "processing" with no video left
    to do (the last video's finishing job was lost) is finished now.
    """
    recent = timezone.now() - dt.timedelta(seconds=older_than_s)
    live = Channel.objects.filter(delete_requested_at__isnull=True, updated_at__lt=recent)
    moved = 0
    for channel_id in live.filter(status=Channel.Status.QUEUED).values_list("pk", flat=True):
        if not jobs.job_is_pending(jobs.channel_process_job_id(channel_id)):
            jobs.enqueue_channel_process(channel_id)
            moved += 1
    idle = (
        live.filter(status=Channel.Status.PROCESSING)
        .exclude(videos__status__in=[Video.Status.QUEUED, Video.Status.PROCESSING])
        .distinct()
    )
    for channel in idle.select_related("owner"):
        if not jobs.job_is_pending(jobs.channel_process_job_id(channel.pk)) and channel_finalize(channel=channel):
            moved += 1
    return moved


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
#
# The web request only checks what is cheap (size, type, a look at the first bytes), the plan's
# video cap and the owner's hourly allowance, stores the raw file and queues the video. Parsing,
# chunking and embedding happen in the ingest job (video_ingest), where a file that cannot be
# read ends the video as failed with the parser's reason. A 5 MB file parsed in the request held
# it for 5 s.

UPLOAD_EXTENSIONS = ("vtt", "srt", "json3", "json", "txt")
# Enough of the file to tell text from a binary document without reading all of it.
_SNIFF_BYTES = 20_000


class UploadError(ValueError):
    """An uploaded file that cannot be used; nothing was stored. str() is shown to the creator."""

    status_code = 400
    upgrade = False  # a bigger plan would let it in: show the way to upgrade
    retry_after_s: int | None = None


class UploadLimitReached(UploadError):
    """The channel has as many videos as the owner's plan allows; the creator can upgrade."""

    upgrade = True


class UploadRateLimited(UploadError):
    """The owner sent more files this hour than UPLOADS_PER_HOUR allows."""

    status_code = 429

    def __init__(self, message: str, *, retry_after_s: int):
        super().__init__(message)
        self.retry_after_s = retry_after_s  # seconds until the hour's allowance starts again


class UploadsUnavailable(UploadError):
    """The allowance cannot be checked (Redis is down): refuse now rather than accept blindly."""

    status_code = 503


@dataclass(frozen=True)
class CaptionUpload:
    """One file of an upload request: a new video titled ``title`` (else from the file name), or
    new captions for ``video``."""

    filename: str
    data: bytes
    title: str = ""
    video: Video | None = None


def _upload_check(upload: CaptionUpload) -> None:
    """Refuse what can be refused without parsing. Each check looks at the head of the file only
    (isspace stops at the first other byte), so a 5 MB file costs what a small one does."""
    name = upload.filename or "The file"
    if not upload.data or upload.data.isspace():
        raise UploadError(f"{name} is empty.")
    if len(upload.data) > settings.CAPTION_UPLOAD_MAX_BYTES:
        raise UploadError(f"{name} is larger than {filesizeformat(settings.CAPTION_UPLOAD_MAX_BYTES)}.")
    extension = _upload_extension(upload.filename)
    if extension and extension not in UPLOAD_EXTENSIONS:
        raise UploadError(
            f"{name} is not a caption or transcript file: upload a "
            + ", ".join(f".{ext}" for ext in UPLOAD_EXTENSIONS[:-1])
            + f" or .{UPLOAD_EXTENSIONS[-1]} file."
        )
    head = upload.data[:_SNIFF_BYTES]
    # Text has no NUL bytes, except UTF-16, which parse_captions reads when it has a byte-order mark.
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UploadError(f"{name} looks like binary data (a document or a video?), not captions or a transcript.")


def _upload_extension(filename: str) -> str:
    return PurePosixPath(filename or "").suffix.lower().lstrip(".")


def _upload_cap_check(*, channel: Channel, adding: int) -> None:
    """The plan's cap on videos per channel counts uploads as it counts YouTube videos.

    Precondition: inside a transaction holding the channel row, so two uploads at once cannot
    both take the last slot (the second waits for the first to commit, then counts its video).
    """
    if adding == 0:
        return
    plan = plan_get_for_user(user=channel.owner)
    cap = plan.max_videos_per_channel
    # Skipped videos (Shorts, upcoming streams) are not ingested, so they do not count; the
    # YouTube listing counts the same way (list_videos' limit is on ingestible videos).
    used = Video.objects.filter(channel=channel).exclude(status=Video.Status.SKIPPED).count()
    if used + adding > cap:
        room = max(cap - used, 0)
        allows = f"Your {plan.name} plan allows {cap} videos per channel"
        if room == 0:
            said = f"{allows} and {channel.display_name} has {used}."
        else:
            fits = "fits" if room == 1 else "fit"
            said = f"{allows}: {channel.display_name} has {used}, so {room} more {fits} and you sent {adding}."
        raise UploadLimitReached(f"{said} Upgrade your plan to add more.")


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client (and connection pool) per process and URL."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


# Check and take in one step, so concurrent requests never take more than the allowance between
# them, and a refused request takes nothing (a plain INCR would have to be given back).
_ALLOWANCE_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
if used + amount > tonumber(ARGV[2]) then
  return {0, used}
end
used = redis.call('INCRBY', KEYS[1], amount)
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {1, used}
"""


def _upload_allowance_key(*, user_id: int, now: dt.datetime) -> str:
    return f"yoppy:uploads:{now:%Y%m%d%H}:user:{user_id}"


def upload_allowance_take(*, user_id: int, amount: int) -> str:
    """Take ``amount`` files from the user's allowance for this clock hour, or raise
    UploadRateLimited (nothing taken). Returns the key to give them back with."""
    now = timezone.now()
    key = _upload_allowance_key(user_id=user_id, now=now)
    limit = settings.UPLOADS_PER_HOUR
    try:
        allowed, used = _redis(settings.REDIS_URL).eval(_ALLOWANCE_TAKE, 1, key, amount, limit, 2 * 3600)
    except redis.RedisError as exc:
        logger.warning("upload allowance unavailable: %s", exc)
        raise UploadsUnavailable("Uploads are unavailable for a moment. Please try again in a minute.") from exc
    if not allowed:
        next_hour = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        wait_s = max(math.ceil((next_hour - now).total_seconds()), 1)
        minutes = math.ceil(wait_s / 60)
        left = max(limit - int(used), 0)
        raise UploadRateLimited(
            f"You can upload {limit} {'file' if limit == 1 else 'files'} per hour"
            + (f" and have {left} left" if left else " and have used them all")
            + f". Try again in {minutes} {'minute' if minutes == 1 else 'minutes'}.",
            retry_after_s=wait_s,
        )
    return key


def _upload_allowance_give_back(*, key: str, amount: int) -> None:
    try:
        _redis(settings.REDIS_URL).decrby(key, amount)
    except redis.RedisError:
        logger.warning("could not give back %d upload(s) on %s", amount, key)


def videos_upload_captions(*, channel: Channel, uploads: Sequence[CaptionUpload]) -> list[Video]:
    """Store uploaded caption/transcript files and queue them: each as a new standalone video of
    ``channel`` or as new captions for an existing one. All or nothing: one refused file stores none.

    Raises UploadError (or a subclass: cap reached, over the hourly allowance, allowance
    unavailable). Each file's parsing happens in the ingest job, which marks the video failed with
    the reason when the file cannot be read.
    """
    if not uploads:
        raise UploadError("Choose a file to upload.")
    for upload in uploads:
        if upload.video is not None and upload.video.channel_id != channel.pk:
            raise UploadError("That video is not part of this channel.")
        _upload_check(upload)
    key = None
    try:
        with transaction.atomic():
            # The channel row lock serialises uploads to one channel: see _upload_cap_check.
            channel = Channel.objects.select_for_update().select_related("owner").get(pk=channel.pk)
            _upload_cap_check(channel=channel, adding=sum(1 for upload in uploads if upload.video is None))
            key = upload_allowance_take(user_id=channel.owner_id, amount=len(uploads))
            video_ids = [_upload_store(channel=channel, upload=upload) for upload in uploads]
            Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.PROCESSING, status_reason="")
    except Exception:
        if key is not None:
            _upload_allowance_give_back(key=key, amount=len(uploads))
        raise
    videos = Video.objects.in_bulk(video_ids)
    return [videos[pk] for pk in video_ids]


def _upload_store(*, channel: Channel, upload: CaptionUpload) -> int:
    """Keep the raw file with the video, queued for the ingest job. Precondition: in a transaction."""
    if upload.video is not None:
        # Fresh and held: the caption file it had is the one to delete once the new one is in.
        video = Video.objects.select_for_update().get(pk=upload.video.pk, channel=channel)
    else:
        stem = upload.filename.rsplit(".", 1)[0] if "." in upload.filename else upload.filename
        title = (upload.title or stem).strip()[:300] or "Untitled transcript"
        video = Video.objects.create(channel=channel, title=title, status=Video.Status.QUEUED)
    old_file = video.caption_file.name if video.caption_file else ""
    # The original name is kept as the file's base name (the parser quotes it in its reasons), in
    # a folder of its own so that storage never has to rename it to avoid a clash.
    original = PurePosixPath(upload.filename or "").name[-150:] or "transcript.txt"
    folder = f"{channel.pk}-upload-{video.pk}-{secrets.token_hex(4)}"
    video.caption_file.save(f"{folder}/{original}", ContentFile(upload.data), save=False)
    Video.objects.filter(pk=video.pk).update(
        caption_file=video.caption_file.name,
        captions_source=Video.CaptionSource.UPLOAD,
        captions_format="",  # detected from the content by the job, as parse_captions does
        status=Video.Status.QUEUED,
        reason="",
        attempts=0,
        heartbeat_at=None,
    )
    jobs.enqueue_video_ingest(video.pk)
    if old_file and old_file != video.caption_file.name:
        storage = video.caption_file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return video.pk


def video_upload_captions(
    *, channel: Channel, filename: str, data: bytes, title: str = "", video: Video | None = None
) -> Video:
    """One file: see videos_upload_captions."""
    return videos_upload_captions(
        channel=channel, uploads=[CaptionUpload(filename=filename, data=data, title=title, video=video)]
    )[0]


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
