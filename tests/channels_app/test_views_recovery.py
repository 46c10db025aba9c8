"""The channel page when something went wrong (issue 12): what happened, what the creator can
do, and the buttons to do it; uploads of several caption files; deleting one video; the public
switch with its share link."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from channels_app.models import Channel, Video
from tests.channels_app.factories import ChannelFactory, VideoFactory

pytestmark = pytest.mark.django_db

VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nFeed the starter every day with flour and water.\n"
REASON = "This video is unavailable on YouTube."


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def failed_channel(alice):
    return ChannelFactory(owner=alice, title="@mira", status=Channel.Status.FAILED, status_reason=REASON)


def _section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start : page.index("</section>", start)]


def test_adding_a_channel_leaves_no_added_notice_to_stand_beside_a_later_failure(alice_client):
    response = alice_client.post(reverse("channels:add"), {"url": "@mira"}, follow=True)

    page = response.content.decode()
    assert "Channel added" not in page  # no flash message that outlives the state it described
    assert "Reading it from YouTube; this page updates by itself." in _section(page, "channel-progress")


def test_a_failed_channel_says_what_happened_and_offers_retry_upload_and_delete(alice_client, failed_channel):
    page = alice_client.get(failed_channel.get_absolute_url()).content.decode()

    progress = _section(page, "channel-progress")
    assert "YouTube could not be read" in progress and REASON in progress
    assert f'action="{reverse("channels:retry", args=[failed_channel.pk])}"' in progress
    assert 'href="#upload"' in progress and reverse("channels:delete", args=[failed_channel.pk]) in progress
    assert "<progress" not in progress  # no full red bar for "0 of 0"
    assert "hx-trigger" not in progress  # finished: no polling


def test_retrying_a_failed_channel_from_its_page_reads_it_again(alice_client, failed_channel):
    response = alice_client.post(reverse("channels:retry", args=[failed_channel.pk]), follow=True)

    failed_channel.refresh_from_db()
    assert failed_channel.status == Channel.Status.QUEUED and failed_channel.status_reason == ""
    progress = _section(response.content.decode(), "channel-progress")
    assert "Reading it from YouTube; this page updates by itself." in progress
    assert 'hx-trigger="every 2s"' in progress  # the page follows the retry and shows its outcome


def test_sync_now_says_checking_and_keeps_polling_until_the_job_reports(alice_client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY)
    VideoFactory(channel=channel, status=Video.Status.READY)

    page = alice_client.post(reverse("channels:sync", args=[channel.pk]), follow=True).content.decode()

    progress = _section(page, "channel-progress")
    assert "Checking YouTube for new videos…" in progress and 'hx-trigger="every 2s"' in progress


def test_a_failed_sync_is_shown_with_a_way_to_check_again_or_upload(alice_client, alice):
    channel = ChannelFactory(
        owner=alice, status=Channel.Status.READY, sync_error="Checking YouTube for new videos failed: rate limited."
    )
    VideoFactory(channel=channel, status=Video.Status.READY)

    progress = _section(alice_client.get(channel.get_absolute_url()).content.decode(), "channel-progress")

    assert "rate limited." in progress and "Check again" in progress and 'href="#upload"' in progress


def test_a_channel_with_failed_videos_offers_to_retry_them_all(alice_client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY_WITH_ERRORS, status_reason="1 video(s) failed.")
    VideoFactory(channel=channel, status=Video.Status.READY)
    VideoFactory(channel=channel, status=Video.Status.FAILED, reason="Captions could not be read")

    progress = _section(alice_client.get(channel.get_absolute_url()).content.decode(), "channel-progress")

    assert "Retry the failed videos" in progress and "Upload their captions instead" in progress


def test_the_channel_list_sends_a_failed_channel_to_its_way_out(alice_client, failed_channel):
    page = alice_client.get(reverse("channels:list")).content.decode()
    assert f'href="{failed_channel.get_absolute_url()}#channel-problem"' in page


# --- uploads ------------------------------------------------------------------------------------


def test_several_files_are_uploaded_at_once_each_with_its_own_video_and_title(alice_client, failed_channel):
    files = [
        SimpleUploadedFile("Starter [dQw4w9WgXcQ].en.vtt", VTT),
        SimpleUploadedFile("captions.srt", VTT),
        SimpleUploadedFile("episode.vtt", VTT),
    ]
    response = alice_client.post(
        reverse("channels:upload", args=[failed_channel.pk]),
        {"file": files, "youtube_1": "https://youtu.be/9bZkp7q19f0", "title_1": "Rye bread", "title_2": "Episode 2"},
        follow=True,
    )

    videos = {v.title: v.youtube_id for v in failed_channel.videos.all()}
    assert videos == {"Starter": "dQw4w9WgXcQ", "Rye bread": "9bZkp7q19f0", "Episode 2": ""}
    message = response.content.decode()
    assert "3 files uploaded" in message and "(YouTube dQw4w9WgXcQ)" in message and "(no YouTube link)" in message


def test_a_bad_youtube_link_for_one_file_names_the_file_and_stores_nothing(alice_client, failed_channel):
    response = alice_client.post(
        reverse("channels:upload", args=[failed_channel.pk]),
        {"file": [SimpleUploadedFile("a.vtt", VTT), SimpleUploadedFile("b.vtt", VTT)], "youtube_1": "https://vimeo.com/1"},
    )

    assert response.status_code == 400
    assert "b.vtt: That is not a YouTube link" in response.content.decode()
    assert not failed_channel.videos.exists()


def test_one_file_for_a_single_video_channel_is_for_that_video(alice_client, alice):
    channel = ChannelFactory(
        owner=alice, kind=Channel.Kind.VIDEO, source_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        source_key="video:dQw4w9WgXcQ", status=Channel.Status.FAILED, status_reason=REASON, title="",
    )  # fmt: skip

    alice_client.post(reverse("channels:upload", args=[channel.pk]), {"file": SimpleUploadedFile("captions.srt", VTT)})

    assert channel.videos.get().youtube_id == "dQw4w9WgXcQ"


def test_upload_captions_on_a_failed_videos_row_opens_the_form_to_replace_its_captions(alice_client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY_WITH_ERRORS)
    broken = VideoFactory(channel=channel, title="Broken", status=Video.Status.FAILED, reason="Captions could not be read")
    page = alice_client.get(channel.get_absolute_url()).content.decode()
    assert f'href="?replace={broken.pk}#upload"' in _section(page, "video-list")

    page = alice_client.get(f"{channel.get_absolute_url()}?replace={broken.pk}").content.decode()

    assert re.search(rf'<option value="{broken.pk}" selected>Broken</option>', page)


def test_the_upload_form_is_a_multi_file_input_enhanced_by_a_static_script(alice_client, failed_channel):
    page = alice_client.get(failed_channel.get_absolute_url()).content.decode()

    upload = _section(page, "upload")
    assert re.search(r'<input type="file" name="file"[^>]* multiple', upload)
    assert "data-caption-upload" in upload and "[VIDEO_ID]" in upload
    assert '<script src="/static/js/channel.js" defer></script>' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script (CSP)


# --- one video deleted ----------------------------------------------------------------------------


def test_deleting_a_video_asks_first_then_removes_it(alice_client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY)
    video = VideoFactory(channel=channel, title="Old one", status=Video.Status.READY)
    url = reverse("channels:video_delete", args=[channel.pk, video.pk])

    confirm = alice_client.get(url)
    assert confirm.status_code == 200 and "Delete “Old one”?" in confirm.content.decode()
    assert Video.objects.filter(pk=video.pk).exists()

    response = alice_client.post(url, follow=True)
    assert not Video.objects.filter(pk=video.pk).exists()
    assert "“Old one” is deleted" in response.content.decode()


@pytest.mark.parametrize(
    ("method", "name"),
    [("post", "channels:retry"), ("post", "channels:public"), ("get", "channels:video_delete"), ("post", "channels:video_delete")],
)
def test_another_creator_gets_404_from_the_recovery_pages(client, bob, alice, method, name):
    channel = ChannelFactory(owner=alice, status=Channel.Status.FAILED)
    video = VideoFactory(channel=channel)
    args = [channel.pk, video.pk] if name == "channels:video_delete" else [channel.pk]
    client.force_login(bob)

    assert getattr(client, method)(reverse(name, args=args)).status_code == 404
    assert Video.objects.filter(pk=video.pk).exists() and not Channel.objects.get(pk=channel.pk).is_public


# --- the public switch ----------------------------------------------------------------------------


def test_the_public_switch_is_on_the_channel_page_not_in_the_profile_editor(alice_client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY, chunks_count=4)
    page = alice_client.get(channel.get_absolute_url()).content.decode()

    public = _section(page, "channel-public")
    assert 'role="switch" aria-checked="false"' in public
    assert 'name="is_public"' not in _section(page, "channel-profile")


def test_flipping_the_switch_makes_it_public_with_an_absolute_share_link_and_a_copy_button(alice_client, alice, settings):
    settings.SITE_URL = "https://yoppy.example"
    channel = ChannelFactory(owner=alice, title="Mira Bakes", status=Channel.Status.READY, chunks_count=4)

    response = alice_client.post(
        reverse("channels:public", args=[channel.pk]), {"is_public": "on"}, headers={"HX-Request": "true"}
    )

    channel.refresh_from_db()
    assert channel.is_public and channel.slug == "mira-bakes"
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="channel-public"')
    assert 'aria-checked="true"' in fragment
    assert 'value="https://yoppy.example/c/mira-bakes/"' in fragment and 'data-copy="share-link"' in fragment

    alice_client.post(reverse("channels:public", args=[channel.pk]), {"is_public": ""})
    channel.refresh_from_db()
    assert not channel.is_public


def test_a_channel_without_passages_cannot_be_switched_public_and_says_why(alice_client, failed_channel):
    response = alice_client.post(
        reverse("channels:public", args=[failed_channel.pk]), {"is_public": "on"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400 and "no processed videos yet" in response.content.decode()
    failed_channel.refresh_from_db()
    assert not failed_channel.is_public


# --- the chat of a failed channel -----------------------------------------------------------------


def test_the_owners_chat_with_a_failed_channel_says_it_failed_and_links_to_the_fix(alice_client, failed_channel):
    response = alice_client.post(reverse("chat:ask", args=[failed_channel.pk]), {"question": "How do I feed it?"})

    html = response.content.decode()
    assert response.status_code == 422 and "still being processed" not in html
    assert "could not be processed" in html and f'href="{failed_channel.get_absolute_url()}"' in html
