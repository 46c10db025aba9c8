"""Uploaded caption files: checked cheaply in the request, parsed by the ingest job, counted
against the plan's videos per channel (race-safe) and against the owner's hourly allowance.

On the real database and Redis; the job runs in an RQ SimpleWorker in this process, so it sees
the test's transaction. The caption files are small ones written here in the formats
parse_captions reads (WebVTT, SRT, plain text).
"""

from __future__ import annotations

import threading
import time

import django_rq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from billing.models import Plan
from billing.services import user_plan_change
from channels_app.models import Channel, Chunk, Video
from channels_app.services import ingest
from tests.channels_app.factories import ChannelFactory, VideoFactory

SRT = b"1\n00:00:01,000 --> 00:00:04,000\nWelcome to the show.\n\n2\n00:00:04,500 --> 00:00:09,000\nToday: proofing rye.\n"
# Passes every cheap check (text, a caption extension) but has no cue: only parsing finds out.
VTT_WITHOUT_CUES = b"WEBVTT\n\nNOTE this file was cut before its first cue\n"


@pytest.fixture
def collection(alice):
    return ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY, title="My podcast")


@pytest.fixture
def two_video_plan(alice):
    plan = Plan.objects.create(slug="two-videos", name="Tiny", max_videos_per_channel=2)
    user_plan_change(user=alice, plan=plan)
    return plan


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def _run_ingest_jobs() -> None:
    django_rq.get_worker("ingest", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)


# --- parsing happens in the job ---------------------------------------------------------------


def test_it_stores_and_queues_an_upload_without_parsing_it(collection, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        video = ingest.video_upload_captions(channel=collection, filename="episode-1.srt", data=SRT)

    assert video.status == Video.Status.QUEUED and not Chunk.objects.filter(video=video).exists()
    assert video.caption_file.name.endswith("/episode-1.srt")
    with video.caption_file.open("rb") as handle:
        assert handle.read() == SRT
    assert django_rq.get_queue("ingest").job_ids == [f"video-ingest-{video.pk}"]

    _run_ingest_jobs()

    video.refresh_from_db()
    assert (video.status, video.chunk_count) == (Video.Status.READY, 1)
    assert "proofing rye" in Chunk.objects.get(video=video).text


def test_it_ends_a_file_that_cannot_be_parsed_as_a_failed_video_with_the_reason(
    collection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        video = ingest.video_upload_captions(channel=collection, filename="lecture 3.vtt", data=VTT_WITHOUT_CUES)
    assert video.status == Video.Status.QUEUED

    _run_ingest_jobs()

    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    # The creator's own file name, not the storage path, and the parser's reason.
    assert video.reason.startswith("Captions could not be read: lecture_3.vtt:"), video.reason
    assert "cue" in video.reason.lower()
    collection.refresh_from_db()
    assert collection.videos_done == collection.videos_total == 1


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("empty.vtt", b"", "empty.vtt is empty"),
        ("blank.txt", b"  \n\n \t", "blank.txt is empty"),
        ("junk.srt", bytes(range(256)) * 4, "looks like binary data"),
        ("slides.pdf", b"%PDF-1.7 some text", "not a caption or transcript file"),
    ],
)
def test_it_refuses_what_a_cheap_look_rules_out_and_stores_nothing(collection, filename, data, message):
    with pytest.raises(ingest.UploadError) as error:
        ingest.video_upload_captions(channel=collection, filename=filename, data=data)
    assert message in str(error.value)
    assert not Video.objects.filter(channel=collection).exists()


def test_it_refuses_a_file_over_the_size_limit(collection, settings):
    settings.CAPTION_UPLOAD_MAX_BYTES = 1024
    with pytest.raises(ingest.UploadError, match="long.txt is larger than 1.0.KB"):
        ingest.video_upload_captions(channel=collection, filename="long.txt", data=b"word " * 300)
    assert not collection.videos.exists()


def test_the_upload_form_refuses_a_file_over_the_size_limit_before_the_service(alice_client, collection, settings):
    settings.CAPTION_UPLOAD_MAX_BYTES = 1024
    response = alice_client.post(
        reverse("channels:upload", args=[collection.pk]), {"file": SimpleUploadedFile("long.txt", b"word " * 300)}
    )
    assert response.status_code == 400 and "long.txt is larger than 1.0\xa0KB." in response.content.decode()
    assert not collection.videos.exists()


def test_it_accepts_utf16_text_with_a_byte_order_mark(collection):
    data = "Welcome to episode one, all about rye.".encode("utf-16")
    assert b"\x00" in data
    assert ingest.video_upload_captions(channel=collection, filename="ep1.txt", data=data).status == Video.Status.QUEUED


def test_it_refuses_to_replace_the_captions_of_another_channels_video(collection, bob):
    foreign = VideoFactory(channel=ChannelFactory(owner=bob))
    with pytest.raises(ingest.UploadError, match="not part of this channel"):
        ingest.video_upload_captions(channel=collection, filename="ep.srt", data=SRT, video=foreign)


