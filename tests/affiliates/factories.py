"""Billing rows as the billing webhooks would create them, and referrals between users."""

from __future__ import annotations

import datetime as dt

from affiliates.models import Referral
from billing.models import Payment, Plan, Provider, Refund

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


def payout_event(
    *, event: str, payout_id: str, reference_id: str = "", status: str = "", amount_minor: int = 60000,
    utr: str | None = None, failure_reason: str | None = None, event_id: str = "",
):  # fmt: skip
    """A RazorpayX ``payout.*`` webhook, signed and parsed by the real RazorpayGateway."""
    import hashlib
    import hmac
    import json
    from pathlib import Path

    from billing.gateways import RazorpayGateway

    data = json.loads((Path(__file__).parent / "data" / "razorpayx_payout_processed.json").read_text())
    entity = data["payload"]["payout"]["entity"]
    entity.update(id=payout_id, reference_id=reference_id, status=status or event.removeprefix("payout."),
                  amount=amount_minor, utr=utr, failure_reason=failure_reason)  # fmt: skip
    data["event"] = event
    body = json.dumps(data).encode()
    secret = "whsec-affiliates-test"
    headers = {"X-Razorpay-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
    if event_id:
        headers["X-Razorpay-Event-Id"] = event_id
    return RazorpayGateway("rzp_test_key", "rzp_test_secret", [secret]).verify_and_parse(body=body, headers=headers)
