"""The ingestion pipeline end to end on the real database, Redis and embedding model, with
YouTube replaced at its network boundary (recorded info dicts, captions over local HTTP)."""

from __future__ import annotations

import django_rq
import pytest
from django.core import mail

from billing.models import Plan
from billing.services import user_plan_change
from channels_app.models import Channel, Chunk, Video
from channels_app.services import channels as channel_services
from channels_app.services import ingest
from channels_app.services.youtube import YouTubeError
from tests.channels_app.factories import ChannelFactory
from tests.channels_app.youtube_doubles import (
    CaptionServer,
    RecordedYouTube,
    channel_tab,
    flat_entry,
    video_info,
)

WORDS = ["today", "we", "are", "going", "to", "talk", "about", "sourdough", "starters", "and", "how", "to", "keep", "them", "alive", "you", "need", "flour", "and", "water", "in", "equal", "weight", "and", "a", "warm", "spot", "in", "your", "kitchen"]


def vtt_transcript(minutes: int = 6, *, topic: str = "sourdough") -> bytes:
    """A WebVTT file of ~25 words per 10 s cue over ``minutes`` minutes."""
    lines = ["WEBVTT", ""]
    for i in range(minutes * 6):
        start, end = i * 10, i * 10 + 10
        words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(25))
        lines += [f"00:{start // 60:02d}:{start % 60:02d}.000 --> 00:{end // 60:02d}:{end % 60:02d}.000",
                  f"cue {i} about {topic} {words}", ""]  # fmt: skip
    return "\n".join(lines).encode()


@pytest.fixture
def captions():
    server = CaptionServer()
    yield server
    server.stop()


@pytest.fixture
def recorded(captions):
    """A channel with two long videos, a Short and an upcoming stream; captions for the first."""
    first = captions.serve("/first.vtt", (200, vtt_transcript()))
    infos = {
        "https://www.youtube.com/@recorded": channel_tab([]),
        "https://www.youtube.com/@recorded/videos": channel_tab([
            flat_entry("AAAAAAAAAA1", "Sourdough starter from scratch", 900),
            flat_entry("AAAAAAAAAA2", "A video without captions", 700),
            flat_entry("AAAAAAAAAA3", "Quick tip", 45),
            flat_entry("AAAAAAAAAA4", "Live bake next week", None, live_status="is_upcoming"),
        ]),
        "https://www.youtube.com/watch?v=AAAAAAAAAA1": video_info(
            "AAAAAAAAAA1", title="Sourdough starter from scratch", captions={"en": [("vtt", first)]}
        ),
        "https://www.youtube.com/watch?v=AAAAAAAAAA2": video_info("AAAAAAAAAA2", title="A video without captions"),
    }  # fmt: skip
    return RecordedYouTube(infos)


@pytest.fixture
def channel(alice):
    return Channel.objects.create(
        owner=alice, kind=Channel.Kind.CHANNEL, source_url="https://www.youtube.com/@recorded",
        source_key="channel:@recorded", status=Channel.Status.QUEUED,
    )  # fmt: skip


def _run_all_videos(channel, client) -> None:
    for video in channel.videos.filter(status=Video.Status.QUEUED):
        claimed = ingest.video_claim(video_id=video.pk)
        ingest.video_ingest(video=claimed, client=client)


