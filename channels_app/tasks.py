"""RQ jobs of the ingestion pipeline. Each takes ids, reloads, stops if stale, calls a service.

They are enqueued by ``channels_app.jobs`` (after commit, with row-derived job ids) and are all
safe to run twice.
"""

from __future__ import annotations

import logging

from django.conf import settings

from channels_app.models import Channel
from channels_app.services import channels as channel_services
from channels_app.services import ingest

logger = logging.getLogger(__name__)


def _live_channel(channel_id: int) -> Channel | None:
    return Channel.objects.alive().select_related("owner").filter(pk=channel_id).first()


def channel_process(channel_id: int) -> None:
    channel = _live_channel(channel_id)
    if channel is None or channel.status not in {Channel.Status.QUEUED, Channel.Status.PROCESSING}:
        return  # deleted, or already handled
    ingest.channel_process(channel=channel)


def channel_sync(channel_id: int) -> None:
    channel = _live_channel(channel_id)
    if channel is None:
        return  # deleted
    if channel.status in {Channel.Status.QUEUED, Channel.Status.PROCESSING}:
        # A run is already under way and will see the new videos: the page stops saying "checking".
        Channel.objects.filter(pk=channel.pk).update(sync_requested_at=None)
        return
    ingest.channel_sync(channel=channel)


def channel_sync_all() -> None:
    """Daily: sync every finished channel (scheduled in yoppy.scheduler)."""
    ids = Channel.objects.alive().filter(
        status__in=[Channel.Status.READY, Channel.Status.READY_WITH_ERRORS],
        is_demo=False,
    ).exclude(kind__in=[Channel.Kind.UPLOADS, Channel.Kind.VIDEO]).values_list("pk", flat=True)
    for channel_id in ids:
        channel_services.channel_sync_request(channel=Channel.objects.get(pk=channel_id))


def channel_finalize(channel_id: int) -> None:
    channel = _live_channel(channel_id)
    if channel is not None:
        ingest.channel_finalize(channel=channel)


def channel_delete(channel_id: int) -> None:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is not None:
        channel_services.channel_delete(channel=channel)


def video_ingest(video_id: int) -> None:
    video = ingest.video_claim(video_id=video_id)
    if video is None:
        return  # done, deleted, or being processed by a live worker
    ingest.video_ingest(video=video)


def video_requeue_stale() -> None:
    """Every few minutes: redo videos whose worker died mid-way."""
    count = ingest.video_requeue_stale()
    if count:
        logger.warning("requeued %d video(s) whose worker stopped mid-way", count)


def ingest_sweep() -> None:
    """Every minute and at worker start: nothing committed is left without its next step.

    Redoes videos whose worker died (stale heartbeat), gives a job to queued videos and channels
    whose enqueue was lost (Redis down at commit, a job that died on an outage), and finishes
    channels left "processing" with nothing to do.
    """
    stale = ingest.video_requeue_stale()
    videos = ingest.video_enqueue_missing(older_than_s=settings.INGEST_SWEEP_GRACE_S)
    channels = ingest.channel_enqueue_missing(older_than_s=settings.INGEST_SWEEP_GRACE_S)
    if stale or videos or channels:
        logger.warning(
            "ingest sweep: %d stale video(s) requeued, %d lost video job(s) and %d channel step(s) restored",
            stale, videos, channels,
        )  # fmt: skip


# --- failure callbacks (rq calls them with the job, its connection and the exception) -------


def _is_outage(exc_type) -> bool:
    """PostgreSQL or Redis went away: the video itself is fine and is worth another attempt."""
    import redis
    from django.db import InterfaceError, OperationalError

    return exc_type is not None and issubclass(exc_type, (OperationalError, InterfaceError, redis.ConnectionError))


def video_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    from rq.timeouts import JobTimeoutException

    from yoppy.worker import connections_release

    # The job's connection may be the one a PostgreSQL restart broke: take a fresh one.
    connections_release()
    video_id = int(job.args[0])
    logger.error("video %s job failed: %s", video_id, exc_value)
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        reason = f"Processing took longer than {job.timeout} s and was stopped."
    elif _is_outage(exc_type):
        reason = "Processing was interrupted by a database or queue outage; you can retry it."
        if ingest.video_requeue_after_outage(video_id=video_id, reason=reason):
            logger.warning("video %s put back in the queue after an outage", video_id)
        return
    else:
        reason = f"Processing failed unexpectedly ({exc_type.__name__ if exc_type else 'error'})."
    ingest.video_fail(video_id=video_id, reason=reason)


def channel_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    from yoppy.worker import connections_release

    connections_release()
    channel_id = int(job.args[0])
    logger.error("channel %s job failed: %s", channel_id, exc_value)
    what = exc_type.__name__ if exc_type else "error"
    if job.id.startswith("channel-sync-"):
        # A crashed sync leaves the channel as it was; the page shows why the check failed.
        Channel.objects.filter(pk=channel_id).update(
            sync_requested_at=None, sync_error=f"Checking for new videos failed unexpectedly ({what}); try again."
        )
        return
    Channel.objects.filter(pk=channel_id, status__in=[Channel.Status.QUEUED, Channel.Status.PROCESSING]).update(
        status=Channel.Status.FAILED,
        status_reason=f"Listing the videos failed unexpectedly ({what}).",
    )
