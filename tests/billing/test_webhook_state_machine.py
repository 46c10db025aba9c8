"""A subscription's whole life, delivered the way gateways really deliver: shuffled, duplicated,
retried. Whatever the order, it must end where in-order delivery ends, and no money is counted
twice along the way."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from billing.gateways import WebhookEvent
from billing.models import Payment, Refund, Subscription, WebhookDelivery
from billing.selectors import plan_get_for_user
from billing.services.webhooks import webhook_apply
from tests.billing.factories import checkout, event, gateway_plans

DAY = 86400


def life() -> list[WebhookEvent]:
    """Authorised, activated, charged (the first payment on two events), renewed, upgraded,
    refunded in part, a failed renewal retried and halted, recovered, then cancelled."""
    inr = {"currency": "INR"}
    return [
        event("subscription.authenticated", at=0, event_id="e01"),
        event("subscription.activated", at=10, payment="pay_1", amount=29900, event_id="e02", **inr),
        event("subscription.charged", at=10, payment="pay_1", amount=29900, period_end=30, event_id="e03", **inr),
        event("subscription.charged", at=11, payment="pay_1", amount=29900, period_end=30, event_id="e04", **inr),
        event("subscription.charged", at=30 * DAY, payment="pay_2", amount=29900, period_end=60, event_id="e05", **inr),
        event("subscription.updated", at=40 * DAY, plan="plan_creator_inr", event_id="e06"),
        event("refund.processed", at=41 * DAY, payment="pay_1", refund="rfnd_1", amount=10000, event_id="e07", **inr),
        event("subscription.pending", at=60 * DAY, plan="plan_creator_inr", event_id="e08"),
        event("subscription.halted", at=63 * DAY, plan="plan_creator_inr", event_id="e09"),
        event("subscription.activated", at=64 * DAY, plan="plan_creator_inr", event_id="e10"),
        event("subscription.charged", at=64 * DAY, plan="plan_creator_inr", payment="pay_3", amount=149900,
              period_end=94, event_id="e11", **inr),  # fmt: skip
        event("payment.dispute.lost", at=70 * DAY, payment="pay_3", refund="disp_1", amount=149900, event_id="e12",
              **inr),  # fmt: skip
        event("subscription.cancelled", at=80 * DAY, plan="plan_creator_inr", period_end=94, event_id="e13"),
    ]


def snapshot(user) -> dict:
    sub = Subscription.objects.get()
    cache.clear()
    return {
        "subscription": (sub.status, sub.plan.slug, sub.current_period_end),
        "user_plan": plan_get_for_user(user=user).slug,
        "payments": sorted(Payment.objects.values_list("gateway_payment_id", "amount_minor", "plan__slug")),
        "refunds": sorted(Refund.objects.values_list("gateway_refund_id", "kind", "amount_minor")),
        "deliveries": WebhookDelivery.objects.count(),
    }


def apply_all(events: list[WebhookEvent]) -> None:
    """Deliver each event; one answered "retry later" goes to the back of the line, as the
    gateway's retry would."""
    line = list(events)
    for _ in range(len(line) ** 2 + 1):
        if not line:
            return
        current = line.pop(0)
        if webhook_apply(event=current).retry_later:
            line.append(current)
    raise AssertionError("events never all accepted")


class Deliveries(RuleBasedStateMachine):
    """Rules deliver any event of the life at any time, any number of times; at the end every
    event not yet accepted is delivered (with retries). Each run lives in a savepoint."""

    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.user = self.make_user()
        gateway_plans()
        checkout(self.user)
        self.events = life()
        # What in-order delivery ends in, measured in a savepoint and rolled back.
        with transaction.atomic():
            apply_all(self.events)
            self.expected = snapshot(self.user)
            transaction.set_rollback(True)
        self.accepted: set[str] = set()

    @staticmethod
    def make_user():
        from django.contrib.auth import get_user_model

        return get_user_model().objects.create_user(email="fan@example.com", password="x")

    @rule(index=st.integers(min_value=0, max_value=12))
    def deliver(self, index: int) -> None:
        result = webhook_apply(event=self.events[index])
        if not result.retry_later:
            self.accepted.add(self.events[index].event_id)

    @invariant()
    def nothing_is_counted_twice(self) -> None:
        assert WebhookDelivery.objects.count() == len(self.accepted)
        assert Payment.objects.count() <= 3
        assert sum(Refund.objects.values_list("amount_minor", flat=True)) <= 10000 + 149900

    def teardown(self) -> None:
        try:
            apply_all(self.events)
            assert snapshot(self.user) == self.expected
        finally:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)


@pytest.mark.django_db
def test_any_order_of_deliveries_ends_where_in_order_delivery_ends():
    run_state_machine_as_test(
        Deliveries,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),  # fmt: skip
    )


@pytest.mark.django_db
def test_in_order_delivery_ends_cancelled_with_every_payment_once(alice):
    gateway_plans()
    checkout(alice)

    apply_all(life())

    state = snapshot(alice)
    assert state["subscription"][:2] == ("cancelled", "creator")
    assert state["payments"] == [("pay_1", 29900, "personal"), ("pay_2", 29900, "personal"), ("pay_3", 149900, "creator")]
    assert state["refunds"] == [("disp_1", "chargeback", 149900), ("rfnd_1", "refund", 10000)]
    assert state["deliveries"] == 13
