"""A creator whose channel failed can get out of it (issue 12): the failure is stored and shown,
retries do something visible, captions can be uploaded instead (matched to YouTube videos by
id), a single video can be deleted, and the channel can be made public.

YouTube is replaced at yt-dlp's network boundary by recorded info dicts (youtube_doubles); an
URL with no recording answers as YouTube does for a video it cannot give ("Video unavailable").
"""

from __future__ import annotations

import django_rq
import pytest
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from channels_app import tasks
from channels_app.models import Channel, Chunk, Video
from channels_app.services import channels as services
from channels_app.services import ingest
from tests.channels_app.factories import ChannelFactory, VideoFactory
from tests.channels_app.youtube_doubles import RecordedYouTube, channel_tab, flat_entry

pytestmark = pytest.mark.django_db

VTT = b"WEBVTT\n\n00:00:01.000 --> 00:00:05.000\nFeed the starter every day with flour and water.\n\n00:00:06.000 --> 00:00:09.000\nKeep it warm.\n"
VIDEOS_TAB = "https://www.youtube.com/@recorded/videos"


def _run_jobs() -> None:
    django_rq.get_worker("ingest", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)


@pytest.fixture
def failed_channel(alice):
    """A channel whose first read from YouTube failed: no video known."""
    channel = Channel.objects.create(
        owner=alice, kind=Channel.Kind.CHANNEL, source_url="https://www.youtube.com/@recorded",
        source_key="channel:@recorded", title="@recorded", status=Channel.Status.QUEUED,
    )  # fmt: skip
    ingest.channel_process(channel=channel, client=RecordedYouTube({}))
    channel.refresh_from_db()
    assert channel.status == Channel.Status.FAILED and channel.status_reason
    return channel


@pytest.fixture
def ready_channel(alice):
    channel = Channel.objects.create(
        owner=alice, kind=Channel.Kind.CHANNEL, source_url="https://www.youtube.com/@recorded",
        source_key="channel:@recorded", title="Recorded Creator", status=Channel.Status.READY,
    )  # fmt: skip
    VideoFactory(channel=channel, youtube_id="AAAAAAAAAA1", title="Known video", status=Video.Status.READY)
    return channel


# --- the failure is stored and the way out is offered ------------------------------------------


def test_a_channel_youtube_could_not_read_reports_its_listing_failed_and_no_full_bar(failed_channel):
    assert failed_channel.listing_failed
    assert failed_channel.progress_percent == 0  # "0 of 0" of a failure is not a full bar


