"""Payment gateways: one small class per provider with the same shape (see ``base.Gateway``).

Pure HTTP clients and webhook verifiers; no Django models. Billing services build a gateway
from settings, call ``verify_and_parse()`` on each webhook and act on the ``WebhookEvent``.
"""

from __future__ import annotations

from .base import Gateway, GatewayError, SubscriptionCheckout, WebhookEvent, WebhookVerificationError
from .paypal import PayoutAlreadyCreated, PayPalGateway
from .razorpay import RazorpayGateway

__all__ = [
    "Gateway",
    "GatewayError",
    "PayPalGateway",
    "PayoutAlreadyCreated",
    "RazorpayGateway",
    "SubscriptionCheckout",
    "WebhookEvent",
    "WebhookVerificationError",
]


def razorpay_gateway() -> RazorpayGateway:
    """The Razorpay client configured by settings (RAZORPAY_*)."""
    from django.conf import settings

    return RazorpayGateway(
        settings.RAZORPAY_KEY_ID,
        settings.RAZORPAY_KEY_SECRET,
        settings.RAZORPAY_WEBHOOK_SECRETS,
        base_url=settings.RAZORPAY_API_BASE,
    )


def paypal_gateway() -> PayPalGateway:
    """The PayPal client configured by settings (PAYPAL_*)."""
    from django.conf import settings

    return PayPalGateway(
        settings.PAYPAL_CLIENT_ID,
        settings.PAYPAL_CLIENT_SECRET,
        settings.PAYPAL_WEBHOOK_ID,
        base_url=settings.PAYPAL_API_BASE,
        verify_mode=settings.PAYPAL_VERIFY_MODE,
    )


def gateway_for(provider: str) -> Gateway:
    if provider == "razorpay":
        return razorpay_gateway()
    if provider == "paypal":
        return paypal_gateway()
    raise ValueError(f"unknown payment provider {provider!r}")


def gateway_configured(provider: str) -> bool:
    """True when the provider's keys are set, so it can be offered at checkout."""
    from django.conf import settings

    if provider == "razorpay":
        return bool(settings.RAZORPAY_KEY_ID and settings.RAZORPAY_KEY_SECRET and settings.RAZORPAY_WEBHOOK_SECRETS)
    if provider == "paypal":
        return bool(settings.PAYPAL_CLIENT_ID and settings.PAYPAL_CLIENT_SECRET and settings.PAYPAL_WEBHOOK_ID)
    return False
