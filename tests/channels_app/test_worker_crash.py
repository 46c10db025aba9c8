"""A real RQ worker process killed with SIGKILL in the middle of a video: the video is redone by
another worker, without duplicate chunks, and the channel still reaches "ready"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import psutil
import pytest
from django.conf import settings
from django.db import connection, transaction

from channels_app import jobs
from channels_app.models import Channel, Chunk, Video
from channels_app.services import channels as channel_services
from channels_app.services import ingest

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def long_vtt(minutes: int) -> bytes:
    lines = ["WEBVTT", ""]
    for i in range(minutes * 12):
        start, end = i * 5, i * 5 + 5
        lines += [
            f"{start // 3600:02d}:{start // 60 % 60:02d}:{start % 60:02d}.000 --> {end // 3600:02d}:{end // 60 % 60:02d}:{end % 60:02d}.000",
            f"sentence {i} of a long lecture about bread dough hydration gluten and oven spring number {i % 17}",
            "",
        ]
    return "\n".join(lines).encode()


def _worker(*args: str) -> subprocess.Popen:
    db = connection.settings_dict  # the test database, not the development one
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yoppy.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
    }
    env.pop("REDIS_DB", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "ingest", "--serializer", "rq.serializers.JSONSerializer",
         "--worker-class", "rq.worker.SimpleWorker", *args],
        cwd=settings.BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _kill_tree(proc: subprocess.Popen) -> None:
    parent = psutil.Process(proc.pid)
    for process in [*parent.children(recursive=True), parent]:
        process.send_signal(signal.SIGKILL)
    proc.wait(10)


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_video_whose_worker_was_killed_is_redone_without_duplicates(alice, settings):
    collection = channel_services.channel_create_for_uploads(owner=alice, title="Lectures")
    with transaction.atomic():
        video = ingest.video_upload_captions(channel=collection, filename="lecture.vtt", data=long_vtt(90), title="Lecture 1")
    # video_upload_captions queued the job on commit; the first worker takes it.
    first = _worker()
    try:
        _wait_for(lambda: Video.objects.get(pk=video.pk).status == Video.Status.PROCESSING, 90, "the worker to start the video")
        time.sleep(0.5)
        _kill_tree(first)
    finally:
        if first.poll() is None:
            first.kill()
    killed = Video.objects.get(pk=video.pk)
    assert killed.status == Video.Status.PROCESSING, "the worker finished before it could be killed"
    assert not Chunk.objects.filter(video=video).exists()  # nothing half-written

    settings.INGEST_STALE_AFTER_S = 1
    time.sleep(1.2)
    assert ingest.video_requeue_stale() == 1

    second = _worker("--burst")
    _, stderr = second.communicate(timeout=240)
    assert second.returncode == 0, stderr[-3000:]

    video.refresh_from_db()
    positions = list(Chunk.objects.filter(video=video).values_list("position", flat=True))
    assert video.status == Video.Status.READY and video.attempts == 2
    assert len(positions) == len(set(positions)) == video.chunk_count > 20
    assert Channel.objects.get(pk=collection.pk).status == Channel.Status.READY


def test_a_job_that_times_out_marks_its_video_failed_visibly(alice, monkeypatch):
    collection = channel_services.channel_create_for_uploads(owner=alice, title="Lectures")
    with transaction.atomic():
        video = ingest.video_upload_captions(channel=collection, filename="lecture.vtt", data=long_vtt(200), title="Long")
    monkeypatch.setattr(jobs, "VIDEO_TIMEOUT_S", 1)
    with transaction.atomic():
        jobs.enqueue_video_ingest(video.pk)  # replaces the queued job with a 1-second timeout

    worker = _worker("--burst")
    worker.communicate(timeout=240)

    video.refresh_from_db()
    assert video.status == Video.Status.FAILED
    assert video.reason == "Processing took longer than 1 s and was stopped."
    assert not Chunk.objects.filter(video=video).exists()
