"""What a verified webhook does to subscriptions, payments and plans.

Gateways deliver an event at least once, sometimes late, sometimes out of order. So:

* **Once.** A ``WebhookDelivery`` row per (provider, event id) is inserted in the same transaction
  as the event's effect. A second delivery, in sequence or at the same moment, fails that insert
  (the unique index makes the concurrent one wait for the first to commit) and changes nothing.
* **Order.** A subscription's status is the status of its greatest event by (final, event time,
  rank), a maximum, so any order of the same events gives the same status; the plan follows the
  latest event that names one; the paid-through date only moves forward. Money is keyed by the
  gateway's payment and refund ids. A refund whose payment we have not seen yet is answered
  "deliver again later" (409, nothing written): the gateway retries, by then the charge is in.
* **Fast.** Only database writes happen here; e-mails and gateway calls go to the ``billing``
  queue (``billing.tasks``) after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import jobs, signals
from billing.gateways import WebhookEvent
from billing.models import GatewayPlan, Payment, Refund, Subscription, WebhookDelivery
from billing.services.subscriptions import customer_ref_user, user_plan_sync

logger = logging.getLogger(__name__)

Status = Subscription.Status

# Event → the subscription status it reports.
_STATUS_BY_EVENT = {
    # Razorpay
    "subscription.authenticated": Status.AUTHENTICATED,
    "subscription.activated": Status.ACTIVE,
    "subscription.charged": Status.ACTIVE,
    "subscription.resumed": Status.ACTIVE,
    "subscription.pending": Status.PENDING,
    "subscription.halted": Status.HALTED,
    "subscription.paused": Status.SUSPENDED,
    "subscription.cancelled": Status.CANCELLED,
    "subscription.completed": Status.COMPLETED,
    # PayPal
    "BILLING.SUBSCRIPTION.CREATED": Status.CREATED,
    "BILLING.SUBSCRIPTION.ACTIVATED": Status.ACTIVE,
    "BILLING.SUBSCRIPTION.RE-ACTIVATED": Status.ACTIVE,
    "BILLING.SUBSCRIPTION.SUSPENDED": Status.SUSPENDED,
    "BILLING.SUBSCRIPTION.CANCELLED": Status.CANCELLED,
    "BILLING.SUBSCRIPTION.EXPIRED": Status.EXPIRED,
    "PAYMENT.SALE.COMPLETED": Status.ACTIVE,
}
# Events that name the subscription and its plan without a status of their own.
_PLAN_ONLY_EVENTS = {"subscription.updated", "BILLING.SUBSCRIPTION.UPDATED", "BILLING.SUBSCRIPTION.PAYMENT.FAILED"}
# Money in: counted once per payment id, on these events only (activated may carry the same payment).
_CHARGE_EVENTS = {"subscription.charged", "PAYMENT.SALE.COMPLETED"}
# Money out. Razorpay's refund.created is only the request; refund.processed is the money leaving.
_REFUND_EVENTS = {"refund.processed": Refund.Kind.REFUND, "PAYMENT.SALE.REFUNDED": Refund.Kind.REFUND,
                  "payment.dispute.lost": Refund.Kind.CHARGEBACK, "PAYMENT.SALE.REVERSED": Refund.Kind.CHARGEBACK}  # fmt: skip

FINAL_STATUSES = {Status.CANCELLED, Status.COMPLETED, Status.EXPIRED}
# Tie-break between events of the same second: the one further along a subscription's life wins.
_RANK = {status: rank for rank, status in enumerate(
    [Status.CREATED, Status.AUTHENTICATED, Status.ACTIVE, Status.PENDING, Status.SUSPENDED, Status.HALTED,
     Status.CANCELLED, Status.EXPIRED, Status.COMPLETED]
)}  # fmt: skip


@dataclass(frozen=True)
class WebhookResult:
    outcome: str
    duplicate: bool = False
    retry_later: bool = False  # answer 409: the gateway delivers again, nothing was written
    delivery_id: int | None = None


class _RetryLater(Exception):
    """The event depends on one not received yet; roll back and let the gateway retry."""


def webhook_apply(*, event: WebhookEvent, now: datetime | None = None) -> WebhookResult:
    """Apply a verified ``event`` exactly once. Safe to call for every delivery of it."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    delivery = WebhookDelivery.objects.create(
                        provider=event.provider, event_id=event.event_id, event_type=event.event_type,
                        occurred_at=event.occurred_at, payload=event.raw, body_sha256=event.body_sha256,
                    )  # fmt: skip
            except IntegrityError:
                # The same event id, or the same signed body under another id (a replay).
                return WebhookResult(outcome="duplicate delivery", duplicate=True)
            outcome, attention, subscription = _apply(event, now=now)
            delivery.outcome = outcome[:200]
            delivery.needs_attention = attention
            delivery.subscription = subscription
            delivery.save(update_fields=["outcome", "needs_attention", "subscription"])
            if attention:
                logger.error("%s webhook %s (%s) needs attention: %s", event.provider, event.event_id,
                             event.event_type, outcome)  # fmt: skip
            # Pushed to Redis when this transaction commits (django-rq's on_db_commit mode).
            jobs.enqueue_webhook_followup(delivery.pk)
    except _RetryLater as exc:
        return WebhookResult(outcome=str(exc), retry_later=True)
    return WebhookResult(outcome=outcome, delivery_id=delivery.pk)


