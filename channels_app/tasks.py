"""RQ jobs of the ingestion pipeline. Each takes ids, reloads, stops if stale, calls a service.

They are enqueued by ``channels_app.jobs`` (after commit, with row-derived job ids) and are all
safe to run twice.
"""

from __future__ import annotations

import logging

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
    if channel is None or channel.status in {Channel.Status.QUEUED, Channel.Status.PROCESSING}:
        return  # a run is already under way; it will see the new videos
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


# --- failure callbacks (rq calls them with the job, its connection and the exception) -------


def video_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    from rq.timeouts import JobTimeoutException

    video_id = int(job.args[0])
    if exc_type is not None and issubclass(exc_type, JobTimeoutException):
        reason = f"Processing took longer than {job.timeout} s and was stopped."
    else:
        reason = f"Processing failed unexpectedly ({exc_type.__name__ if exc_type else 'error'})."
    logger.error("video %s job failed: %s", video_id, exc_value)
    ingest.video_fail(video_id=video_id, reason=reason)


def channel_job_failed(job, connection, exc_type, exc_value, traceback) -> None:
    channel_id = int(job.args[0])
    logger.error("channel %s job failed: %s", channel_id, exc_value)
    Channel.objects.filter(pk=channel_id, status__in=[Channel.Status.QUEUED, Channel.Status.PROCESSING]).update(
        status=Channel.Status.FAILED,
        status_reason=f"Listing the videos failed unexpectedly ({exc_type.__name__ if exc_type else 'error'}).",
    )
