"""The billing page: plan, usage, renewal, history; checkout and cancellation through Razorpay's
API (a local stand-in at the HTTP boundary)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import GatewayPlan, Payment, Refund, Subscription
from tests.billing.factories import checkout, gateway_plans

pytestmark = pytest.mark.django_db
URL = "/billing/"


def test_the_billing_page_needs_a_login(client):
    response = client.get(URL)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_shows_the_plan_and_this_months_usage(client, alice):
    client.force_login(alice)

    response = client.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="current-plan">Free<' in page
    assert "questions used this month" in page


def test_without_payment_keys_it_says_payments_are_not_set_up(client, alice):
    gateway_plans()
    client.force_login(alice)

    assert "Payments are not set up on this server yet." in client.get(URL).content.decode()


def test_with_razorpay_configured_it_offers_each_currency(client, alice, razorpay):
    client.force_login(alice)

    page = client.get(URL).content.decode()

    assert "Upgrade — Razorpay, INR" in page and "Upgrade — Razorpay, USD" in page


def test_subscribing_creates_the_subscription_at_razorpay_and_sends_the_buyer_to_its_checkout(client, alice, razorpay):
    client.force_login(alice)
    option = GatewayPlan.objects.get(gateway_plan_id="plan_personal_usd")

    response = client.post(reverse("billing:subscribe", args=[option.pk]))

    subscription = Subscription.objects.get()
    assert response.status_code == 302 and response["Location"] == subscription.checkout_url
    assert subscription.checkout_url.startswith(razorpay.url + "/checkout/")
    assert (subscription.status, subscription.plan.slug, subscription.currency) == ("created", "personal", "USD")
    created = [body for method, path, body in razorpay.requests if path == "/v1/subscriptions"][0]
    assert created["plan_id"] == "plan_personal_usd" and created["notes"] == {"yoppy_ref": f"user-{alice.pk}"}
    # Nothing is granted by starting a checkout.
    assert client.get(URL).context["quota"].plan.slug == "free"


def test_when_razorpay_cannot_be_reached_the_buyer_is_told_and_nothing_is_written(client, alice, razorpay, settings):
    settings.RAZORPAY_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    client.force_login(alice)
    option = GatewayPlan.objects.get(gateway_plan_id="plan_personal_inr")

    response = client.post(reverse("billing:subscribe", args=[option.pk]), follow=True)

    assert "could not be reached" in response.content.decode()
    assert not Subscription.objects.exists()


def test_subscribing_twice_to_the_plan_you_have_is_refused(client, alice, razorpay):
    sub = checkout(alice)
    Subscription.objects.filter(pk=sub.pk).update(status="active")
    client.force_login(alice)
    option = GatewayPlan.objects.get(gateway_plan_id="plan_personal_inr")

    response = client.post(reverse("billing:subscribe", args=[option.pk]), follow=True)

    assert "You already subscribe to Personal." in response.content.decode()
    assert Subscription.objects.count() == 1


def test_cancelling_asks_razorpay_to_stop_at_the_end_of_the_cycle(client, alice, razorpay):
    razorpay.subscriptions["sub_1"] = {"id": "sub_1", "status": "active"}
    sub = checkout(alice)
    Subscription.objects.filter(pk=sub.pk).update(status="active", current_period_end=timezone.now() + dt.timedelta(days=9))
    client.force_login(alice)

    response = client.post(reverse("billing:cancel", args=[sub.pk]), follow=True)

    assert ("POST", "/v1/subscriptions/sub_1/cancel", {"cancel_at_cycle_end": 1}) in razorpay.requests
    sub.refresh_from_db()
    assert sub.cancel_at_period_end and sub.status == "active"  # until Razorpay's webhook says otherwise
    assert "will not renew" in response.content.decode()


def test_nobody_can_cancel_someone_elses_subscription(client, alice, bob, razorpay):
    sub = checkout(alice)
    client.force_login(bob)

    assert client.post(reverse("billing:cancel", args=[sub.pk])).status_code == 404


def test_the_history_lists_payments_and_their_refunds(client, alice):
    gateway_plans()
    sub = checkout(alice)
    payment = Payment.objects.create(user=alice, subscription=sub, plan=sub.plan, provider="razorpay",
                                     gateway_payment_id="pay_1", amount_minor=29900, currency="INR",
                                     paid_at=timezone.now())  # fmt: skip
    Refund.objects.create(payment=payment, provider="razorpay", gateway_refund_id="rfnd_1", amount_minor=10000,
                          currency="INR", refunded_at=timezone.now())  # fmt: skip
    client.force_login(alice)

    page = client.get(URL).content.decode()

    assert "₹299.00" in page and "Refund ₹100.00" in page


def test_the_status_partial_refreshes_alone_while_a_checkout_is_confirmed(client, alice):
    gateway_plans()
    checkout(alice)
    client.force_login(alice)

    response = client.get(URL, headers={"HX-Request": "true", "HX-Target": "billing-status"})

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="billing-status"') and 'hx-trigger="every 3s"' in page
    assert "Payment history" not in page


def test_subscribing_with_paypal_sends_the_buyer_to_paypals_approval_page(client, alice, settings):
    from tests.billing.test_gateway_paypal import DATA, RecordingServer

    paypal = RecordingServer()
    paypal.answer("POST", "/v1/oauth2/token", (200, (DATA / "paypal_token.json").read_bytes()))
    paypal.answer("POST", "/v1/billing/subscriptions", (201, (DATA / "paypal_subscription_created.json").read_bytes()))
    settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = "pp-client-view-test", "pp-secret"
    settings.PAYPAL_WEBHOOK_ID, settings.PAYPAL_API_BASE = "WH-1", paypal.url
    settings.SITE_URL = "https://yoppy.example"
    gateway_plans()
    client.force_login(alice)
    try:
        response = client.post(
            reverse("billing:subscribe", args=[GatewayPlan.objects.get(gateway_plan_id="P-PERSONAL-USD").pk])
        )
    finally:
        paypal.stop()

    subscription = Subscription.objects.get()
    assert response["Location"] == subscription.checkout_url and "paypal.com" in subscription.checkout_url
    sent = json.loads(paypal.requests[-1].body)
    assert sent["custom_id"] == f"user-{alice.pk}" and sent["plan_id"] == "P-PERSONAL-USD"
    assert sent["application_context"]["return_url"] == "https://yoppy.example/billing/?checkout=done"