def test_sync_now_on_a_channel_that_was_never_read_reads_it_again_visibly(failed_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.channel_sync_request(channel=failed_channel) == "retry"

    failed_channel.refresh_from_db()
    assert (failed_channel.status, failed_channel.status_reason) == (Channel.Status.QUEUED, "")
    assert f"channel-process-{failed_channel.pk}" in django_rq.get_queue("ingest").job_ids


def test_a_failed_sync_stores_why_instead_of_only_logging_it(ready_channel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert services.channel_sync_request(channel=ready_channel) == "sync"
    ready_channel.refresh_from_db()
    assert ready_channel.sync_in_progress

    ingest.channel_sync(channel=ready_channel, client=RecordedYouTube({}))

    ready_channel.refresh_from_db()
    assert not ready_channel.sync_in_progress and ready_channel.sync_requested_at is None
    assert ready_channel.sync_error.startswith("Checking YouTube for new videos failed:")
    assert ready_channel.status == Channel.Status.READY  # the videos already there are untouched


def test_a_sync_that_works_clears_the_last_failure(ready_channel):
    Channel.objects.filter(pk=ready_channel.pk).update(sync_error="Checking YouTube for new videos failed: x")
    recorded = RecordedYouTube({VIDEOS_TAB: channel_tab([flat_entry("AAAAAAAAAA1", "Known video", 900)])})

    ingest.channel_sync(channel=ready_channel, client=recorded)

    ready_channel.refresh_from_db()
    assert ready_channel.sync_error == "" and ready_channel.last_synced_at is not None


def test_a_sync_asked_for_while_the_channel_is_processing_stops_saying_checking(ready_channel):
    Channel.objects.filter(pk=ready_channel.pk).update(status=Channel.Status.PROCESSING)
    services.channel_sync_request(channel=ready_channel)

    tasks.channel_sync(ready_channel.pk)

    ready_channel.refresh_from_db()
    assert ready_channel.sync_requested_at is None


def test_a_crashed_sync_job_leaves_the_channel_ready_and_says_the_check_failed(ready_channel):
    services.channel_sync_request(channel=ready_channel)

    class Job:
        id = f"channel-sync-{ready_channel.pk}"
        args = (ready_channel.pk,)

    tasks.channel_job_failed(Job(), None, RuntimeError, RuntimeError("boom"), None)

    ready_channel.refresh_from_db()
    assert ready_channel.status == Channel.Status.READY
    assert "Checking for new videos failed unexpectedly (RuntimeError)" in ready_channel.sync_error


def test_retrying_a_channel_with_failed_videos_queues_each_of_them(ready_channel, django_capture_on_commit_callbacks):
    broken = VideoFactory(channel=ready_channel, status=Video.Status.FAILED, reason="Captions could not be read")
    silent = VideoFactory(channel=ready_channel, status=Video.Status.NO_CAPTIONS)
    Channel.objects.filter(pk=ready_channel.pk).update(status=Channel.Status.READY_WITH_ERRORS)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.channel_retry(channel=ready_channel) == 2

    assert set(Video.objects.filter(pk__in=[broken.pk, silent.pk]).values_list("status", flat=True)) == {"queued"}
    ready_channel.refresh_from_db()
    assert ready_channel.status == Channel.Status.PROCESSING


def test_a_failed_single_video_channel_can_be_retried(alice, django_capture_on_commit_callbacks):
    channel = Channel.objects.create(
        owner=alice, kind=Channel.Kind.VIDEO, source_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        source_key="video:dQw4w9WgXcQ", status=Channel.Status.QUEUED,
    )  # fmt: skip
    ingest.channel_process(channel=channel, client=RecordedYouTube({}))
    channel.refresh_from_db()
    assert channel.status == Channel.Status.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        services.channel_retry(channel=channel)

    channel.refresh_from_db()
    assert channel.status == Channel.Status.QUEUED
    assert f"channel-process-{channel.pk}" in django_rq.get_queue("ingest").job_ids


# --- captions uploaded instead, matched to their videos ----------------------------------------


def _upload(channel, *files):
    return ingest.videos_upload_captions(
        channel=channel,
        uploads=[ingest.CaptionUpload(filename=name, data=VTT, youtube_id=vid, title=title) for name, vid, title in files],
    )


def test_captions_uploaded_to_a_channel_youtube_could_not_read_become_its_videos_with_their_ids(
    failed_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        videos = _upload(
            failed_channel,
            ("Starter [dQw4w9WgXcQ].en.vtt", "dQw4w9WgXcQ", ""),
            ("captions.srt", "", ""),
        )
    _run_jobs()

    starter, untitled = (Video.objects.get(pk=v.pk) for v in videos)
    assert (starter.youtube_id, starter.title, starter.status) == ("dQw4w9WgXcQ", "Starter", Video.Status.READY)
    assert starter.watch_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert (untitled.youtube_id, untitled.title) == ("", "Untitled upload 1")
    # (The finishing job is enqueued on a commit this test's transaction never makes.)
    assert ingest.channel_finalize(channel=Channel.objects.get(pk=failed_channel.pk))
    failed_channel.refresh_from_db()
    assert failed_channel.status == Channel.Status.READY and failed_channel.chunks_count >= 2
    assert not Channel.objects.get(pk=failed_channel.pk).listing_failed


def test_untitled_uploads_are_numbered_on_from_the_last_one(failed_channel):
    _upload(failed_channel, ("captions.srt", "", ""))
    videos = _upload(failed_channel, ("subtitles.vtt", "", ""), ("transcript.txt", "", ""))

    assert [v.title for v in videos] == ["Untitled upload 2", "Untitled upload 3"]


def test_a_file_with_only_an_id_is_named_after_its_video_until_it_is_given_a_title(failed_channel):
    (video,) = _upload(failed_channel, ("dQw4w9WgXcQ.en.vtt", "dQw4w9WgXcQ", ""))
    assert video.title == "YouTube video dQw4w9WgXcQ"


def test_a_file_for_a_video_the_channel_has_replaces_its_captions_instead_of_adding_a_copy(ready_channel):
    known = ready_channel.videos.get()
    Video.objects.filter(pk=known.pk).update(status=Video.Status.NO_CAPTIONS)

    (video,) = _upload(ready_channel, ("Known [AAAAAAAAAA1].en.vtt", "AAAAAAAAAA1", ""))

    assert video.pk == known.pk and ready_channel.videos.count() == 1
    assert video.status == Video.Status.QUEUED and video.title == "Known video"


def test_two_files_for_the_same_video_are_refused_together(failed_channel):
    with pytest.raises(ingest.UploadError, match="both for YouTube video dQw4w9WgXcQ"):
        _upload(failed_channel, ("a.vtt", "dQw4w9WgXcQ", ""), ("b.vtt", "dQw4w9WgXcQ", ""))
    assert not failed_channel.videos.exists()


def test_more_files_than_one_upload_may_carry_are_refused(failed_channel, settings):
    settings.CAPTION_UPLOAD_MAX_FILES = 2
    with pytest.raises(ingest.UploadError, match="at most 2 files"):
        _upload(failed_channel, ("a.vtt", "", ""), ("b.vtt", "", ""), ("c.vtt", "", ""))


# --- one video deleted ---------------------------------------------------------------------------


def test_deleting_a_video_takes_its_passages_and_file_and_a_sync_does_not_bring_it_back(
    ready_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (video,) = _upload(ready_channel, ("Known [AAAAAAAAAA1].en.vtt", "AAAAAAAAAA1", ""))
    _run_jobs()
    video.refresh_from_db()
    storage, name = video.caption_file.storage, video.caption_file.name
    assert Chunk.objects.filter(video=video).exists() and storage.exists(name)

    with django_capture_on_commit_callbacks(execute=True):
        services.video_delete(video=video)

    assert not Video.objects.filter(pk=video.pk).exists() and not Chunk.objects.filter(video_id=video.pk).exists()
    assert not storage.exists(name)
    ready_channel.refresh_from_db()
    assert ready_channel.removed_video_ids == ["AAAAAAAAAA1"] and ready_channel.chunks_count == 0

    recorded = RecordedYouTube({VIDEOS_TAB: channel_tab([flat_entry("AAAAAAAAAA1", "Known video", 900)])})
    assert ingest.channel_sync(channel=ready_channel, client=recorded) == 0
    assert not ready_channel.videos.filter(youtube_id="AAAAAAAAAA1").exists()


def test_uploading_captions_for_a_deleted_video_brings_it_back(ready_channel):
    services.video_delete(video=ready_channel.videos.get())

    _upload(ready_channel, ("Known [AAAAAAAAAA1].en.vtt", "AAAAAAAAAA1", "Known again"))

    ready_channel.refresh_from_db()
    assert ready_channel.removed_video_ids == [] and ready_channel.videos.get().title == "Known again"


def test_deleting_the_one_failed_video_makes_the_channel_ready(ready_channel):
    broken = VideoFactory(channel=ready_channel, status=Video.Status.FAILED, reason="Captions could not be read")
    Channel.objects.filter(pk=ready_channel.pk).update(
        status=Channel.Status.READY_WITH_ERRORS, status_reason="1 video(s) failed; you can retry them."
    )

    services.video_delete(video=broken)

    ready_channel.refresh_from_db()
    assert (ready_channel.status, ready_channel.status_reason) == (Channel.Status.READY, "")


def test_deleting_the_last_upload_of_a_collection_leaves_it_ready_for_more(alice):
    collection = ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY)
    video = VideoFactory(channel=collection, youtube_id="", status=Video.Status.READY)

    services.video_delete(video=video)

    collection.refresh_from_db()
    assert collection.status == Channel.Status.READY and collection.removed_video_ids == []


# --- the public switch ---------------------------------------------------------------------------


def test_a_channel_with_passages_can_be_made_public_and_gets_a_slug(ready_channel):
    Channel.objects.filter(pk=ready_channel.pk).update(chunks_count=3)

    channel = services.channel_publish(channel=ready_channel, is_public=True)

    assert channel.is_public and channel.slug == "recorded-creator"
    assert not services.channel_publish(channel=channel, is_public=False).is_public


def test_a_channel_with_nothing_to_answer_from_cannot_be_made_public(failed_channel):
    with pytest.raises(services.ChannelNotReady, match="no processed videos yet"):
        services.channel_publish(channel=failed_channel, is_public=True)
    failed_channel.refresh_from_db()
    assert not failed_channel.is_public
