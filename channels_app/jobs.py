"""Enqueueing the ingestion jobs: one place for queue names, job ids, timeouts and callbacks.

Jobs are referred to by dotted name, so services never import tasks (tasks import services).
django-rq's on_db_commit mode pushes each job to Redis only when the caller's transaction
commits. Job ids are derived from the row, so a second enqueue of the same work replaces the
first instead of running twice, and a deleted channel's pending jobs can be found and cancelled.
"""

from __future__ import annotations

import datetime as dt

import django_rq
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Callback, Job, JobStatus

QUEUE = "ingest"
VIDEO_TIMEOUT_S = 1800
CHANNEL_TIMEOUT_S = 900


def _queue():
    return django_rq.get_queue(QUEUE)


# A job in one of these states will still run (or is running): the sweep leaves its row alone.
_PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


def video_job_id(video_id: int) -> str:
    return f"video-ingest-{video_id}"


def channel_process_job_id(channel_id: int) -> str:
    return f"channel-process-{channel_id}"


def job_is_pending(job_id: str) -> bool:
    """True when RQ holds this job and it has not ended (finished, failed, stopped, cancelled)."""
    try:
        job = Job.fetch(job_id, connection=django_rq.get_connection(QUEUE), serializer=_queue().serializer)
    except NoSuchJobError:
        return False
    return job.get_status(refresh=False) in _PENDING


def enqueue_channel_process(channel_id: int) -> None:
    _queue().enqueue(
        "channels_app.tasks.channel_process", channel_id,
        job_id=channel_process_job_id(channel_id), job_timeout=CHANNEL_TIMEOUT_S,
        on_failure=Callback("channels_app.tasks.channel_job_failed"),
    )  # fmt: skip


def enqueue_channel_sync(channel_id: int) -> None:
    _queue().enqueue(
        "channels_app.tasks.channel_sync", channel_id,
        job_id=f"channel-sync-{channel_id}", job_timeout=CHANNEL_TIMEOUT_S,
        on_failure=Callback("channels_app.tasks.channel_job_failed"),
    )  # fmt: skip


def enqueue_channel_finalize(channel_id: int) -> None:
    _queue().enqueue(
        "channels_app.tasks.channel_finalize", channel_id,
        job_id=f"channel-finalize-{channel_id}", job_timeout=600,
    )  # fmt: skip


def enqueue_channel_delete(channel_id: int) -> None:
    _queue().enqueue("channels_app.tasks.channel_delete", channel_id, job_id=f"channel-delete-{channel_id}")


def enqueue_video_ingest(video_id: int, *, delay: dt.timedelta | None = None) -> None:
    options = {
        "job_id": video_job_id(video_id),
        "job_timeout": VIDEO_TIMEOUT_S,
        # A timeout or crash inside the job marks the video failed, visibly, with the reason.
        "on_failure": Callback("channels_app.tasks.video_job_failed"),
    }
    if delay:
        _queue().enqueue_in(delay, "channels_app.tasks.video_ingest", video_id, **options)
    else:
        _queue().enqueue("channels_app.tasks.video_ingest", video_id, **options)


def cancel_video_job(video_id: int) -> None:
    """Cancel a video's queued job (a running one stops on the missing row)."""
    try:
        job = Job.fetch(video_job_id(video_id), connection=django_rq.get_connection(QUEUE), serializer=_queue().serializer)
        if not job.is_started:
            job.cancel()
    except (NoSuchJobError, InvalidJobOperation):
        pass


def cancel_channel_jobs(*, channel_id: int, video_ids: list[int]) -> None:
    """Cancel the queued jobs of a channel being deleted (running ones stop on a missing row)."""
    connection = django_rq.get_connection(QUEUE)
    ids = [f"channel-process-{channel_id}", f"channel-sync-{channel_id}", f"channel-finalize-{channel_id}"]
    ids += [video_job_id(v) for v in video_ids]
    for job_id in ids:
        try:
            job = Job.fetch(job_id, connection=connection, serializer=_queue().serializer)
            if not job.is_started:
                job.cancel()
        except (NoSuchJobError, InvalidJobOperation):
            continue
