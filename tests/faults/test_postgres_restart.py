"""PostgreSQL restarted in the middle of an ingest and of a streamed answer (issue 10, items 7
and 9): every video ends done or visibly failed, the worker takes new work afterwards, and an
answer cut off ends as failed with its question given back."""

from __future__ import annotations

import json
import time

import pytest
from django.db import transaction

from billing.models import Usage
from channels_app import tasks as ingest_tasks
from channels_app.models import Channel, Video
from channels_app.services import channels as channel_services
from channels_app.services import ingest
from chat.models import Message
from chat.services import conversations as chat_services
from tests.channels_app.test_worker_crash import long_vtt
from tests.chat.test_views_chat import ask, bakery, stream_url  # noqa: F401, F811  (bakery: a fixture)
from tests.faults.conftest import start_worker, wait_for

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

FINAL = {Video.Status.READY, Video.Status.FAILED}


def _statuses(channel) -> dict[str, int]:
    rows = Video.objects.filter(channel=channel).values_list("status", flat=True)
    return {status: list(rows).count(status) for status in set(rows)}


def test_a_postgres_restart_mid_ingest_ends_every_video_done_or_failed_and_the_worker_recovers(alice, postgres, settings, record_property):
    settings.INGEST_STALE_AFTER_S = 3
    settings.INGEST_SWEEP_GRACE_S = 0
    collection = channel_services.channel_create_for_uploads(owner=alice, title="Lectures")
    with transaction.atomic():
        videos = [
            ingest.video_upload_captions(channel=collection, filename=f"l{i}.vtt", data=long_vtt(20), title=f"L{i}")
            for i in range(3)
        ]
    worker = start_worker(INGEST_STALE_AFTER_S="3", INGEST_HEARTBEAT_S="0.5")
    try:
        wait_for(lambda: Video.objects.filter(pk__in=[v.pk for v in videos], status=Video.Status.PROCESSING).exists(),
                 120, "the worker to start a video")  # fmt: skip
        postgres.stop()
        time.sleep(1.5)
        restarted_at = time.monotonic()
        postgres.start()

        # The test plays the scheduler: its every-minute sweep, run every 0.2 s.
        recovered_s = wait_for(
            lambda: set(Video.objects.filter(pk__in=[v.pk for v in videos]).values_list("status", flat=True)) <= FINAL,
            180, "every video to end done or failed", tick=ingest_tasks.ingest_sweep,
        )  # fmt: skip
        assert worker.poll() is None, "the worker died with the database"

        # New work after the restart is done by the same worker, on fresh connections.
        with transaction.atomic():
            after = ingest.video_upload_captions(channel=collection, filename="after.vtt", data=long_vtt(5), title="After")
        wait_for(lambda: Video.objects.get(pk=after.pk).status == Video.Status.READY, 120, "a video queued after the restart")
    finally:
        worker.kill()
        _, stderr = worker.communicate(timeout=30)

    statuses = _statuses(collection)
    assert set(statuses) <= FINAL, statuses
    failed = Video.objects.filter(channel=collection, status=Video.Status.FAILED)
    assert all(video.reason for video in failed)  # visibly: with the reason
    wait_for(lambda: Channel.objects.get(pk=collection.pk).status != Channel.Status.PROCESSING, 60,
             "the channel to be finished", tick=ingest_tasks.ingest_sweep)  # fmt: skip
    record_property("recovery_s", round(time.monotonic() - restarted_at, 1))
    record_property("videos", json.dumps(statuses))
    print(f"postgres restart mid-ingest: all videos final {recovered_s:.1f} s after the restart; {statuses}")


def test_a_postgres_outage_mid_stream_sends_the_fan_an_error_and_the_sweep_gives_the_question_back(client, bob, bakery, postgres, settings):  # noqa: F811
    settings.CHAT_STREAM_STALE_AFTER_S = 1
    client.force_login(bob)
    response = ask(client, bakery, "How do I feed a starter?")
    assert response.status_code == 200
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    used_before = Usage.objects.get(user=bob).queries_used

    stream = client.get(stream_url(response))
    body = iter(stream.streaming_content)
    first = next(body).decode()
    assert first.startswith("event: token")
    postgres.stop()
    try:
        rest = b"".join(body).decode()
    finally:
        postgres.start()

    assert "event: error" in rest and "event: done" not in rest
    wait_for(lambda: chat_services.answers_fail_stale() >= 0 and Message.objects.get(pk=answer.pk).status == Message.Status.ERROR,
             30, "the answer to be ended")  # fmt: skip
    assert Usage.objects.get(user=bob).queries_used == used_before - 1