def test_processing_a_channel_records_its_videos_and_why_some_are_skipped(channel, recorded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ingest.channel_process(channel=channel, client=recorded)

    channel.refresh_from_db()
    assert (channel.title, channel.handle, channel.youtube_channel_id) == ("Recorded Creator", "@recorded", "UCdemo00000000000000000")
    assert channel.slug == "recorded"
    videos = {v.youtube_id: v for v in channel.videos.all()}
    assert videos["AAAAAAAAAA1"].status == Video.Status.QUEUED
    assert videos["AAAAAAAAAA3"].status == Video.Status.SKIPPED and "Short" in videos["AAAAAAAAAA3"].reason
    assert videos["AAAAAAAAAA4"].status == Video.Status.SKIPPED and "Upcoming" in videos["AAAAAAAAAA4"].reason
    assert (channel.status, channel.videos_total, channel.videos_done) == (Channel.Status.PROCESSING, 2, 0)
    assert sorted(django_rq.get_queue("ingest").job_ids) == sorted(
        f"video-ingest-{videos[i].pk}" for i in ("AAAAAAAAAA1", "AAAAAAAAAA2")
    )


def test_a_video_becomes_time_stamped_embedded_chunks(channel, recorded, captions):
    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")

    result = ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)

    video.refresh_from_db()
    chunks = list(video.chunks.order_by("position"))
    assert result.status == Video.Status.READY and video.chunk_count == len(chunks) >= 3
    assert (video.captions_source, video.captions_language, video.captions_format) == ("manual", "en", "vtt")
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start_s == 0 and all(a.start_s < b.start_s for a, b in zip(chunks, chunks[1:], strict=False))
    assert chunks[-1].end_s == pytest.approx(360, abs=1)
    assert all(150 <= c.word_count <= 300 for c in chunks[:-1])
    assert {(c.embedding_model, c.embedding_dim, len(c.embedding)) for c in chunks} == {("local/all-MiniLM-L6-v2", 384, 384)}
    assert video.caption_file.name and captions.hits["/first.vtt"] == 1


def test_each_chunk_keeps_the_caption_cues_it_is_made_of(channel, recorded):
    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")

    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)

    for chunk in video.chunks.order_by("position"):
        assert " ".join(cue[2] for cue in chunk.cues) == chunk.text
        assert chunk.cues[0][0] == chunk.start_s and chunk.cues[-1][1] == chunk.end_s
        assert all(end - start == 10 for start, end, _ in chunk.cues)  # the file's 10 s cues


def test_chunks_stored_without_cues_get_them_back_from_the_kept_caption_file(channel, recorded):
    from django.core.management import call_command

    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)
    kept = {c.pk: c.cues for c in video.chunks.all()}
    Chunk.objects.filter(video=video).update(cues=[])
    Chunk.objects.filter(video=video, position=0).update(text="text chunked by other rules")

    call_command("chunks_cues", stdout=open("/dev/null", "w"))  # noqa: SIM115

    restored = {c.pk: c.cues for c in video.chunks.all()}
    first = video.chunks.get(position=0).pk
    assert restored[first] == []  # its text no longer matches: whole-chunk timing
    assert {pk: cues for pk, cues in restored.items() if pk != first} == {
        pk: cues for pk, cues in kept.items() if pk != first
    }


def test_each_chunk_keeps_its_sentences_and_their_vectors_for_answers(channel, recorded):
    import numpy as np

    from chat.answers import passage_moments
    from yoppy.ai.embeddings import embedding_provider

    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)

    provider = embedding_provider()
    for chunk in video.chunks.order_by("position"):
        assert chunk.sentences == [moment.text for moment in passage_moments(chunk)]
        stored = np.frombuffer(bytes(chunk.sentence_vectors), dtype=np.float32).reshape(len(chunk.sentences), -1)
        assert np.allclose(stored, provider.embed_documents(chunk.sentences), atol=1e-5)


def test_chunks_stored_before_sentence_vectors_get_them_and_a_second_run_changes_nothing(channel, recorded):
    from django.core.management import call_command

    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)
    kept = {c.pk: (c.sentences, bytes(c.sentence_vectors)) for c in video.chunks.all()}
    Chunk.objects.filter(video=video).update(sentences=[], sentence_vectors=None)

    call_command("chunks_sentences", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = {c.pk: (c.sentences, bytes(c.sentence_vectors)) for c in video.chunks.all()}
    call_command("chunks_sentences", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert first.keys() == kept.keys()
    assert all(first[pk][0] == kept[pk][0] and len(first[pk][1]) == len(kept[pk][1]) for pk in kept)
    assert {c.pk: (c.sentences, bytes(c.sentence_vectors)) for c in video.chunks.all()} == first


def test_restored_cues_clear_the_sentence_vectors_cut_from_the_old_ones(channel, recorded):
    from django.core.management import call_command

    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)
    Chunk.objects.filter(video=video).update(cues=[])

    call_command("chunks_cues", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert not Chunk.objects.filter(video=video, sentence_vectors__isnull=False).exists()


def test_running_a_video_twice_replaces_its_chunks_without_duplicates_or_a_second_download(channel, recorded, captions):
    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)
    first_ids = set(video.chunks.values_list("pk", flat=True))

    Video.objects.filter(pk=video.pk).update(status=Video.Status.QUEUED)
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)

    assert Chunk.objects.filter(video=video).count() == len(first_ids)
    assert not set(video.chunks.values_list("pk", flat=True)) & first_ids
    assert captions.hits["/first.vtt"] == 1  # the kept caption file was reused


