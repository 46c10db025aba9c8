"""What each verified webhook event does, exactly once, in any order."""

from __future__ import annotations

import datetime as dt

import django_rq
import pytest
from django.core.cache import cache

from billing import signals
from billing.models import Payment, Refund, Subscription, WebhookDelivery
from billing.selectors import plan_get_for_user
from billing.services.subscriptions import customer_ref, users_plan_lapse
from billing.services.webhooks import webhook_apply
from tests.billing.factories import T0, checkout, event, gateway_plans

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plans(db):
    return gateway_plans()


def plan_of(user) -> str:
    cache.clear()  # the plan cache is cleared on commit, which these rolled-back tests never reach
    return plan_get_for_user(user=user).slug


def test_activation_puts_the_subscriber_on_the_plan(alice):
    checkout(alice)

    result = webhook_apply(event=event("subscription.activated", period_end=30))

    sub = Subscription.objects.get()
    assert (sub.status, sub.current_period_end) == ("active", T0 + dt.timedelta(days=30))
    assert plan_of(alice) == "personal"
    assert not result.duplicate and WebhookDelivery.objects.get().subscription == sub


@pytest.mark.parametrize("gateway_plan", ["plan_personal_inr", "plan_personal_usd"])
def test_inr_and_usd_gateway_plans_both_give_their_plan(alice, gateway_plan):
    checkout(alice, plan_slug="creator")  # the gateway's word wins over what checkout recorded

    webhook_apply(event=event("subscription.activated", plan=gateway_plan))

    assert plan_of(alice) == "personal"


def test_an_unknown_gateway_plan_grants_nothing_and_is_flagged(alice):
    checkout(alice)

    webhook_apply(event=event("subscription.activated", plan="plan_nobody_made"))

    delivery = WebhookDelivery.objects.get()
    assert delivery.needs_attention and "unknown gateway plan" in delivery.outcome
    assert Subscription.objects.get().plan.slug == "personal"  # unchanged, not silently Free


def test_a_subscription_made_outside_checkout_is_found_by_our_reference(alice):
    webhook_apply(event=event("subscription.activated", sub="sub_elsewhere", ref=customer_ref(alice)))

    assert Subscription.objects.get().user == alice
    assert plan_of(alice) == "personal"


def test_a_subscription_nobody_can_place_is_flagged_and_changes_nothing(alice):
    webhook_apply(event=event("subscription.activated", sub="sub_stranger", ref="someone-else"))

    assert not Subscription.objects.exists()
    assert WebhookDelivery.objects.get().needs_attention


def test_the_same_event_delivered_again_has_no_second_effect(alice):
    checkout(alice)
    charged = event("subscription.charged", payment="pay_1", amount=29900, currency="INR")
    recorded = []
    signals.payment_recorded.connect(lambda payment, **kw: recorded.append(payment.pk), weak=False, dispatch_uid="t1")
    try:
        results = [webhook_apply(event=charged) for _ in range(5)]
    finally:
        signals.payment_recorded.disconnect(dispatch_uid="t1")

    assert [r.duplicate for r in results] == [False, True, True, True, True]
    assert Payment.objects.count() == 1 and len(recorded) == 1
    assert WebhookDelivery.objects.count() == 1


def test_one_payment_on_two_events_is_counted_once(alice):
    checkout(alice)

    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))
    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))

    assert Payment.objects.get().amount_minor == 29900
    assert WebhookDelivery.objects.count() == 2


def test_activation_carrying_the_upfront_payment_does_not_count_it(alice):
    checkout(alice)

    webhook_apply(event=event("subscription.activated", payment="pay_1", amount=29900, currency="INR"))

    assert not Payment.objects.exists()


def test_a_payment_records_the_plan_its_charge_names(alice):
    checkout(alice)

    webhook_apply(event=event("subscription.charged", plan="plan_creator_inr", payment="pay_1", amount=149900,
                              currency="INR"))  # fmt: skip

    payment = Payment.objects.get()
    assert (payment.plan.slug, payment.user, payment.currency) == ("creator", alice, "INR")


