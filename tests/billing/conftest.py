"""Fixtures shared by the billing tests: Razorpay's API and checkout served locally, and a
PayPal webhook signer with a throwaway certificate."""

from __future__ import annotations

import pytest

from tests.billing.factories import gateway_plans
from tests.billing.razorpay_server import FakeRazorpay
from tests.billing.test_gateway_paypal import paypal_signer  # noqa: F401  (a fixture)


@pytest.fixture
def razorpay(settings):
    fake = FakeRazorpay(key_id="rzp_test_1", key_secret="s3cret", webhook_secret="whsec_1")
    fake.plans = {"plan_personal_inr": {"amount": 29900, "currency": "INR"},
                  "plan_personal_usd": {"amount": 360, "currency": "USD"},
                  "plan_creator_inr": {"amount": 149900, "currency": "INR"}}  # fmt: skip
    settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET = fake.key_id, fake.key_secret
    settings.RAZORPAY_WEBHOOK_SECRETS = [fake.webhook_secret]
    settings.RAZORPAY_API_BASE = fake.url
    gateway_plans()
    yield fake
    fake.stop()