# --- the plan's cap on videos per channel ----------------------------------------------------------


def test_uploads_count_toward_the_plans_video_cap(collection, two_video_plan):
    ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    ingest.video_upload_captions(channel=collection, filename="ep2.srt", data=SRT)

    with pytest.raises(ingest.UploadLimitReached) as error:
        ingest.video_upload_captions(channel=collection, filename="ep3.srt", data=SRT)

    assert str(error.value) == (
        "Your Tiny plan allows 2 videos per channel and My podcast has 2. Upgrade your plan to add more."
    )
    assert collection.videos.count() == 2


def test_the_cap_counts_youtube_videos_but_not_skipped_ones(alice, two_video_plan):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY)
    VideoFactory(channel=channel, status=Video.Status.READY)
    VideoFactory(channel=channel, status=Video.Status.SKIPPED, reason="YouTube Short.")
    ingest.video_upload_captions(channel=channel, filename="extra.srt", data=SRT)
    with pytest.raises(ingest.UploadLimitReached):
        ingest.video_upload_captions(channel=channel, filename="one-more.srt", data=SRT)


def test_new_captions_for_an_existing_video_fit_a_full_channel(collection, two_video_plan):
    first = ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    ingest.video_upload_captions(channel=collection, filename="ep2.srt", data=SRT)

    replaced = ingest.video_upload_captions(channel=collection, filename="ep1-fixed.srt", data=SRT, video=first)

    assert replaced.pk == first.pk and replaced.caption_file.name.endswith("/ep1-fixed.srt")
    assert collection.videos.count() == 2


def test_new_captions_under_the_same_name_keep_the_name_and_drop_the_old_file(
    collection, django_capture_on_commit_callbacks
):
    from django.core.files.storage import default_storage

    first = ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    old_name = first.caption_file.name
    with django_capture_on_commit_callbacks(execute=True):
        again = ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT + b"\n", video=first)

    assert again.caption_file.name != old_name and again.caption_file.name.endswith("/ep1.srt")
    assert default_storage.exists(again.caption_file.name) and not default_storage.exists(old_name)


def test_several_files_that_do_not_all_fit_are_refused_together(collection, two_video_plan):
    ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    uploads = [ingest.CaptionUpload(filename=f"ep{n}.srt", data=SRT) for n in (2, 3)]

    with pytest.raises(ingest.UploadLimitReached, match=r"per channel: My podcast has 1, so 1 more fits and you sent 2\."):
        ingest.videos_upload_captions(channel=collection, uploads=uploads)

    assert collection.videos.count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_upload_waits_for_a_concurrent_one_and_cannot_take_the_same_last_slot(alice):
    """Deterministic: this test takes the last slot in its own open transaction, holding the
    channel's row as the service does; the concurrent upload must wait for it and then see it."""
    user_plan_change(user=alice, plan=Plan.objects.create(slug="two", name="Tiny", max_videos_per_channel=2))
    channel = ChannelFactory(owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY)
    VideoFactory(channel=channel, status=Video.Status.READY)
    outcome: list[object] = []

    def upload_concurrently() -> None:
        try:
            outcome.append(ingest.video_upload_captions(channel=channel, filename="late.srt", data=SRT))
        except ingest.UploadError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    with transaction.atomic():
        ingest.video_upload_captions(channel=channel, filename="first.srt", data=SRT)
        other = threading.Thread(target=upload_concurrently)
        other.start()
        time.sleep(0.5)
        # Without the lock it would have counted one committed video and been let in by now.
        assert outcome == [] and other.is_alive()
    other.join(timeout=10)

    assert len(outcome) == 1 and isinstance(outcome[0], ingest.UploadLimitReached)
    assert "late" not in set(channel.videos.values_list("title", flat=True))
    assert channel.videos.count() == 2


# --- the hourly allowance --------------------------------------------------------------------------


def test_it_refuses_uploads_over_the_hourly_allowance_and_says_when_to_come_back(collection, settings):
    settings.UPLOADS_PER_HOUR = 2
    ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    ingest.video_upload_captions(channel=collection, filename="ep2.srt", data=SRT)

    with pytest.raises(ingest.UploadRateLimited) as error:
        ingest.video_upload_captions(channel=collection, filename="ep3.srt", data=SRT)

    assert str(error.value).startswith("You can upload 2 files per hour and have used them all. Try again in ")
    assert 1 <= error.value.retry_after_s <= 3600 and error.value.status_code == 429
    assert collection.videos.count() == 2