def test_cancelled_before_activated_ends_cancelled(alice):
    checkout(alice)

    webhook_apply(event=event("subscription.cancelled", at=500))
    webhook_apply(event=event("subscription.activated", at=10))

    assert Subscription.objects.get().status == "cancelled"
    assert plan_of(alice) == "free"


def test_a_final_status_wins_over_a_later_clock(alice):
    checkout(alice)

    webhook_apply(event=event("subscription.cancelled", at=500))
    webhook_apply(event=event("subscription.charged", at=501, payment="pay_late", amount=29900, currency="INR"))

    assert Subscription.objects.get().status == "cancelled"
    assert Payment.objects.filter(gateway_payment_id="pay_late").exists()  # the money is still recorded


def test_a_halted_subscription_goes_back_to_free_and_recovers_on_reactivation(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.activated", at=0))

    webhook_apply(event=event("subscription.halted", at=100))
    assert plan_of(alice) == "free"

    webhook_apply(event=event("subscription.activated", at=200))
    assert plan_of(alice) == "personal"


def test_a_pending_renewal_keeps_the_plan_while_the_gateway_retries(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.activated", at=0))

    webhook_apply(event=event("subscription.pending", at=100))

    assert plan_of(alice) == "personal"


def test_a_cancellation_keeps_the_paid_time_then_lapses(alice):
    checkout(alice, provider="paypal", sub="I-1", currency="USD")
    webhook_apply(event=event("BILLING.SUBSCRIPTION.ACTIVATED", provider="paypal", sub="I-1", plan="P-PERSONAL-USD",
                              period_end=30))  # fmt: skip
    now = T0 + dt.timedelta(days=2)

    webhook_apply(event=event("BILLING.SUBSCRIPTION.CANCELLED", provider="paypal", sub="I-1", plan="P-PERSONAL-USD",
                              at=2 * 86400), now=now)  # fmt: skip
    assert Subscription.objects.get().status == "cancelled"
    assert plan_of(alice) == "personal"

    assert users_plan_lapse(now=T0 + dt.timedelta(days=29)) == 0
    assert users_plan_lapse(now=T0 + dt.timedelta(days=31)) == 1
    assert plan_of(alice) == "free"


def test_a_plan_change_follows_the_latest_event_that_names_a_plan(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.updated", at=200, plan="plan_creator_inr"))
    webhook_apply(event=event("subscription.activated", at=100, plan="plan_personal_inr"))

    assert Subscription.objects.get().plan.slug == "creator"


def test_the_paid_through_date_only_moves_forward(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.charged", at=100, period_end=60, payment="p2", amount=1, currency="INR"))
    webhook_apply(event=event("subscription.charged", at=0, period_end=30, payment="p1", amount=1, currency="INR"))

    assert Subscription.objects.get().current_period_end == T0 + dt.timedelta(days=60)


def test_a_refund_of_a_payment_not_seen_yet_asks_the_gateway_to_deliver_it_again(alice):
    checkout(alice)
    refund = event("refund.processed", payment="pay_1", refund="rfnd_1", amount=10000, currency="INR")

    result = webhook_apply(event=refund)

    assert result.retry_later
    assert not WebhookDelivery.objects.exists() and not Refund.objects.exists()

    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))
    assert not webhook_apply(event=refund).retry_later
    assert Refund.objects.get().amount_minor == 10000


def test_a_refund_is_recorded_once_and_announced(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))
    heard = []
    signals.refund_recorded.connect(lambda refund, **kw: heard.append(refund.kind), weak=False, dispatch_uid="t2")
    try:
        refund = event("refund.processed", payment="pay_1", refund="rfnd_1", amount=10000, currency="INR")
        webhook_apply(event=refund)
        webhook_apply(event=refund)
        webhook_apply(event=event("payment.dispute.lost", payment="pay_1", refund="disp_1", amount=19900,
                                  currency="INR"))  # fmt: skip
    finally:
        signals.refund_recorded.disconnect(dispatch_uid="t2")

    assert sorted(Refund.objects.values_list("kind", "amount_minor")) == [("chargeback", 19900), ("refund", 10000)]
    assert heard == ["refund", "chargeback"]


def test_refunds_never_exceed_the_payment(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))

    webhook_apply(event=event("refund.processed", payment="pay_1", refund="r1", amount=20000, currency="INR"))
    webhook_apply(event=event("refund.processed", payment="pay_1", refund="r2", amount=20000, currency="INR"))
    webhook_apply(event=event("refund.processed", payment="pay_1", refund="r3", amount=5000, currency="INR"))

    assert sum(Refund.objects.values_list("amount_minor", flat=True)) == 29900
    assert WebhookDelivery.objects.get(event_type="refund.processed", outcome__contains="r3").needs_attention


