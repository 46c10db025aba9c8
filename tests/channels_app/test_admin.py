from __future__ import annotations

import pytest
from django.urls import reverse

from channels_app.models import Channel, Chunk, Video
from tests.channels_app.factories import ChannelFactory, VideoFactory


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_staff_rerun_a_channel_through_the_service(staff_client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY)
    video = VideoFactory(channel=channel, status=Video.Status.READY)
    response = staff_client.post(reverse("admin:channels_app_channel_changelist"), {"action": "rerun", "_selected_action": [channel.pk]}, follow=True)
    assert b"Queued 1 video(s)" in response.content
    assert Video.objects.get(pk=video.pk).status == Video.Status.QUEUED


def test_staff_delete_a_channel_through_the_service(staff_client, alice):
    channel = ChannelFactory(owner=alice)
    staff_client.post(reverse("admin:channels_app_channel_changelist"), {"action": "delete_channels", "_selected_action": [channel.pk]})
    assert Channel.objects.get(pk=channel.pk).delete_requested_at is not None


def test_chunks_are_read_only_in_the_admin(staff_client, alice):
    video = VideoFactory(channel=ChannelFactory(owner=alice))
    chunk = Chunk.objects.create(video=video, channel=video.channel, position=0, start_s=0, end_s=5, text="hello")
    assert staff_client.get(reverse("admin:channels_app_chunk_change", args=[chunk.pk])).status_code == 200
    assert staff_client.get(reverse("admin:channels_app_chunk_add")).status_code == 403
    staff_client.post(reverse("admin:channels_app_chunk_change", args=[chunk.pk]), {"text": "changed"})
    assert Chunk.objects.get(pk=chunk.pk).text == "hello"


def test_the_channel_list_filters_by_status_and_searches_by_owner(staff_client, alice, bob):
    ChannelFactory(owner=alice, title="Alice Cooks", status=Channel.Status.FAILED)
    ChannelFactory(owner=bob, title="Bob Builds", status=Channel.Status.READY)
    page = staff_client.get(reverse("admin:channels_app_channel_changelist"), {"status__exact": "failed"})
    assert b"Alice Cooks" in page.content and b"Bob Builds" not in page.content
    page = staff_client.get(reverse("admin:channels_app_channel_changelist"), {"q": "bob@"})
    assert b"Bob Builds" in page.content and b"Alice Cooks" not in page.content
