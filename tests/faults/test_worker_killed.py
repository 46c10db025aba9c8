"""The worker killed mid-ingest (issue 10, items 7 and 8): the next worker, at its start, takes
back the dead one's video and the work lost with Redis' queue; nothing is left "queued" or
"processing", without anybody running the sweep by hand."""

from __future__ import annotations

import signal
import time

import django_rq
import psutil
import pytest
from django.db import transaction

from channels_app.models import Channel, Chunk, Video
from channels_app.services import channels as channel_services
from channels_app.services import ingest
from tests.channels_app.test_worker_crash import long_vtt
from tests.faults.conftest import start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def test_a_killed_worker_s_video_and_a_lost_enqueue_are_done_by_the_next_worker_at_its_start(alice):
    fast = {"INGEST_STALE_AFTER_S": "2", "INGEST_HEARTBEAT_S": "0.4", "INGEST_SWEEP_GRACE_S": "0"}
    collection = channel_services.channel_create_for_uploads(owner=alice, title="Lectures")
    with transaction.atomic():
        killed = ingest.video_upload_captions(channel=collection, filename="a.vtt", data=long_vtt(60), title="A")
    first = start_worker(**fast)
    try:
        wait_for(lambda: Video.objects.get(pk=killed.pk).status == Video.Status.PROCESSING, 120, "the first worker to start")
        for process in [*psutil.Process(first.pid).children(recursive=True), psutil.Process(first.pid)]:
            process.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    # Meanwhile a second upload was committed, and its job never reached Redis (as when Redis
    # is down at the commit): emptied here, the queue holds nothing for it.
    with transaction.atomic():
        lost = ingest.video_upload_captions(channel=collection, filename="b.vtt", data=long_vtt(5), title="B")
    django_rq.get_queue("ingest").empty()
    assert Video.objects.get(pk=killed.pk).status == Video.Status.PROCESSING
    time.sleep(2.2)  # the killed worker's heartbeat goes stale

    second = start_worker(**fast)
    try:
        recovered_s = wait_for(
            lambda: set(Video.objects.filter(channel=collection).values_list("status", flat=True)) == {Video.Status.READY},
            180, "both videos to be ready",
        )  # fmt: skip
        wait_for(lambda: Channel.objects.get(pk=collection.pk).status == Channel.Status.READY, 60, "the channel to be ready")
    finally:
        second.kill()
        second.communicate(timeout=30)

    for video in (killed, lost):
        video.refresh_from_db()
        positions = list(Chunk.objects.filter(video=video).values_list("position", flat=True))
        assert len(positions) == len(set(positions)) == video.chunk_count > 0
    print(f"worker killed: both videos ready {recovered_s:.1f} s after the next worker started")