def test_the_channel_is_ready_with_a_profile_and_its_owner_gets_an_email(channel, recorded):
    ingest.channel_process(channel=channel, client=recorded)
    _run_all_videos(channel, recorded)
    channel.refresh_from_db()

    assert ingest.channel_finalize(channel=channel)

    channel.refresh_from_db()
    assert channel.status == Channel.Status.READY
    assert (channel.videos_total, channel.videos_done) == (2, 2)
    assert channel.chunks_count == Chunk.objects.filter(channel=channel).count() > 0
    assert channel.videos.get(youtube_id="AAAAAAAAAA2").status == Video.Status.NO_CAPTIONS
    assert channel.profile_source == "local" and channel.topics and channel.summary
    assert len(mail.outbox) == 1 and "ready to chat" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["alice@example.com"]
    assert not ingest.channel_finalize(channel=channel)  # a second run sends nothing more
    assert len(mail.outbox) == 1


def test_an_edited_profile_survives_a_new_run(channel, recorded):
    ingest.channel_process(channel=channel, client=recorded)
    channel_services.channel_profile_update(channel=channel, summary="Mine.", topics=["bread"], style={})
    _run_all_videos(channel, recorded)
    channel.refresh_from_db()
    ingest.channel_finalize(channel=channel)
    channel.refresh_from_db()
    assert (channel.summary, channel.profile_source) == ("Mine.", "edited")


def test_unreadable_captions_fail_the_video_with_a_reason_but_not_the_channel(channel, recorded, captions):
    captions.serve("/first.vtt", (200, b"\x00\x01\x02 binary junk \xff\xfe"))
    second = captions.serve("/second.vtt", (200, vtt_transcript(3)))
    recorded.infos["https://www.youtube.com/watch?v=AAAAAAAAAA2"]["subtitles"] = {"en": [{"ext": "vtt", "url": second}]}
    ingest.channel_process(channel=channel, client=recorded)
    _run_all_videos(channel, recorded)
    failed = channel.videos.get(youtube_id="AAAAAAAAAA1")
    assert failed.status == Video.Status.FAILED and failed.reason.startswith("Captions could not be read")
    channel.refresh_from_db()
    ingest.channel_finalize(channel=channel)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.READY_WITH_ERRORS and "1 video(s) failed" in channel.status_reason


def test_a_channel_where_no_video_could_be_read_fails_with_the_reason(channel, recorded, captions):
    captions.serve("/first.vtt", (200, b"\x00\x01\x02 binary junk \xff\xfe"))
    ingest.channel_process(channel=channel, client=recorded)
    _run_all_videos(channel, recorded)
    channel.refresh_from_db()
    ingest.channel_finalize(channel=channel)
    channel.refresh_from_db()
    assert channel.status == Channel.Status.FAILED and "None of the videos could be processed" in channel.status_reason
    assert "could not process" in mail.outbox[0].subject


def test_a_rate_limited_download_is_retried_with_backoff_then_requeued(channel, recorded, captions, settings):
    settings.YOUTUBE_MAX_ATTEMPTS = 2
    captions.serve("/first.vtt", (429, b""), (429, b""), (429, b""))
    ingest.channel_process(channel=channel, client=RecordedYouTube(recorded.infos, max_attempts=2))
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")

    result = ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=RecordedYouTube(recorded.infos, max_attempts=2))

    video.refresh_from_db()
    assert result.status == Video.Status.QUEUED and video.status == Video.Status.QUEUED
    assert "HTTP 429" in video.reason and captions.hits["/first.vtt"] == 2


