"""Nothing committed is left without its next step: lost enqueues, dead workers, channels left
"processing", heartbeats on a timer (issue 10, items 7, 8 and 11)."""

from __future__ import annotations

import datetime as dt
import time

import django_rq
import pytest
from django.db import transaction
from django.utils import timezone

from channels_app import jobs, tasks
from channels_app.models import Channel, Video
from channels_app.services import channels as channel_services
from channels_app.services import ingest
from tests.channels_app.factories import ChannelFactory, VideoFactory


def _ingest_job_ids() -> list[str]:
    return django_rq.get_queue("ingest").job_ids


def _long_ago(**fields) -> None:
    """Rows written well before the sweep's grace period (its on-commit enqueue is long past)."""
    old = timezone.now() - dt.timedelta(minutes=5)
    for model, pk in fields.items():
        {"video": Video, "channel": Channel}[model].objects.filter(pk=pk).update(updated_at=old)


def test_a_queued_video_whose_enqueue_was_lost_gets_its_job(alice, django_capture_on_commit_callbacks):
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    lost = VideoFactory(channel=channel, status=Video.Status.QUEUED)  # committed, Redis was down
    _long_ago(video=lost.pk)
    assert _ingest_job_ids() == []

    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.video_enqueue_missing() == 1

    assert _ingest_job_ids() == [jobs.video_job_id(lost.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.video_enqueue_missing() == 0  # its job is waiting: left alone
    assert _ingest_job_ids() == [jobs.video_job_id(lost.pk)]


def test_a_video_just_committed_is_left_to_its_own_enqueue(alice, django_capture_on_commit_callbacks):
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    VideoFactory(channel=channel, status=Video.Status.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.video_enqueue_missing() == 0


def test_a_queued_channel_whose_listing_job_was_lost_gets_it(alice, django_capture_on_commit_callbacks):
    channel = ChannelFactory(owner=alice, status=Channel.Status.QUEUED)
    _long_ago(channel=channel.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.channel_enqueue_missing() == 1
    assert _ingest_job_ids() == [jobs.channel_process_job_id(channel.pk)]


def test_a_channel_left_processing_with_nothing_to_do_is_finished(alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    VideoFactory(channel=channel, status=Video.Status.READY, chunk_count=3)
    VideoFactory(channel=channel, status=Video.Status.FAILED, reason="boom")
    busy = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    VideoFactory(channel=busy, status=Video.Status.PROCESSING, heartbeat_at=timezone.now())
    _long_ago(channel=channel.pk)
    _long_ago(channel=busy.pk)

    assert ingest.channel_enqueue_missing() == 1

    channel.refresh_from_db()
    busy.refresh_from_db()
    assert channel.status == Channel.Status.READY_WITH_ERRORS
    assert busy.status == Channel.Status.PROCESSING


def test_a_stale_video_out_of_attempts_is_failed_visibly_not_requeued_for_ever(alice, settings):
    settings.INGEST_MAX_ATTEMPTS = 2
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    video = VideoFactory(
        channel=channel, status=Video.Status.PROCESSING, attempts=2, heartbeat_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert ingest.video_requeue_stale() == 0
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED and "stopped 2 times" in video.reason


def test_a_job_that_died_on_a_database_outage_puts_its_video_back_for_the_sweep(alice, django_capture_on_commit_callbacks):
    from django.db import OperationalError

    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    video = VideoFactory(channel=channel, status=Video.Status.PROCESSING, attempts=1, heartbeat_at=timezone.now())

    class DyingJob:
        args = [video.pk]
        timeout = 1800

    tasks.video_job_failed(DyingJob(), None, OperationalError, OperationalError("the connection is closed"), None)

    video.refresh_from_db()
    assert video.status == Video.Status.QUEUED
    _long_ago(video=video.pk)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.ingest_sweep()
    assert _ingest_job_ids() == [jobs.video_job_id(video.pk)]


def test_a_creator_can_retry_a_video_stuck_in_the_queue(alice, django_capture_on_commit_callbacks):
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    stuck = VideoFactory(channel=channel, status=Video.Status.QUEUED)
    with django_capture_on_commit_callbacks(execute=True):
        channel_services.video_retry(video=stuck)
    assert _ingest_job_ids() == [jobs.video_job_id(stuck.pk)]


def test_a_video_being_processed_by_a_live_worker_is_not_retried(alice, django_capture_on_commit_callbacks):
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    busy = VideoFactory(channel=channel, status=Video.Status.PROCESSING, heartbeat_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert channel_services.video_retry(video=busy).status == Video.Status.PROCESSING
    assert _ingest_job_ids() == []


@pytest.mark.django_db(transaction=True)
def test_a_slow_embedding_batch_keeps_beating_so_the_video_is_never_taken_for_dead(alice, settings, monkeypatch):
    """One batch slower than the stale limit: the old heartbeat (after each batch) let the sweep
    hand the live worker's video to another worker."""
    from tests.channels_app.test_worker_crash import long_vtt
    from yoppy.ai import embeddings

    settings.INGEST_STALE_AFTER_S = 1
    settings.INGEST_HEARTBEAT_S = 0.1
    collection = channel_services.channel_create_for_uploads(owner=alice, title="Lectures")
    with transaction.atomic():
        video = ingest.video_upload_captions(channel=collection, filename="l.vtt", data=long_vtt(3), title="L")
    provider = embeddings.embedding_provider()
    real_embed = provider.embed_documents
    seen = {}

    def slow_embed(texts):
        time.sleep(1.6)  # longer than INGEST_STALE_AFTER_S
        seen["requeued_while_busy"] = ingest.video_requeue_stale()
        return real_embed(texts)

    monkeypatch.setattr(provider, "embed_documents", slow_embed)
    result = ingest.video_ingest(video=ingest.video_claim(video_id=video.pk))

    assert seen["requeued_while_busy"] == 0
    assert result.status == Video.Status.READY
    video.refresh_from_db()
    assert video.attempts == 1 and video.heartbeat_at is None
