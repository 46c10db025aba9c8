"""Usage counted on the hot path in Redis (one HINCRBY, no query) and added to PostgreSQL by the
scheduled flush with an F() add: concurrent events and concurrent flushes lose and double nothing."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rq.utils import import_attribute

from tests.widgets.conftest import SITE, api, events, frame_token
from widgets import selectors, services
from widgets.models import WidgetDailyStat
from yoppy.scheduler import SCHEDULE


def _today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


@pytest.mark.django_db
def test_counting_an_event_makes_no_database_query(widget):
    with CaptureQueriesContext(connection) as queries:
        services.widget_event_count(widget_id=widget.pk, origin=SITE, metric="opens")
    assert len(queries) == 0


@pytest.mark.django_db
def test_a_flush_adds_to_the_stored_counts_instead_of_overwriting_them(widget):
    WidgetDailyStat.objects.create(widget=widget, origin=SITE, day=_today(), loads=5, questions=2)
    for _ in range(3):
        services.widget_event_count(widget_id=widget.pk, origin=SITE, metric="loads")
    services.widget_event_count(widget_id=widget.pk, origin=SITE, metric="questions")

    services.widget_stats_flush()
    services.widget_stats_flush()  # nothing new: nothing added

    row = WidgetDailyStat.objects.get(widget=widget, origin=SITE, day=_today())
    assert (row.loads, row.questions, row.opens) == (8, 3, 0)


@pytest.mark.django_db
def test_a_batch_left_in_redis_after_its_commit_is_not_added_twice(widget):
    services.widget_event_count(widget_id=widget.pk, origin=SITE, metric="opens", n=4)
    client = services.redis_client()
    client.rename(services.STATS_LIVE_KEY, "yoppy:widget-stats:flushing:crashed")
    fields = client.hgetall("yoppy:widget-stats:flushing:crashed")
    services._apply(batch="crashed", fields=fields)  # committed, then the process died before DEL

    services.widget_stats_flush()

    assert WidgetDailyStat.objects.get(widget=widget).opens == 4
    assert not list(client.scan_iter(match="yoppy:widget-stats:*"))


@pytest.mark.django_db(transaction=True)
def test_concurrent_events_and_flushes_count_every_event_exactly_once(widget):
    origins = [SITE, "https://b.example"]
    per_thread, threads_n = 300, 6
    stop = threading.Event()

    def count(i: int) -> None:
        for j in range(per_thread):
            services.widget_event_count(widget_id=widget.pk, origin=origins[(i + j) % 2], metric="questions")

    errors: list[BaseException] = []

    def flush() -> None:
        try:
            while not stop.is_set():
                services.widget_stats_flush()
        except BaseException as error:  # a deadlock between two flushes, say: the test must see it
            errors.append(error)
        finally:
            connection.close()

    flushers = [threading.Thread(target=flush) for _ in range(2)]
    counters = [threading.Thread(target=count, args=(i,)) for i in range(threads_n)]
    for thread in flushers + counters:
        thread.start()
    for thread in counters:
        thread.join()
    stop.set()
    for thread in flushers:
        thread.join()
    services.widget_stats_flush()

    assert errors == []
    rows = dict(WidgetDailyStat.objects.values_list("origin", "questions"))
    assert rows == {SITE: per_thread * threads_n // 2, "https://b.example": per_thread * threads_n // 2}


@pytest.mark.django_db
def test_loads_opens_conversations_questions_and_unanswered_are_counted_per_origin(client, widget):
    token = frame_token(client, widget)  # a load
    api(client, "event", widget, token, {"type": "open"})
    first = events(api(client, "ask", widget, token, {"question": "How much flour goes into a new starter?"}))
    events(api(client, "ask", widget, token, {"question": "Who won the 1998 football cup final?", "conversation": first[0][1]["conversation"]}))

    # Before the flush the dashboard already reads them (pending in Redis) ...
    pending = selectors.widget_analytics(widget=widget, start=_today(), end=_today())
    services.widget_stats_flush()
    stored = selectors.widget_analytics(widget=widget, start=_today(), end=_today())

    expected = {"loads": 1, "opens": 1, "conversations": 1, "questions": 2, "unanswered": 1}
    assert pending.totals == expected and stored.totals == expected
    assert stored.by_origin == {SITE: expected}
    assert api(client, "event", widget, token, {"type": "questions"}).status_code == 400  # only opens come from the page


@pytest.mark.django_db
def test_the_flush_is_scheduled_every_minute_and_its_job_adds_the_counts(widget):
    entry = next(e for e in SCHEDULE if e.func == "widgets.tasks.widget_stats_flush")
    assert entry.cron == "* * * * *"
    services.widget_event_count(widget_id=widget.pk, origin=SITE, metric="loads", n=2)

    import_attribute(entry.func)()

    assert WidgetDailyStat.objects.get(widget=widget).loads == 2
