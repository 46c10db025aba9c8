"""The RQ task layer: thin, idempotent, and wired to the schedule."""

from __future__ import annotations

import importlib

import django_rq

from channels_app import tasks
from channels_app.models import Channel, Video
from tests.channels_app.factories import ChannelFactory, VideoFactory
from yoppy.scheduler import SCHEDULE


def test_every_scheduled_job_points_at_a_real_function():
    for entry in SCHEDULE:
        module, name = entry.func.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name)), entry.func


def test_the_daily_sync_queues_only_finished_youtube_channels(alice, django_capture_on_commit_callbacks):
    ready = ChannelFactory(owner=alice, status=Channel.Status.READY)
    ChannelFactory(owner=alice, status=Channel.Status.PROCESSING)
    ChannelFactory(owner=alice, status=Channel.Status.READY, kind=Channel.Kind.UPLOADS)
    ChannelFactory(owner=alice, status=Channel.Status.READY, is_demo=True)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.channel_sync_all()

    assert django_rq.get_queue("ingest").job_ids == [f"channel-sync-{ready.pk}"]


def test_a_video_job_for_a_finished_or_deleted_video_does_nothing(alice):
    done = VideoFactory(channel=ChannelFactory(owner=alice), status=Video.Status.READY, chunk_count=4)
    tasks.video_ingest(done.pk)
    tasks.video_ingest(999_999)
    done.refresh_from_db()
    assert (done.status, done.chunk_count, done.attempts) == (Video.Status.READY, 4, 0)


def test_a_channel_job_for_a_deleted_channel_does_nothing(alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.QUEUED)
    Channel.objects.filter(pk=channel.pk).update(delete_requested_at="2026-01-01T00:00:00Z")
    tasks.channel_process(channel.pk)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.QUEUED


def test_the_delete_job_removes_the_channel(alice):
    channel = ChannelFactory(owner=alice)
    tasks.channel_delete(channel.pk)
    tasks.channel_delete(channel.pk)  # twice is harmless
    assert not Channel.objects.filter(pk=channel.pk).exists()
