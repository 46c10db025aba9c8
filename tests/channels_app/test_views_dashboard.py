"""The creator's channel dashboard: forms, live progress fragments, and who may see what."""

from __future__ import annotations

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from channels_app.models import Channel, Video
from tests.channels_app.factories import ChannelFactory, VideoFactory


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def alice_channel(alice):
    channel = ChannelFactory(owner=alice, title="Mira Bakes", status=Channel.Status.PROCESSING, videos_total=4, videos_done=1)
    VideoFactory(channel=channel, title="Sourdough", status=Video.Status.READY, chunk_count=12, duration_s=725)
    VideoFactory(channel=channel, title="Broken one", status=Video.Status.FAILED, reason="Captions could not be read: empty")
    VideoFactory(channel=channel, title="A short", status=Video.Status.SKIPPED, reason="YouTube Short.")
    return channel


def test_adding_a_channel_redirects_to_its_page(alice_client):
    response = alice_client.post(reverse("channels:add"), {"url": "https://www.youtube.com/@mirabakes"})
    channel = Channel.objects.get()
    assert response.status_code == 302 and response["Location"] == channel.get_absolute_url()


@pytest.mark.parametrize("url", ["https://vimeo.com/1", "", "x" * 2100])
def test_a_bad_url_shows_a_form_error_and_adds_nothing(alice_client, url):
    response = alice_client.post(reverse("channels:add"), {"url": url})
    assert response.status_code == 400
    assert b'class="errorlist"' in response.content
    assert not Channel.objects.exists()


def test_adding_a_channel_twice_says_it_is_already_yours(alice_client):
    alice_client.post(reverse("channels:add"), {"url": "@mirabakes"})
    response = alice_client.post(reverse("channels:add"), {"url": "https://youtube.com/@MiraBakes"})
    assert response.status_code == 400 and b"You already added this" in response.content
    assert Channel.objects.count() == 1


def test_the_plan_limit_is_shown_when_reached(alice_client):
    for handle in ["@one", "@two"]:
        alice_client.post(reverse("channels:add"), {"url": handle})
    response = alice_client.post(reverse("channels:add"), {"url": "@three"})
    assert b"Free plan includes 2 channels" in response.content and Channel.objects.count() == 2


def test_the_channel_list_polls_while_a_channel_is_processing(alice_client, alice_channel):
    page = alice_client.get(reverse("channels:list")).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Mira Bakes" in page and "1/4 videos" in page

    fragment = alice_client.get(reverse("channels:list"), headers={"HX-Request": "true", "HX-Target": "channel-list"})
    assert fragment.content.decode().lstrip().startswith('<section id="channel-list"')

    Channel.objects.filter(pk=alice_channel.pk).update(status=Channel.Status.READY, videos_done=4)
    assert 'hx-trigger="every 2s"' not in alice_client.get(reverse("channels:list")).content.decode()


def test_the_channel_page_lists_videos_with_status_reason_duration_and_a_retry_button(alice_client, alice_channel):
    page = alice_client.get(alice_channel.get_absolute_url()).content.decode()
    assert "Sourdough" in page and "12:05" in page and "12 passages" in page
    assert "Captions could not be read: empty" in page and "YouTube Short." in page
    assert page.count(">Retry</button>") == 1


def test_the_progress_fragment_is_served_to_htmx_polling(alice_client, alice_channel):
    fragment = alice_client.get(alice_channel.get_absolute_url(), headers={"HX-Request": "true", "HX-Target": "channel-progress"})
    html = fragment.content.decode().lstrip()
    assert html.startswith('<section id="channel-progress"') and "<html" not in html
    assert "<strong>1</strong> of <strong>4</strong> videos done" in html


