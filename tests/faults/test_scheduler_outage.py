"""The scheduler waits out a Redis outage instead of exiting (issue 10, item 10)."""

from __future__ import annotations

import datetime as dt

import django_rq
import pytest

from yoppy.scheduler import schedule_tick

pytestmark = [pytest.mark.serial, pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


def test_a_scheduler_tick_while_redis_is_down_is_skipped_and_the_next_one_enqueues(redis_server):
    started = dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC)
    now = dt.datetime(2026, 1, 1, 4, 0, 30, tzinfo=dt.UTC)  # channels-sync-daily is due at 04:00
    redis_server.stop()
    try:
        assert schedule_tick(started_at=started, now=now) is None
    finally:
        redis_server.start()

    enqueued = schedule_tick(started_at=started, now=now + dt.timedelta(seconds=20))
    assert "channels-sync-daily" in enqueued
    assert "channels_app.tasks.channel_sync_all" in [job.func_name for job in django_rq.get_queue("ingest").jobs]
