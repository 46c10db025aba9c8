"""Billing rows as the billing webhooks would create them, and referrals between users."""

from __future__ import annotations

import datetime as dt

from billing.models import Payment, Plan, Provider, Refund
from affiliates.models import Referral

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
_counter = iter(range(1, 1_000_000))


def refer(user, *, by, at: dt.datetime = T0) -> Referral:
    return Referral.objects.create(user=user, referrer=by, source=Referral.Source.PAGE, touched_at=at)


def payment(user, *, plan: str = "personal", amount_minor: int = 360, currency: str = "USD",
            paid_at: dt.datetime = T0, provider: str = Provider.PAYPAL) -> Payment:  # fmt: skip
    return Payment.objects.create(
        user=user, plan=Plan.objects.get(slug=plan), provider=provider,
        gateway_payment_id=f"pay_test_{next(_counter)}", amount_minor=amount_minor, currency=currency, paid_at=paid_at,
    )  # fmt: skip


def refund(of: Payment, *, amount_minor: int | None = None, at: dt.datetime | None = None,
           kind: str = Refund.Kind.REFUND) -> Refund:  # fmt: skip
    return Refund.objects.create(
        payment=of, kind=kind, provider=of.provider, gateway_refund_id=f"rfnd_test_{next(_counter)}",
        amount_minor=of.amount_minor if amount_minor is None else amount_minor, currency=of.currency,
        refunded_at=at or of.paid_at + dt.timedelta(days=3),
    )  # fmt: skip
