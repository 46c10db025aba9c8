from __future__ import annotations

import datetime as dt

import django_rq

from yoppy.scheduler import Recurring, schedule_enqueue_due

DAILY = Recurring("test-daily", "0 3 * * *", "yoppy.tasks.sessions_clear", queue="default")
UTC = dt.UTC


def test_a_due_job_is_enqueued_once_even_with_two_schedulers(db, django_capture_on_commit_callbacks):
    started = dt.datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    now = dt.datetime(2026, 1, 1, 3, 0, 30, tzinfo=UTC)

    with django_capture_on_commit_callbacks(execute=True):
        first = schedule_enqueue_due(now=now, schedule=[DAILY], started_at=started)
        second = schedule_enqueue_due(now=now, schedule=[DAILY], started_at=started)

    assert (first, second) == (["test-daily"], [])
    jobs = django_rq.get_queue("default").jobs
    assert [job.func_name for job in jobs] == ["yoppy.tasks.sessions_clear"]


def test_a_job_not_yet_due_is_not_enqueued(db):
    started = dt.datetime(2026, 1, 1, 3, 30, tzinfo=UTC)
    now = dt.datetime(2026, 1, 2, 2, 59, tzinfo=UTC)
    assert schedule_enqueue_due(now=now, schedule=[DAILY], started_at=started) == []
    assert django_rq.get_queue("default").count == 0


def test_the_next_day_runs_again(db):
    started = dt.datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    schedule_enqueue_due(now=dt.datetime(2026, 1, 1, 3, 1, tzinfo=UTC), schedule=[DAILY], started_at=started)
    again = schedule_enqueue_due(now=dt.datetime(2026, 1, 2, 3, 1, tzinfo=UTC), schedule=[DAILY], started_at=started)
    assert again == ["test-daily"]