def _apply(event: WebhookEvent, *, now: datetime) -> tuple[str, bool, Subscription | None]:
    """(what the event did, whether staff must look at it, the subscription it concerns)."""
    kind = event.event_type
    if kind.startswith(("payout.", "PAYMENT.PAYOUTS")):  # RazorpayX payouts; PayPal items and batches
        responses = signals.payout_event_received.send(sender=WebhookEvent, event=event)
        outcomes = [str(response) for _receiver, response in responses if response]
        return ("; ".join(outcomes) or "payout event with no receiver", not outcomes, None)
    if kind in _REFUND_EVENTS:
        return (*_refund(event, kind=_REFUND_EVENTS[kind], now=now), None)
    if kind in _STATUS_BY_EVENT or kind in _PLAN_ONLY_EVENTS:
        return _subscription_event(event, now=now)
    if kind == "payment.failed":
        return ("payment failed; the subscription's own events carry its status", False, None)
    return (f"ignored: {kind or 'no event type'}", False, None)


def _subscription_event(event: WebhookEvent, *, now: datetime) -> tuple[str, bool, Subscription | None]:
    if not event.subscription_id:
        return ("event names no subscription", True, None)
    subscription, problem = _subscription_for(event)
    if subscription is None:
        return (problem, True, None)
    at = event.occurred_at or now
    notes: list[str] = []
    attention = False

    status = _STATUS_BY_EVENT.get(event.event_type)
    if status is not None:
        current = (subscription.status in FINAL_STATUSES, subscription.status_at, subscription.status_rank)
        new = (status in FINAL_STATUSES, at, _RANK[status])
        if subscription.status_at is None or new > current:
            subscription.status, subscription.status_at, subscription.status_rank = status, at, _RANK[status]
            notes.append(f"status {status}")
        else:
            notes.append(f"status {status} is older than {subscription.status}, kept")

    if event.gateway_plan_id:
        mapped = GatewayPlan.objects.filter(provider=event.provider, gateway_plan_id=event.gateway_plan_id).first()
        if mapped is None:
            notes.append(f"unknown gateway plan {event.gateway_plan_id}: plan unchanged")
            attention = True
        elif subscription.plan_at is None or at >= subscription.plan_at:
            if mapped.plan_id != subscription.plan_id:
                notes.append(f"plan {mapped.plan.slug}")
            subscription.plan_id, subscription.plan_at = mapped.plan_id, at
            subscription.currency = subscription.currency or mapped.currency

    if event.period_end and (subscription.current_period_end is None or event.period_end > subscription.current_period_end):
        subscription.current_period_end = event.period_end
    subscription.save()

    if event.event_type in _CHARGE_EVENTS:
        notes.append(_payment_record(event, subscription=subscription, now=now))
    if subscription.user is not None:  # None: the account was deleted, the records stay
        user_plan_sync(user=subscription.user, now=now)
    return ("; ".join(notes) or "nothing to change", attention, subscription)