def test_a_video_that_keeps_failing_is_marked_failed(channel, recorded, settings):
    settings.INGEST_MAX_ATTEMPTS = 1
    recorded.infos["https://www.youtube.com/watch?v=AAAAAAAAAA1"] = YouTubeError("Reading YouTube failed 4 times: HTTP 503", retryable=True)
    ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)
    video.refresh_from_db()
    assert video.status == Video.Status.FAILED and "503" in video.reason


def test_a_channel_that_cannot_be_read_fails_with_the_reason(channel):
    ingest.channel_process(channel=channel, client=RecordedYouTube({}))
    channel.refresh_from_db()
    assert channel.status == Channel.Status.FAILED and "unavailable" in channel.status_reason.lower()


def test_a_video_is_claimed_by_one_worker_only_unless_its_worker_went_silent(channel, settings):
    video = Video.objects.create(channel=channel, youtube_id="AAAAAAAAAA1", title="t")
    assert ingest.video_claim(video_id=video.pk) is not None
    assert ingest.video_claim(video_id=video.pk) is None

    settings.INGEST_STALE_AFTER_S = 1
    Video.objects.filter(pk=video.pk).update(heartbeat_at=video.created_at.replace(year=2020))
    again = ingest.video_claim(video_id=video.pk)
    assert again is not None and again.attempts == 2


def test_stale_videos_are_queued_again(channel, settings, django_capture_on_commit_callbacks):
    video = Video.objects.create(channel=channel, youtube_id="AAAAAAAAAA1", title="t")
    ingest.video_claim(video_id=video.pk)
    Video.objects.filter(pk=video.pk).update(heartbeat_at=video.created_at.replace(year=2020))
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.video_requeue_stale() == 1
    assert django_rq.get_queue("ingest").job_ids == [f"video-ingest-{video.pk}"]


def test_an_uploaded_transcript_becomes_a_video_of_the_channel(alice):
    collection = channel_services.channel_create_for_uploads(owner=alice, title="My podcast")
    video = ingest.video_upload_captions(channel=collection, filename="episode-1.srt", data=(
        b"1\n00:00:01,000 --> 00:00:04,000\nWelcome to the show.\n\n2\n00:00:04,500 --> 00:00:09,000\nToday: proofing.\n"
    ), title="Episode 1")  # fmt: skip
    assert (video.title, video.status, video.captions_source) == ("Episode 1", Video.Status.QUEUED, "upload")

    result = ingest.video_ingest(video=ingest.video_claim(video_id=video.pk))

    assert result.status == Video.Status.READY
    chunk = Chunk.objects.get(video=video)
    assert chunk.start_s == 1.0 and "proofing" in chunk.text


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("empty.vtt", b"", "empty"),
        ("junk.srt", bytes(range(256)) * 4, ""),
        # A file that only parsing can reject (a VTT without cues) is accepted and fails in the
        # ingest job: tests/channels_app/test_uploads.py.
        ("slides.docx", b"PK\x03\x04\x14\x00\x06\x00", "not a caption"),
    ],
)
def test_a_bad_upload_gets_a_clear_error_and_leaves_nothing_behind(alice, filename, data, message):
    collection = channel_services.channel_create_for_uploads(owner=alice, title="Course")
    with pytest.raises(ingest.UploadError) as error:
        ingest.video_upload_captions(channel=collection, filename=filename, data=data)
    assert message in str(error.value).lower() and str(error.value)
    assert not Video.objects.filter(channel=collection).exists()


