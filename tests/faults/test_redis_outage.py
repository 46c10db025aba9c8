"""Redis stopped during an ask and a page view (issue 10, item 10): the fan gets a clear
"temporarily unavailable" 503, not a 500, and the site answers again once Redis is back."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from chat.models import Message
from tests.chat.test_views_chat import ask, bakery  # noqa: F401, F811  (bakery: a fixture)
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_an_anonymous_ask_while_redis_is_down_is_a_503_then_works_again(client, bakery, redis_server):  # noqa: F811
    page = client.get(reverse("chat:public", args=[bakery.slug]))
    assert page.status_code == 200

    redis_server.stop()
    try:
        refused = ask(client, bakery, "How do I feed a starter?")
        assert refused.status_code == 503, refused.content[:300]
        assert b"temporarily unavailable" in refused.content
        assert refused["Retry-After"]
        assert not Message.objects.exists()  # nothing half-recorded
    finally:
        stopped_at = time.monotonic()
        redis_server.start()

    recovered_s = wait_for(lambda: ask(client, bakery, "How do I feed a starter?").status_code == 200, 30, "asking again")
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1
    print(f"redis outage during an ask: 503 while down, answering {time.monotonic() - stopped_at:.1f} s after the restart ({recovered_s:.1f} s of retries)")


def test_a_page_view_while_redis_is_down_is_a_503_page_then_the_page_again(client, alice, redis_server):
    """The dashboard reads the creator's plan through the Redis cache."""
    client.force_login(alice)
    assert client.get(reverse("dashboard")).status_code == 200

    redis_server.stop()
    try:
        down = client.get(reverse("dashboard"))
        assert down.status_code == 503
        assert b"Yoppy is temporarily unavailable" in down.content and b"Traceback" not in down.content
    finally:
        redis_server.start()

    wait_for(lambda: client.get(reverse("dashboard")).status_code == 200, 30, "the dashboard again")


def test_an_upload_while_redis_is_down_is_refused_whole_then_queued_once_redis_is_back(client, alice, redis_server):
    """The upload allowance and the ingest queue both live in Redis: while it is down the creator
    gets a clear 503 and nothing is stored (no video row, no file left behind); once it is back
    the same upload is stored and its ingest job is queued."""
    import django_rq
    from django.core.files.uploadedfile import SimpleUploadedFile

    from channels_app.jobs import video_job_id
    from channels_app.models import Channel, Video
    from tests.channels_app.factories import ChannelFactory

    collection = ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY, title="Pod")
    srt = b"1\n00:00:01,000 --> 00:00:04,000\nWelcome to the show.\n"
    client.force_login(alice)
    url = reverse("channels:upload", args=[collection.pk])

    redis_server.stop()
    try:
        down = client.post(url, {"file": SimpleUploadedFile("ep1.srt", srt)})
        assert down.status_code == 503, down.content[:300]
        assert b"try again" in down.content.lower() and b"Traceback" not in down.content
        assert not Video.objects.filter(channel=collection).exists()
    finally:
        redis_server.start()

    wait_for(lambda: client.post(url, {"file": SimpleUploadedFile("ep1.srt", srt)}).status_code == 302, 30, "uploading again")
    video = Video.objects.get(channel=collection)
    assert video.status == Video.Status.QUEUED
    assert django_rq.get_queue("ingest").fetch_job(video_job_id(video.pk)) is not None