def test_payout_events_go_to_whoever_handles_payouts(alice):
    signals.payout_event_received.connect(lambda event, **kw: "payout pout_1 processed", weak=False,
                                          dispatch_uid="t3")  # fmt: skip
    try:
        result = webhook_apply(event=event("payout.processed"))
    finally:
        signals.payout_event_received.disconnect(dispatch_uid="t3")

    assert "payout pout_1 processed" in result.outcome.split("; ")


@pytest.mark.parametrize("kind", ["PAYMENT.PAYOUTS-ITEM.SUCCEEDED", "PAYMENT.PAYOUTSBATCH.SUCCESS"])
def test_paypal_payout_events_go_to_whoever_handles_payouts(db, kind):
    from billing.gateways import WebhookEvent

    signals.payout_event_received.connect(lambda event, **kw: f"heard {event.event_type}", weak=False,
                                          dispatch_uid="t4")  # fmt: skip
    try:
        result = webhook_apply(event=WebhookEvent(provider="paypal", event_id=f"WH-{kind}", event_type=kind))
    finally:
        signals.payout_event_received.disconnect(dispatch_uid="t4")

    assert f"heard {kind}" in result.outcome.split("; ")


def test_events_we_do_not_act_on_are_recorded_and_acknowledged(alice):
    result = webhook_apply(event=event("order.paid"))

    assert result.outcome == "ignored: order.paid"
    assert WebhookDelivery.objects.get().needs_attention is False


def test_the_follow_up_is_queued_for_after_commit(alice, django_capture_on_commit_callbacks):
    checkout(alice)

    with django_capture_on_commit_callbacks() as callbacks:
        webhook_apply(event=event("subscription.activated"))

    assert callbacks  # the e-mail and gateway calls wait for the commit, then run in the billing queue
    queue = django_rq.get_queue("billing")
    assert f"webhook-followup-{WebhookDelivery.objects.get().pk}" not in queue.job_ids

    for callback in callbacks:
        callback()

    assert f"webhook-followup-{WebhookDelivery.objects.get().pk}" in queue.job_ids


def test_a_paypal_sale_is_a_payment_and_its_refund_a_refund_of_it(alice):
    checkout(alice, provider="paypal", sub="I-1", currency="USD")
    paypal = {"provider": "paypal", "currency": "USD"}

    webhook_apply(event=event("PAYMENT.SALE.COMPLETED", sub="I-1", payment="SALE-1", amount=360, **paypal))
    webhook_apply(event=event("PAYMENT.SALE.REFUNDED", payment="SALE-1", refund="REF-1", amount=360, **paypal))

    payment = Payment.objects.get()
    assert (payment.gateway_payment_id, payment.amount_minor, payment.plan.slug) == ("SALE-1", 360, "personal")
    assert list(payment.refunds.values_list("gateway_refund_id", "kind", "amount_minor")) == [("REF-1", "refund", 360)]
    assert Subscription.objects.get().status == "active"  # a sale says the subscription is paid