def test_deleting_a_channel_removes_its_chunks_files_and_queued_jobs(channel, recorded, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    with django_capture_on_commit_callbacks(execute=True):
        ingest.channel_process(channel=channel, client=recorded)
    video = channel.videos.get(youtube_id="AAAAAAAAAA1")
    ingest.video_ingest(video=ingest.video_claim(video_id=video.pk), client=recorded)
    caption_name = Video.objects.get(pk=video.pk).caption_file.name
    assert default_storage.exists(caption_name)

    channel_services.channel_delete(channel=channel)

    assert not Channel.objects.filter(pk=channel.pk).exists() and not Chunk.objects.exists()
    assert not default_storage.exists(caption_name)
    queue = django_rq.get_queue("ingest")
    assert all(queue.fetch_job(job_id) is None or queue.fetch_job(job_id).is_canceled for job_id in queue.job_ids)
    assert queue.count == 0


def test_the_daily_sync_adds_only_new_videos(channel, recorded):
    ingest.channel_process(channel=channel, client=recorded)
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.READY)
    recorded.infos["https://www.youtube.com/@recorded/videos"]["entries"].insert(0, flat_entry("AAAAAAAAAA9", "Brand new", 800))
    channel.refresh_from_db()

    assert ingest.channel_sync(channel=channel, client=recorded) == 1
    assert channel.videos.filter(youtube_id="AAAAAAAAAA9", status=Video.Status.QUEUED).exists()
    assert channel.videos.count() == 5
    assert ingest.channel_sync(channel=channel, client=recorded) == 0


def test_a_second_spelling_of_a_channel_already_added_is_caught_once_resolved(alice, recorded):
    first = ChannelFactory(owner=alice, youtube_channel_id="UCdemo00000000000000000", source_key="channel:UCdemo00000000000000000")
    second = Channel.objects.create(owner=alice, kind="channel", source_url="https://www.youtube.com/@recorded", source_key="channel:@recorded")
    ingest.channel_process(channel=second, client=recorded)
    second.refresh_from_db()
    assert second.status == Channel.Status.FAILED and first.display_name in second.status_reason


def test_a_sync_picks_up_a_video_that_was_upcoming_and_has_since_premiered(channel, recorded):
    ingest.channel_process(channel=channel, client=recorded)
    Channel.objects.filter(pk=channel.pk).update(status=Channel.Status.READY)
    entries = recorded.infos["https://www.youtube.com/@recorded/videos"]["entries"]
    entries[3] = flat_entry("AAAAAAAAAA4", "Live bake next week", 3600, live_status="not_live")
    channel.refresh_from_db()

    assert ingest.channel_sync(channel=channel, client=recorded) == 1
    assert channel.videos.get(youtube_id="AAAAAAAAAA4").status == Video.Status.QUEUED


def test_syncs_never_grow_a_channel_past_its_plans_video_cap(alice, channel, recorded):
    user_plan_change(user=alice, plan=Plan.objects.create(slug="two-videos", name="Tiny", max_videos_per_channel=2))
    ingest.channel_process(channel=channel, client=recorded)
    assert channel.videos.exclude(status=Video.Status.SKIPPED).count() == 2
    entries = recorded.infos["https://www.youtube.com/@recorded/videos"]["entries"]
    entries.insert(0, flat_entry("AAAAAAAAAA9", "Brand new", 800))
    channel.refresh_from_db()

    assert ingest.channel_sync(channel=channel, client=recorded) == 0
    newest = channel.videos.get(youtube_id="AAAAAAAAAA9")
    assert newest.status == Video.Status.SKIPPED and "2 videos per channel" in newest.reason
    assert channel.videos.exclude(status=Video.Status.SKIPPED).count() == 2


def test_a_video_over_the_cap_gets_its_turn_once_a_slot_is_free(alice, channel, recorded):
    user_plan_change(user=alice, plan=Plan.objects.create(slug="two-videos", name="Tiny", max_videos_per_channel=2))
    ingest.channel_process(channel=channel, client=recorded)
    recorded.infos["https://www.youtube.com/@recorded/videos"]["entries"].insert(0, flat_entry("AAAAAAAAAA9", "Brand new", 800))
    ingest.channel_sync(channel=channel, client=recorded)
    channel.videos.get(youtube_id="AAAAAAAAAA2").delete()

    assert ingest.channel_sync(channel=channel, client=recorded) == 1
    assert channel.videos.get(youtube_id="AAAAAAAAAA9").status == Video.Status.QUEUED
