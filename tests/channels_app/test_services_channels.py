"""Adding channels: validation, duplicates, the plan's channel limit, and what gets queued."""

from __future__ import annotations

import django_rq
import pytest

from billing.models import Plan
from billing.services import user_plan_change
from channels_app.models import Channel, Video
from channels_app.services import channels as services
from channels_app.services.youtube_urls import InvalidYouTubeUrl
from tests.channels_app.factories import ChannelFactory, VideoFactory


def _queued_job_ids() -> list[str]:
    return django_rq.get_queue("ingest").job_ids


def test_adding_a_channel_queues_its_processing_after_commit(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        channel = services.channel_create(owner=alice, url="https://www.youtube.com/@MiraBakes/videos")
        assert _queued_job_ids() == []  # nothing reaches Redis before the row is committed
    for callback in callbacks:
        callback()

    assert channel.status == Channel.Status.QUEUED
    assert channel.source_key == "channel:@mirabakes"
    assert _queued_job_ids() == [f"channel-process-{channel.pk}"]


@pytest.mark.parametrize("junk", ["", "   ", "https://vimeo.com/123", "not a url", "x" * 2048, "https://youtube.com.evil.example/@a"])
def test_bad_input_raises_a_clear_error_and_creates_and_queues_nothing(alice, junk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(InvalidYouTubeUrl) as error:
        services.channel_create(owner=alice, url=junk)
    assert str(error.value)
    assert not Channel.objects.exists() and _queued_job_ids() == []


def test_adding_the_same_channel_again_says_it_is_already_yours(alice):
    first = services.channel_create(owner=alice, url="https://www.youtube.com/@MiraBakes")
    with pytest.raises(services.ChannelAlreadyAdded) as error:
        services.channel_create(owner=alice, url="youtube.com/@mirabakes/featured")
    assert error.value.channel == first
    assert Channel.objects.count() == 1


def test_another_user_may_add_the_same_channel(alice, bob):
    services.channel_create(owner=alice, url="@mirabakes")
    assert services.channel_create(owner=bob, url="@mirabakes").owner == bob


def test_the_free_plan_stops_at_two_channels(alice):
    services.channel_create(owner=alice, url="@one")
    services.channel_create(owner=alice, url="https://www.youtube.com/playlist?list=PLIF2opf2-1Pr0NEsp3YeRlmYVUCXip-CM")
    with pytest.raises(services.ChannelLimitReached, match="Free plan includes 2 channels"):
        services.channel_create(owner=alice, url="https://youtu.be/dQw4w9WgXcQ")
    assert Channel.objects.filter(owner=alice).count() == 2


def test_a_paid_plan_has_no_channel_limit(alice):
    user_plan_change(user=alice, plan=Plan.objects.get(slug="personal"))
    for handle in ["@a1a", "@b2b", "@c3c"]:
        services.channel_create(owner=alice, url=handle)
    assert Channel.objects.filter(owner=alice).count() == 3


def test_a_deleted_channel_frees_its_slot_and_can_be_added_again(alice):
    first = services.channel_create(owner=alice, url="@one")
    services.channel_create(owner=alice, url="@two")
    services.channel_delete_request(channel=first)
    again = services.channel_create(owner=alice, url="@one")
    assert again.pk != first.pk


def test_retrying_a_failed_video_queues_it_again(alice, django_capture_on_commit_callbacks):
    video = VideoFactory(channel=ChannelFactory(owner=alice), status=Video.Status.FAILED, reason="boom", attempts=3)
    with django_capture_on_commit_callbacks(execute=True):
        services.video_retry(video=video)
    video.refresh_from_db()
    assert (video.status, video.reason, video.attempts) == (Video.Status.QUEUED, "", 0)
    assert _queued_job_ids() == [f"video-ingest-{video.pk}"]


def test_a_ready_video_is_not_retried(alice):
    video = VideoFactory(channel=ChannelFactory(owner=alice), status=Video.Status.READY)
    assert services.video_retry(video=video).status == Video.Status.READY


def test_editing_the_profile_marks_it_as_the_creators(alice):
    channel = ChannelFactory(owner=alice, profile_source="local")
    services.channel_profile_update(channel=channel, summary=" Bread. ", topics=["sourdough", " "], style={"tone": "warm"})
    channel.refresh_from_db()
    assert (channel.summary, channel.topics, channel.profile_source) == ("Bread.", ["sourdough"], "edited")


def test_public_slugs_are_unique(alice, bob):
    a = ChannelFactory(owner=alice, title="Mira Bakes")
    b = ChannelFactory(owner=bob, title="Mira Bakes")
    assert services.channel_slug_assign(channel=a) == "mira-bakes"
    assert services.channel_slug_assign(channel=b) == "mira-bakes-2"
