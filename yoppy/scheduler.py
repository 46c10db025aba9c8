"""Recurring jobs, enqueued on the JSON-serialised RQ queues.

rq's cron and rq-scheduler both enqueue with rq's pickle serializer, which our JSON workers
(STYLE.md §4: jobs take ids, stored as JSON) cannot read; this small loop enqueues through
django-rq's configured queues instead. Several schedulers may run at once (one per machine): a
Redis ``SET NX`` per (job, run time) makes each run enqueue exactly once.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass

import django_rq
import redis
from croniter import croniter
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recurring:
    name: str
    cron: str  # standard 5-field cron expression, UTC
    func: str  # dotted path of an RQ job function
    queue: str = "default"

    def last_due(self, now: dt.datetime) -> dt.datetime:
        """The most recent run time at or before ``now``."""
        return croniter(self.cron, now + dt.timedelta(seconds=1)).get_prev(dt.datetime)


# Every recurring job of the product, in one place.
SCHEDULE: list[Recurring] = [
    Recurring("sessions-clear", "17 3 * * *", "yoppy.tasks.sessions_clear"),
    Recurring("channels-sync-daily", "0 4 * * *", "channels_app.tasks.channel_sync_all", queue="ingest"),
    # Stale videos, lost enqueues, channels left "processing" (also run at every worker start).
    Recurring("ingest-sweep", "* * * * *", "channels_app.tasks.ingest_sweep", queue="ingest"),
    # Answers left "streaming" by a lost stream: failed, question given back.
    Recurring("answers-sweep", "* * * * *", "chat.tasks.answers_sweep"),
    Recurring("conversations-expire", "7 * * * *", "chat.tasks.conversations_expire"),
    Recurring("plans-lapse", "23 * * * *", "billing.tasks.plans_lapse", queue="billing"),
    # Whop communities uninstalled longer than WHOP_DATA_GRACE_DAYS: their data is deleted.
    Recurring("communities-sweep", "41 3 * * *", "communities.tasks.communities_sweep"),
    # Widget usage counted in Redis on the hot path, added to PostgreSQL.
    Recurring("widget-stats-flush", "* * * * *", "widgets.tasks.widget_stats_flush"),
]


def schedule_enqueue_due(
    *, now: dt.datetime | None = None, schedule: list[Recurring] | None = None, started_at: dt.datetime
) -> list[str]:
    """Enqueue each job whose last due time falls after ``started_at``, once across all schedulers.

    Returns the names of the jobs this call enqueued.
    """
    now = now or timezone.now()
    enqueued = []
    for entry in SCHEDULE if schedule is None else schedule:
        due = entry.last_due(now)
        if due <= started_at:
            continue
        connection = django_rq.get_connection(entry.queue)
        claim = f"yoppy:schedule:{entry.name}:{int(due.timestamp())}"
        if not connection.set(claim, "1", nx=True, ex=7 * 24 * 3600):
            continue  # another scheduler enqueued this run
        django_rq.get_queue(entry.queue).enqueue(entry.func)
        enqueued.append(entry.name)
        logger.info("scheduled %s for %s", entry.name, due.isoformat())
    return enqueued


def schedule_tick(*, started_at: dt.datetime, now: dt.datetime | None = None) -> list[str] | None:
    """One round of the scheduler; None when Redis is away (the scheduler waits for it instead
    of exiting: a run that fell in the gap is enqueued by the next tick that reaches Redis, as
    long as its due time is still the latest one)."""
    try:
        return schedule_enqueue_due(now=now, started_at=started_at)
    except redis.RedisError as exc:
        logger.warning("scheduler: Redis unavailable (%s); trying again at the next tick", exc)
        return None


def schedule_run_forever(*, tick_s: float = 20.0) -> None:
    """Run until interrupted. A run missed while no scheduler was up is not replayed."""
    started_at = timezone.now()
    logger.info("scheduler started with %d recurring jobs", len(SCHEDULE))
    while True:
        schedule_tick(started_at=started_at)
        time.sleep(tick_s)
