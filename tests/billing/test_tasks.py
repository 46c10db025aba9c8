"""The slow half of a webhook, run from the billing queue after the effect committed."""

from __future__ import annotations

import pytest
from django.core import mail

from billing import tasks
from billing.models import Subscription, WebhookDelivery
from billing.services.webhooks import webhook_apply
from tests.billing.factories import checkout, event, gateway_plans

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plans(db):
    gateway_plans()


def test_an_activation_mails_the_subscriber(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.activated", period_end=30))

    tasks.webhook_followup(WebhookDelivery.objects.get().pk)

    assert [m.subject for m in mail.outbox] == ["Your Personal plan is active"]
    assert mail.outbox[0].to == [alice.email] and "It renews on 31 March 2026." in mail.outbox[0].body


def test_a_failed_renewal_mails_the_subscriber(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.halted"))

    tasks.webhook_followup(WebhookDelivery.objects.get().pk)

    assert mail.outbox[0].subject == "Your Personal payment did not go through"


def test_a_charge_sends_no_mail(alice):
    checkout(alice)
    webhook_apply(event=event("subscription.charged", payment="p", amount=1, currency="INR"))

    tasks.webhook_followup(WebhookDelivery.objects.get().pk)

    assert mail.outbox == []


def test_after_moving_to_a_new_plan_the_old_subscription_is_told_to_stop_renewing(alice, razorpay, monkeypatch):
    queued = []
    monkeypatch.setattr("billing.jobs.enqueue_subscription_stop_renewing", queued.append)
    checkout(alice, sub="sub_old")
    webhook_apply(event=event("subscription.activated", sub="sub_old", at=0))
    checkout(alice, plan_slug="creator", sub="sub_new")
    webhook_apply(event=event("subscription.activated", sub="sub_new", plan="plan_creator_inr", at=100))

    tasks.webhook_followup(WebhookDelivery.objects.get(subscription__gateway_subscription_id="sub_new").pk)

    old = Subscription.objects.get(gateway_subscription_id="sub_old")
    assert queued == [old.pk]

    razorpay.subscriptions["sub_old"] = {"id": "sub_old", "status": "active"}
    tasks.subscription_stop_renewing(old.pk)
    old.refresh_from_db()
    assert old.cancel_at_period_end
    assert ("POST", "/v1/subscriptions/sub_old/cancel", {"cancel_at_cycle_end": 1}) in razorpay.requests


def test_a_follow_up_for_a_vanished_delivery_does_nothing():
    tasks.webhook_followup(987654)

    assert mail.outbox == []
