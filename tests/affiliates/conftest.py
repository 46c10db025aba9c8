"""Fixtures the affiliates tests share with billing's: the PayPal webhook signer."""

from __future__ import annotations

from tests.billing.test_gateway_paypal import paypal_signer  # noqa: F401  (a fixture)
