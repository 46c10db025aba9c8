"""Payment gateways: one small class per provider with the same shape (see ``base.Gateway``).

Pure HTTP clients and webhook verifiers; no Django models. Billing services build a gateway
from settings, call ``verify_and_parse()`` on each webhook and act on the ``WebhookEvent``.
"""

from __future__ import annotations

from .base import Gateway, GatewayError, SubscriptionCheckout, WebhookEvent, WebhookVerificationError
from .paypal import PayPalGateway
from .razorpay import RazorpayGateway

__all__ = [
    "Gateway",
    "GatewayError",
    "PayPalGateway",
    "RazorpayGateway",
    "SubscriptionCheckout",
    "WebhookEvent",
    "WebhookVerificationError",
]
