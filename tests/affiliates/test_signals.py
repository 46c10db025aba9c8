"""Billing's webhooks reach the ledger: a referred fan's payment earns the creator a commission,
its refund reverses it, and RazorpayX payout events update payouts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from affiliates.models import Commission
from affiliates.services import referral_attach
from billing.services.webhooks import webhook_apply
from tests.billing.factories import checkout, event, gateway_plans

pytestmark = pytest.mark.django_db


def test_a_referred_fans_usd_payment_through_the_webhook_earns_40_percent(alice, bob):
    gateway_plans()
    referral_attach(user=bob, referrer_id=alice.pk, source="ref", touched_at=timezone.now())
    checkout(bob, currency="USD")

    webhook_apply(event=event("subscription.charged", plan="plan_personal_usd", payment="pay_1", amount=360,
                              currency="USD"))  # fmt: skip
    webhook_apply(event=event("subscription.charged", plan="plan_personal_usd", payment="pay_1", amount=360,
                              currency="USD"))  # fmt: skip

    assert list(Commission.objects.values_list("amount_minor", "currency")) == [(144, "USD")]


def test_a_refund_through_the_webhook_reverses_the_commission(alice, bob):
    gateway_plans()
    referral_attach(user=bob, referrer_id=alice.pk, source="ref", touched_at=timezone.now())
    checkout(bob)
    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))

    webhook_apply(event=event("refund.processed", payment="pay_1", refund="rfnd_1", amount=29900, currency="INR"))

    assert sorted(Commission.objects.values_list("amount_minor", flat=True)) == [-11960, 11960]


def test_a_payout_event_for_no_payout_of_ours_is_acknowledged_with_its_outcome(alice):
    result = webhook_apply(event=event("payout.processed"))

    assert result.outcome.startswith("ignored:") and not result.retry_later
    assert not Commission.objects.exists()