def _subscription_for(event: WebhookEvent) -> tuple[Subscription | None, str]:
    """The subscription row, locked; created from the event when checkout did not make it (a
    subscription set up at the gateway for one of our users, named by our reference)."""
    rows = Subscription.objects.select_for_update(of=("self",)).select_related("user")
    found = rows.filter(provider=event.provider, gateway_subscription_id=event.subscription_id).first()
    if found is not None:
        return found, ""
    user = customer_ref_user(event.customer_ref)
    mapped = GatewayPlan.objects.filter(provider=event.provider, gateway_plan_id=event.gateway_plan_id).first()
    if user is None or mapped is None:
        what = "user" if user is None else f"gateway plan {event.gateway_plan_id or '(none)'}"
        return None, f"unknown subscription {event.subscription_id} with unknown {what}"
    # ON CONFLICT DO NOTHING: a concurrent event for the same new subscription may insert it first.
    Subscription.objects.bulk_create(
        [Subscription(user=user, plan_id=mapped.plan_id, provider=event.provider, currency=mapped.currency,
                      gateway_subscription_id=event.subscription_id)],  # fmt: skip
        ignore_conflicts=True,
    )
    return rows.get(provider=event.provider, gateway_subscription_id=event.subscription_id), ""


def _payment_record(event: WebhookEvent, *, subscription: Subscription, now: datetime) -> str:
    if not event.payment_id or event.amount_minor is None or not event.currency:
        return "charge without payment id or amount: nothing recorded"
    # The plan paid for: the one the charge names (Razorpay), else the subscription's (a PayPal sale
    # names none), so a plan change delivered late does not re-label an earlier payment.
    mapped = GatewayPlan.objects.filter(provider=event.provider, gateway_plan_id=event.gateway_plan_id).first()
    payment, created = Payment.objects.get_or_create(
        provider=event.provider,
        gateway_payment_id=event.payment_id,
        defaults={
            "user_id": subscription.user_id, "subscription": subscription,
            "plan_id": mapped.plan_id if mapped else subscription.plan_id,
            "amount_minor": event.amount_minor, "currency": event.currency, "paid_at": event.occurred_at or now,
        },
    )  # fmt: skip
    if not created:
        return f"payment {event.payment_id} already recorded"
    signals.payment_recorded.send(sender=Payment, payment=payment)
    return f"payment {event.payment_id} {event.amount_minor} {event.currency}"


def _refund(event: WebhookEvent, *, kind: str, now: datetime) -> tuple[str, bool]:
    if not event.refund_id or not event.payment_id or event.amount_minor is None:
        return ("refund without refund id, payment id or amount", True)
    payment = (
        Payment.objects.select_for_update()
        .filter(provider=event.provider, gateway_payment_id=event.payment_id)
        .first()
    )
    if payment is None:
        raise _RetryLater(f"refund {event.refund_id} of payment {event.payment_id} not seen yet")
    if Refund.objects.filter(provider=event.provider, gateway_refund_id=event.refund_id).exists():
        return (f"{kind} {event.refund_id} already recorded", False)
    refunded = sum(payment.refunds.values_list("amount_minor", flat=True))
    amount = min(event.amount_minor, payment.amount_minor - refunded)
    if amount <= 0:
        return (f"{kind} {event.refund_id}: payment {payment.gateway_payment_id} is already fully refunded", True)
    refund = Refund.objects.create(
        payment=payment, kind=kind, provider=event.provider, gateway_refund_id=event.refund_id,
        amount_minor=amount, currency=event.currency or payment.currency, refunded_at=event.occurred_at or now,
    )  # fmt: skip
    signals.refund_recorded.send(sender=Refund, refund=refund)
    return (f"{kind} {event.refund_id} {amount} {refund.currency} of {payment.gateway_payment_id}", False)
