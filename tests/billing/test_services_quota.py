"""The quota service: one question is one query, and the last one cannot be taken twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from billing import selectors, services
from billing.models import Plan, Usage


@pytest.fixture
def free_plan(db):
    return Plan.objects.get(slug="free")


def test_the_three_launch_plans_are_seeded_with_their_limits(db):
    plans = {p.slug: p for p in Plan.objects.all()}
    assert (plans["free"].channel_limit, plans["free"].monthly_query_limit) == (2, 20)
    assert (str(plans["personal"].price_usd), plans["personal"].channel_limit, plans["personal"].monthly_query_limit) == ("3.60", None, 500)
    assert (str(plans["creator"].price_usd), plans["creator"].channel_limit, plans["creator"].monthly_query_limit) == ("18.00", None, 10000)
    assert all(p.price_inr > 0 for p in plans.values() if not p.is_free)
    assert [p.slug for p in Plan.objects.filter(is_default=True)] == ["free"]


def test_a_new_user_is_on_the_free_plan(alice):
    assert selectors.plan_get_for_user(user=alice).slug == "free"
    assert alice.plan_assignment.plan.slug == "free"


def test_consuming_counts_questions_until_the_limit_then_refuses_without_counting(alice, free_plan):
    for expected in range(1, 21):
        decision = services.quota_consume(user=alice)
        assert decision.allowed and decision.used == expected

    refused = services.quota_consume(user=alice)

    assert not refused.allowed
    assert refused.used == 20 and refused.remaining == 0
    assert selectors.quota_status(user=alice).used == 20


def test_an_unlimited_plan_always_allows(alice):
    unlimited = Plan.objects.create(slug="staff-unlimited", name="Unlimited", monthly_query_limit=None)
    services.user_plan_change(user=alice, plan=unlimited)
    Usage.objects.create(user=alice, period_start=selectors.period_start_for(), queries_used=1_000_000)
    assert services.quota_consume(user=alice).allowed


def test_usage_is_counted_per_calendar_month(alice):
    services.quota_consume(user=alice)
    last_month = selectors.period_start_for().replace(day=1)
    Usage.objects.filter(user=alice).update(period_start=last_month.replace(year=last_month.year - 1))
    assert selectors.quota_status(user=alice).used == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_at_limit_minus_one_let_exactly_one_through(alice, free_plan):
    Usage.objects.create(user=alice, period_start=selectors.period_start_for(), queries_used=19)
    barrier = threading.Barrier(20)
    results: list[bool] = []
    lock = threading.Lock()

    def ask() -> None:
        try:
            barrier.wait()
            allowed = services.quota_consume(user=alice).allowed
            with lock:
                results.append(allowed)
        finally:
            connection.close()  # each thread has its own real PostgreSQL connection

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False] * 19 + [True]
    assert Usage.objects.get(user=alice).queries_used == 20
