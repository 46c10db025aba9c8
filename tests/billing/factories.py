"""Billing rows and webhook events for tests: gateway plans as staff would enter them, a checkout's
subscription row, and events as the gateways' parsers hand them over."""

from __future__ import annotations

import datetime as dt
import itertools

from billing.gateways import WebhookEvent
from billing.models import GatewayPlan, Plan, Subscription

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def gateway_plans() -> dict[str, GatewayPlan]:
    """Personal in INR and USD and Creator in INR at Razorpay, Personal in USD at PayPal (idempotent)."""
    personal, creator = Plan.objects.get(slug="personal"), Plan.objects.get(slug="creator")
    rows = {
        "plan_personal_inr": ("razorpay", personal, "INR"),
        "plan_personal_usd": ("razorpay", personal, "USD"),
        "plan_creator_inr": ("razorpay", creator, "INR"),
        "P-PERSONAL-USD": ("paypal", personal, "USD"),
    }
    return {
        gateway_id: GatewayPlan.objects.get_or_create(
            provider=provider, gateway_plan_id=gateway_id, defaults={"plan": plan, "currency": cur}
        )[0]
        for gateway_id, (provider, plan, cur) in rows.items()
    }


def checkout(user, *, plan_slug: str = "personal", provider: str = "razorpay", sub: str = "sub_1",
             currency: str = "INR") -> Subscription:  # fmt: skip
    """The row ``subscription_start`` leaves behind: created, awaiting the gateway."""
    return Subscription.objects.create(
        user=user, plan=Plan.objects.get(slug=plan_slug), provider=provider, gateway_subscription_id=sub,
        currency=currency, checkout_url=f"https://rzp.example/{sub}",
    )  # fmt: skip


def event(
    event_type: str,
    *,
    at: float = 0,
    sub: str = "sub_1",
    plan: str = "plan_personal_inr",
    payment: str = "",
    amount: int | None = None,
    currency: str = "",
    refund: str = "",
    period_end: float | None = None,
    ref: str = "",
    event_id: str = "",
    provider: str = "razorpay",
) -> WebhookEvent:
    """An event ``at`` seconds after T0; ``period_end`` in days after T0."""
    return WebhookEvent(
        provider=provider,
        event_id=event_id or f"evt_{next(_ids)}",
        event_type=event_type,
        subscription_id=sub if not event_type.startswith(("refund.", "payment.", "PAYMENT.SALE.REF")) else "",
        payment_id=payment,
        refund_id=refund,
        amount_minor=amount,
        currency=currency,
        gateway_plan_id=plan if event_type.startswith(("subscription.", "BILLING.")) else "",
        customer_ref=ref,
        occurred_at=T0 + dt.timedelta(seconds=at),
        period_end=T0 + dt.timedelta(days=period_end) if period_end is not None else None,
        raw={"event": event_type},
    )