def test_a_refused_upload_takes_nothing_from_the_allowance(collection, two_video_plan, settings):
    settings.UPLOADS_PER_HOUR = 3
    ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    with pytest.raises(ingest.UploadRateLimited, match="have 2 left"):
        ingest.videos_upload_captions(
            channel=collection,
            uploads=[ingest.CaptionUpload(filename=f"x{n}.srt", data=SRT, video=collection.videos.get()) for n in range(3)],
        )
    with pytest.raises(ingest.UploadError):
        ingest.video_upload_captions(channel=collection, filename="binary.srt", data=b"\x00\x01")
    ingest.video_upload_captions(channel=collection, filename="ep2.srt", data=SRT)
    with pytest.raises(ingest.UploadLimitReached):
        ingest.video_upload_captions(channel=collection, filename="ep3.srt", data=SRT)

    # Two taken (ep1, ep2); the refusals above took none, so one is left.
    ingest.video_upload_captions(channel=collection, filename="ep1-again.srt", data=SRT, video=collection.videos.first())
    with pytest.raises(ingest.UploadRateLimited):
        ingest.video_upload_captions(channel=collection, filename="ep1-again.srt", data=SRT, video=collection.videos.first())


def test_the_allowance_is_never_overdrawn_by_concurrent_requests(settings, alice):
    settings.UPLOADS_PER_HOUR = 5
    start = threading.Barrier(12)
    taken: list[bool] = []

    def take() -> None:
        start.wait()
        try:
            ingest.upload_allowance_take(user_id=alice.pk, amount=1)
            taken.append(True)
        except ingest.UploadRateLimited:
            taken.append(False)

    threads = [threading.Thread(target=take) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert taken.count(True) == 5 and taken.count(False) == 7


def test_the_allowance_is_per_user(settings, alice, bob):
    settings.UPLOADS_PER_HOUR = 1
    ingest.upload_allowance_take(user_id=alice.pk, amount=1)
    ingest.upload_allowance_take(user_id=bob.pk, amount=1)
    with pytest.raises(ingest.UploadRateLimited):
        ingest.upload_allowance_take(user_id=alice.pk, amount=1)


def test_it_refuses_with_503_when_the_allowance_cannot_be_checked(collection, settings):
    settings.REDIS_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    with pytest.raises(ingest.UploadsUnavailable) as error:
        ingest.video_upload_captions(channel=collection, filename="ep1.srt", data=SRT)
    assert error.value.status_code == 503 and "try again" in str(error.value)
    assert not collection.videos.exists()


# --- the upload view -------------------------------------------------------------------------------


def test_the_upload_request_returns_before_parsing_and_the_job_adds_the_chunks(
    alice_client, collection, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("ep1.srt", SRT, content_type="application/x-subrip")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("channels:upload", args=[collection.pk]), {"file": upload})

    assert response.status_code == 302
    video = collection.videos.get()
    assert video.status == Video.Status.QUEUED and not Chunk.objects.filter(channel=collection).exists()

    _run_ingest_jobs()

    assert Chunk.objects.filter(video=video).count() == 1
    assert Video.objects.get(pk=video.pk).status == Video.Status.READY


def test_an_unreadable_file_is_accepted_by_the_request_and_fails_visibly_in_the_job(
    alice_client, collection, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("broken.vtt", VTT_WITHOUT_CUES, content_type="text/vtt")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(reverse("channels:upload", args=[collection.pk]), {"file": upload})
    assert response.status_code == 302

    _run_ingest_jobs()

    page = alice_client.get(reverse("channels:detail", args=[collection.pk])).content.decode()
    video = collection.videos.get()
    assert video.status == Video.Status.FAILED
    assert "Captions could not be read: broken.vtt:" in page


def test_the_upload_view_answers_429_with_retry_after_over_the_allowance(alice_client, collection, settings):
    settings.UPLOADS_PER_HOUR = 1
    url = reverse("channels:upload", args=[collection.pk])
    assert alice_client.post(url, {"file": SimpleUploadedFile("a.srt", SRT)}).status_code == 302

    response = alice_client.post(url, {"file": SimpleUploadedFile("b.srt", SRT)})

    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert "You can upload 1 file per hour and have used them all. Try again in " in response.content.decode()
    assert collection.videos.count() == 1


def test_the_upload_view_explains_the_cap_and_links_to_the_upgrade(alice_client, collection, two_video_plan):
    VideoFactory(channel=collection, status=Video.Status.READY)
    VideoFactory(channel=collection, status=Video.Status.READY)

    response = alice_client.post(
        reverse("channels:upload", args=[collection.pk]), {"file": SimpleUploadedFile("c.srt", SRT)}
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Your Tiny plan allows 2 videos per channel" in page
    assert f'href="{reverse("billing:overview")}"' in page and "See plans and upgrade" in page
    assert collection.videos.count() == 2


def test_a_plain_form_error_shows_no_upgrade_link(alice_client, collection):
    response = alice_client.post(
        reverse("channels:upload", args=[collection.pk]), {"file": SimpleUploadedFile("c.pdf", b"%PDF-1.4")}
    )
    assert response.status_code == 400 and "not a caption or transcript file" in response.content.decode()
    assert "See plans and upgrade" not in response.content.decode()
