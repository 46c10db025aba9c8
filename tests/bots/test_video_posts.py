"""New-video posts: a video that a sync brings in is announced once in each server that opted in
(never during a channel's first ingestion, never twice), through channels_app's real ingest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from bots.models import VideoPost
from bots.services.posts import video_post_send, video_posts_create
from channels_app.models import Channel, Video
from channels_app.services import ingest
from tests.bots.conftest import drain_bots_queue

# A tiny WebVTT file, written here (the shape of the caption files the ingest tests use).
VTT = b"""WEBVTT

00:00:01.000 --> 00:00:04.000
today we bake a rye loaf with a long cold proof

00:00:04.000 --> 00:00:09.000
the dough rests overnight in the fridge for flavour
"""
POSTS = "/channels/{room}/messages"


@pytest.fixture
def opted_in(guild):
    guild.new_video_posts = True
    guild.post_room_id = "700000000000000001"
    guild.save()
    return guild


def new_video(channel: Channel, youtube_id: str = "ryeryeryery") -> Video:
    video = Video.objects.create(
        channel=channel, youtube_id=youtube_id, title="Rye loaf", status=Video.Status.QUEUED,
        description="A rye loaf with a long cold proof. " * 20, captions_format="vtt",
    )  # fmt: skip
    video.caption_file.save(f"{youtube_id}.vtt", ContentFile(VTT))
    return video


def ingest_it(video: Video, captured) -> None:
    with captured(execute=True):
        ingest.video_ingest(video=ingest.video_claim(video_id=video.pk))
    drain_bots_queue(captured)


def test_a_video_from_a_sync_is_posted_once_in_the_opted_in_server(
    opted_in, bakery, discord, django_capture_on_commit_callbacks
):
    Channel.objects.filter(pk=bakery.pk).update(processed_at=timezone.now() - dt.timedelta(days=1))
    video = new_video(bakery)

    ingest_it(video, django_capture_on_commit_callbacks)

    [post] = discord.calls_to("POST", POSTS.format(room=opted_in.post_room_id))
    assert post.headers["authorization"] == "Bot shared-bot-token"
    text = post.json()["content"]
    assert text.startswith("New video from Mira Bakes: Rye loaf") and "https://www.youtube.com/watch?v=ryeryeryery" in text
    assert len(text) < 500 and post.json()["allowed_mentions"] == {"parse": []}
    assert VideoPost.objects.get().status == VideoPost.Status.SENT

    # The hook and the job running again (a retried job, a second sync) post nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        assert video_posts_create(video=video) == []
    drain_bots_queue(django_capture_on_commit_callbacks)
    [row] = VideoPost.objects.all()
    assert video_post_send(post_id=row.pk) is False
    assert len(discord.calls_to("POST", POSTS.format(room=opted_in.post_room_id))) == 1


def test_a_channels_first_ingestion_is_not_announced(opted_in, bakery, discord, django_capture_on_commit_callbacks):
    Channel.objects.filter(pk=bakery.pk).update(processed_at=None)
    ingest_it(new_video(bakery), django_capture_on_commit_callbacks)
    assert discord.calls == [] and not VideoPost.objects.exists()


def test_servers_that_did_not_opt_in_or_cannot_ask_the_channel_get_nothing(
    guild, bakery, discord, alice, django_capture_on_commit_callbacks
):
    from tests.channels_app.factories import ChannelFactory

    Channel.objects.filter(pk=bakery.pk).update(processed_at=timezone.now())
    other = ChannelFactory(owner=alice, processed_at=timezone.now())
    guild.post_room_id = "700000000000000001"
    guild.save()  # a room, but not opted in
    ingest_it(new_video(bakery), django_capture_on_commit_callbacks)
    guild.new_video_posts = True
    guild.save()
    ingest_it(new_video(other, "otherotherx"), django_capture_on_commit_callbacks)  # not one of its channels
    assert discord.calls == [] and not VideoPost.objects.exists()


def test_a_failed_post_is_recorded_and_not_sent_again(opted_in, bakery, discord, django_capture_on_commit_callbacks):
    discord.answer("POST", POSTS.format(room=opted_in.post_room_id), (403, {"message": "Missing Access", "code": 50001}))
    Channel.objects.filter(pk=bakery.pk).update(processed_at=timezone.now())
    video = new_video(bakery)
    ingest_it(video, django_capture_on_commit_callbacks)
    post = VideoPost.objects.get()
    assert post.status == VideoPost.Status.FAILED and "403" in post.error
    with django_capture_on_commit_callbacks(execute=True):
        video_posts_create(video=video)
    drain_bots_queue(django_capture_on_commit_callbacks)
    assert len(discord.calls_to("POST", POSTS.format(room=opted_in.post_room_id))) == 1