def test_retrying_a_failed_video_from_the_page(alice_client, alice_channel):
    failed = alice_channel.videos.get(status=Video.Status.FAILED)
    response = alice_client.post(reverse("channels:video_retry", args=[alice_channel.pk, failed.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.content.decode().lstrip().startswith('<section id="video-list"')
    assert Video.objects.get(pk=failed.pk).status == Video.Status.QUEUED


def test_deleting_asks_for_confirmation_first(alice_client, alice_channel):
    confirm = alice_client.get(reverse("channels:delete", args=[alice_channel.pk]))
    assert b"Delete for good" in confirm.content
    assert Channel.objects.filter(pk=alice_channel.pk, delete_requested_at__isnull=True).exists()

    alice_client.post(reverse("channels:delete", args=[alice_channel.pk]))

    assert alice_client.get(alice_channel.get_absolute_url()).status_code == 404
    assert b"Mira Bakes" not in alice_client.get(reverse("channels:list")).content


def test_the_profile_can_be_edited_and_leaves_the_public_switch_alone(alice_client, alice_channel):
    # Making a channel public is the switch on the channel page (test_views_recovery), not a
    # checkbox hidden in the profile editor.
    response = alice_client.post(
        reverse("channels:profile", args=[alice_channel.pk]),
        {"summary": "Home baking.", "topics": "sourdough, lamination", "catchphrases": "bake it till you make it",
         "addresses_viewers_as": "bakers", "tone": "warm", "vocabulary_level": "simple", "is_public": "on"},
        headers={"HX-Request": "true"},
    )  # fmt: skip
    assert response.status_code == 200 and b"Profile saved." in response.content
    assert b'name="is_public"' not in response.content
    alice_channel.refresh_from_db()
    assert alice_channel.topics == ["sourdough", "lamination"] and not alice_channel.is_public
    assert alice_channel.style["catchphrases"] == ["bake it till you make it"] and alice_channel.profile_source == "edited"


def test_uploading_a_transcript_adds_a_video(alice_client, alice):
    collection = ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY)
    upload = SimpleUploadedFile("ep1.txt", b"Welcome to episode one. Today we talk about rye bread.", content_type="text/plain")
    response = alice_client.post(reverse("channels:upload", args=[collection.pk]), {"file": upload, "title": "Episode 1"})
    assert response.status_code == 302
    assert collection.videos.get().title == "Episode 1"


def test_a_bad_upload_is_refused_with_a_message(alice_client, alice):
    collection = ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY)
    upload = SimpleUploadedFile("ep1.vtt", b"", content_type="text/vtt")
    response = alice_client.post(reverse("channels:upload", args=[collection.pk]), {"file": upload})
    assert response.status_code == 400 and not collection.videos.exists()


@pytest.mark.parametrize(
    ("method", "name", "extra"),
    [
        ("get", "channels:detail", ()),
        ("post", "channels:sync", ()),
        ("get", "channels:delete", ()),
        ("post", "channels:delete", ()),
        ("post", "channels:profile", ()),
        ("post", "channels:upload", ()),
    ],
)
def test_another_creator_gets_404_for_every_channel_page(client, bob, alice_channel, method, name, extra):
    client.force_login(bob)
    response = getattr(client, method)(reverse(name, args=[alice_channel.pk, *extra]))
    assert response.status_code == 404
    assert Channel.objects.get(pk=alice_channel.pk).delete_requested_at is None


def test_another_creator_cannot_retry_alices_video(client, charlie, alice_channel):
    client.force_login(charlie)
    failed = alice_channel.videos.get(status=Video.Status.FAILED)
    assert client.post(reverse("channels:video_retry", args=[alice_channel.pk, failed.pk])).status_code == 404
    assert Video.objects.get(pk=failed.pk).status == Video.Status.FAILED


def test_anonymous_visitors_are_sent_to_log_in(client, alice_channel):
    response = client.get(alice_channel.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_deeply_nested_json_upload_fails_its_video_with_a_message_not_a_500(
    alice_client, alice, django_capture_on_commit_callbacks
):
    # Uploads are parsed by the ingest job (a large file must not block the web request), so the
    # request accepts the file and the job ends the video failed with the reason.
    collection = ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY)
    upload = SimpleUploadedFile("ep1.json3", b'{"events":' + b"[" * 50_000 + b"]" * 50_000 + b"}", content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("channels:upload", args=[collection.pk]), {"file": upload})
    assert response.status_code == 302

    django_rq.get_worker("ingest", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)

    video = collection.videos.get()
    assert video.status == Video.Status.FAILED and "nested far too deeply" in video.reason
    assert "nested far too deeply" in alice_client.get(collection.get_absolute_url()).content.decode()
