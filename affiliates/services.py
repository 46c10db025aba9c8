"""Writes of Affiliates: functions named <entity>_<action>, keyword-only (STYLE.md §1).

Public contract with billing (called inside the webhook's transaction):
``commission_record_for_payment``, ``commission_reverse_for_refund``, ``payout_webhook_apply``.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from affiliates import jobs, selectors
from affiliates.models import AffiliateProfile, AuditEntry, Commission, Payout, PayoutDestination, Referral
from billing.gateways import (
    GatewayError,
    PayoutAlreadyCreated,
    WebhookEvent,
    gateway_configured,
    paypal_gateway,
    razorpay_gateway,
)
from billing.models import Payment, Refund
from billing.money import format_minor

logger = logging.getLogger(__name__)

_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read aloud


class PayoutRefused(Exception):
    """A payout request that cannot be accepted; the message is shown to the creator."""


class PayoutStateError(Exception):
    """A staff action on a payout in a status that does not allow it."""


# --- referral codes and referrals ------------------------------------------------------------


def affiliate_profile_get_or_create(*, user) -> AffiliateProfile:
    """The creator's profile with their referral code, created on first use."""
    profile = AffiliateProfile.objects.filter(user=user).first()
    while profile is None:
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
        try:
            with transaction.atomic():
                profile = AffiliateProfile.objects.create(user=user, code=code)
        except IntegrityError:
            # Another request created this user's profile (or the code is taken): read again.
            profile = AffiliateProfile.objects.filter(user=user).first()
    return profile


def referral_attach(
    *, user, referrer_id: int, source: str, touched_at: dt.datetime, now: dt.datetime | None = None
) -> Referral | None:
    """Record that ``referrer_id`` brought ``user``, once. Returns None (and records nothing)
    when the user refers themselves, already has a referrer, the touch is older than
    AFFILIATE_REFERRAL_DAYS, or the referrer no longer exists."""
    now = now or timezone.now()
    if referrer_id == user.pk:
        return None
    if now - touched_at > dt.timedelta(days=settings.AFFILIATE_REFERRAL_DAYS) or touched_at > now:
        return None
    if Referral.objects.filter(user=user).exists():
        return None
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(pk=referrer_id, is_active=True).exists():
        return None
    try:
        with transaction.atomic():
            return Referral.objects.create(user=user, referrer_id=referrer_id, source=source, touched_at=touched_at)
    except IntegrityError:
        return None  # attached concurrently: the first one stands


# --- the commission ledger -------------------------------------------------------------------


def _round_minor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def _create_once(lookup: dict, values: dict) -> Commission:
    """Insert a ledger row, or return the one a previous (or concurrent) delivery inserted."""
    existing = Commission.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return Commission.objects.create(**lookup, **values)
    except IntegrityError:
        return Commission.objects.get(**lookup)


def commission_record_for_payment(*, payment: Payment) -> Commission | None:
    """The commission the payer's referrer earns on ``payment``, recorded once.

    ``payment.amount_minor`` × the plan's ``affiliate_commission_rate``, rounded half-up to
    minor units, in the payment's currency; available AFFILIATE_HOLD_DAYS after ``paid_at``.
    None when the payer was not referred or the rate is 0. Safe to call again for the same
    payment (returns the row already recorded). Call inside the webhook's transaction."""
    referral = Referral.objects.filter(user_id=payment.user_id).only("referrer_id").first()
    if referral is None:
        return None
    existing = Commission.objects.filter(payment=payment, kind=Commission.Kind.EARNING).first()
    if existing is not None:
        return existing
    rate = payment.plan.affiliate_commission_rate
    if not rate:
        return None
    return _create_once(
        {"payment": payment, "kind": Commission.Kind.EARNING},
        {
            "creator_id": referral.referrer_id,
            "amount_minor": _round_minor(Decimal(payment.amount_minor) * rate),
            "currency": payment.currency.upper(),
            "rate": rate,
            "base_amount_minor": payment.amount_minor,
            "occurred_at": payment.paid_at,
            "available_at": payment.paid_at + dt.timedelta(days=settings.AFFILIATE_HOLD_DAYS),
        },
    )


@transaction.atomic
def commission_reverse_for_refund(*, refund: Refund) -> Commission | None:
    """The negative ledger row that takes back the commission of a refunded (or charged back)
    payment, in proportion to the amount refunded. Recorded once per refund.

    Reversals are computed on the running total: after refunds totalling R of a payment P
    that earned E, exactly round(E × R / P) has been reversed, so partial refunds adding up to
    the whole payment reverse exactly E, never more. None when the payment earned nothing.
    Call inside the webhook's transaction."""
    existing = Commission.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    # Locking the earning serialises two refunds of one payment, so both see each other's rows.
    earning = (
        Commission.objects.select_for_update()
        .filter(payment_id=refund.payment_id, kind=Commission.Kind.EARNING)
        .first()
    )
    if earning is None:
        return None
    payment = refund.payment
    previous = Commission.objects.filter(payment_id=payment.pk, kind=Commission.Kind.REVERSAL).aggregate(
        refunded=Sum("base_amount_minor"), reversed=Sum("amount_minor")
    )
    if refund.currency and refund.currency.upper() != earning.currency:
        logger.warning("refund %s is in %s, its payment in %s", refund.pk, refund.currency, earning.currency)
    refunded = min((previous["refunded"] or 0) + refund.amount_minor, payment.amount_minor)
    target = _round_minor(Decimal(earning.amount_minor) * refunded / payment.amount_minor)
    already = -(previous["reversed"] or 0)
    return _create_once(
        {"refund": refund},
        {
            "creator_id": earning.creator_id,
            "kind": Commission.Kind.REVERSAL,
            "payment_id": payment.pk,
            "amount_minor": -max(target - already, 0),
            "currency": earning.currency,
            "rate": earning.rate,
            "base_amount_minor": refund.amount_minor,
            "occurred_at": refund.refunded_at,
            # Taken back from pending while the earning is pending, from available after.
            "available_at": max(earning.available_at, refund.refunded_at),
        },
    )


# --- payouts: the creator's request ----------------------------------------------------------


@sensitive_variables("destination")
def payout_request(
    *, creator, amount_minor: int, currency: str, destination: PayoutDestination, now: dt.datetime | None = None
) -> Payout:
    """Ask for ``amount_minor`` of the creator's available ``currency`` balance to be paid to
    ``destination`` (stored encrypted). Raises ``PayoutRefused`` below the minimum payout or
    above the available balance.

    The balance is computed while holding ``select_for_update`` on the creator's profile, so
    of two requests racing for the same money only one gets it."""
    now = now or timezone.now()
    currency = currency.upper()
    minimum = settings.AFFILIATE_MIN_PAYOUT_MINOR.get(currency, 0)
    if amount_minor <= 0:
        raise PayoutRefused("Enter an amount to withdraw.")
    if amount_minor < minimum:
        raise PayoutRefused(f"The smallest payout is {format_minor(minimum, currency)}.")
    if destination.is_bank and currency != "INR":
        raise PayoutRefused("Bank transfers are paid in INR; choose PayPal for other currencies.")
    affiliate_profile_get_or_create(user=creator)
    with transaction.atomic():
        AffiliateProfile.objects.select_for_update().get(user=creator)
        available = selectors.balance_for_creator(creator=creator, currency=currency, now=now).available
        if amount_minor > available:
            raise PayoutRefused(f"You can withdraw at most {format_minor(max(available, 0), currency)} in {currency}.")
        payout = Payout(
            creator=creator,
            amount_minor=amount_minor,
            currency=currency,
            method=Payout.Method.BANK if destination.is_bank else Payout.Method.PAYPAL,
            requested_at=now,
        )
        payout.set_destination(destination)
        payout.save()
    return payout


# --- payouts: staff decisions (admin) --------------------------------------------------------


def audit_record(
    *, actor, action: str, target: str, payout: Payout | None = None, detail: dict | None = None, reason: str = ""
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor, action=action, target=target[:200], payout=payout, detail=detail or {}, reason=reason
    )


def plan_rate_change_record(*, plan, actor, old_rate) -> AuditEntry:
    """Audit a change of ``plan.affiliate_commission_rate`` made in the admin."""
    return audit_record(
        actor=actor, action=AuditEntry.Action.PLAN_RATE_CHANGE, target=f"Plan {plan.slug}",
        detail={"old_rate": str(old_rate), "new_rate": str(plan.affiliate_commission_rate)},
    )  # fmt: skip


def _lock_payout(payout: Payout, *allowed: str) -> Payout:
    locked = Payout.objects.select_for_update().get(pk=payout.pk)
    if locked.status not in allowed:
        raise PayoutStateError(f"Payout #{locked.pk} is {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def payout_approve(*, payout: Payout, actor, now: dt.datetime | None = None) -> Payout:
    """Approve a requested payout. Bank payouts, and PayPal payouts when PayPal is configured,
    are sent by the ``payout_send`` job once this transaction commits; without PayPal keys a
    PayPal payout waits for staff to pay it by hand (``payout_mark_paid``)."""
    payout = _lock_payout(payout, Payout.Status.REQUESTED)
    sent_by_job = payout.method == Payout.Method.BANK or gateway_configured("paypal")
    payout.status = Payout.Status.APPROVED if sent_by_job else Payout.Status.MANUAL
    payout.decided_at = now or timezone.now()
    payout.decided_by = actor
    payout.save(update_fields=["status", "decided_at", "decided_by", "updated_at"])
    audit_record(
        actor=actor, action=AuditEntry.Action.PAYOUT_APPROVE, target=str(payout), payout=payout,
        detail={"amount_minor": payout.amount_minor, "currency": payout.currency, "method": payout.method},
    )  # fmt: skip
    if payout.status == Payout.Status.APPROVED:
        jobs.enqueue_payout_send(payout.pk)
    return payout


@transaction.atomic
def payout_reject(*, payout: Payout, actor, reason: str, now: dt.datetime | None = None) -> Payout:
    """Refuse a requested payout; its amount is available again. ``reason`` is shown to the creator."""
    if not reason.strip():
        raise PayoutStateError("A rejection needs a reason.")
    payout = _lock_payout(payout, Payout.Status.REQUESTED)
    payout.status = Payout.Status.REJECTED
    payout.rejection_reason = reason.strip()[:500]
    payout.decided_at = now or timezone.now()
    payout.decided_by = actor
    payout.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by", "updated_at"])
    audit_record(
        actor=actor, action=AuditEntry.Action.PAYOUT_REJECT, target=str(payout), payout=payout, reason=reason.strip()
    )
    return payout


@transaction.atomic
def payout_mark_paid(*, payout: Payout, actor, reference: str, now: dt.datetime | None = None) -> Payout:
    """Record that staff paid a PayPal payout by hand (approved without PayPal configured),
    with the PayPal transaction id."""
    if not reference.strip():
        raise PayoutStateError("Marking paid needs the payment reference.")
    payout = _lock_payout(payout, Payout.Status.MANUAL)
    payout.status = Payout.Status.PAID
    payout.reference = reference.strip()[:100]
    payout.paid_at = now or timezone.now()
    payout.save(update_fields=["status", "reference", "paid_at", "updated_at"])
    audit_record(
        actor=actor, action=AuditEntry.Action.PAYOUT_MARK_PAID, target=str(payout), payout=payout,
        detail={"reference": payout.reference},
    )  # fmt: skip
    return payout


# --- payouts: sending (the payout_send job) ---------------------------------------------------


def payout_send(*, payout: Payout) -> Payout:
    """Send an approved payout: bank payouts through RazorpayX, PayPal payouts through PayPal
    Payouts. On success the payout is processing and the gateway's webhook settles it.

    Safe to run twice: every call carries ids derived from the payout row, so the gateway
    returns (or refuses) what it already created instead of paying again. A retryable error
    leaves the payout approved and is raised (the job fails and can be retried); any other
    error fails the payout and makes its amount available again.

    The payout row stays locked during the HTTP calls (seconds at most, payouts are rare): a
    webhook about this payout waits for the outcome instead of racing it."""
    with transaction.atomic():
        payout = Payout.objects.select_for_update().select_related("creator").get(pk=payout.pk)
        if payout.status != Payout.Status.APPROVED:
            return payout  # already sent, or no longer wanted
        try:
            if payout.method == Payout.Method.PAYPAL:
                _paypal_send(payout)
            else:
                _razorpayx_send(payout)
        except GatewayError as exc:
            if exc.retryable:
                raise  # the row stays approved; a retry finds what the gateway already created
            payout.status = Payout.Status.FAILED
            payout.failure_reason = str(exc)[:500]
            payout.save()
            logger.warning("payout %s failed at %s: %s", payout.pk, payout.get_method_display(), exc)
            return payout
        payout.save()
    return payout


@sensitive_variables("destination")
def _razorpayx_send(payout: Payout) -> None:
    """Contact, fund account, payout at RazorpayX; the payout is then processing."""
    if not (settings.RAZORPAYX_ACCOUNT_NUMBER and settings.RAZORPAY_KEY_ID and settings.RAZORPAY_KEY_SECRET):
        # Not the payout's fault: it stays approved and the failed job can be retried.
        raise ImproperlyConfigured("RazorpayX payouts need RAZORPAY_KEY_ID/SECRET and RAZORPAYX_ACCOUNT_NUMBER.")
    destination = payout.destination
    gateway = razorpay_gateway()
    # Ids are saved on the row (by the caller) even when a later call fails for good.
    if not payout.razorpay_contact_id:
        payout.razorpay_contact_id = gateway.contact_create(
            name=destination.holder_name, email=payout.creator.email,
            reference_id=f"yoppy-creator-{payout.creator_id}",
        )  # fmt: skip
    if not payout.razorpay_fund_account_id:
        payout.razorpay_fund_account_id = gateway.fund_account_create(
            contact_id=payout.razorpay_contact_id, account_number=destination.account_number,
            ifsc=destination.ifsc, name=destination.holder_name,
        )  # fmt: skip
    entity = gateway.payout_create(
        account_number=settings.RAZORPAYX_ACCOUNT_NUMBER,
        fund_account_id=payout.razorpay_fund_account_id,
        amount_minor=payout.amount_minor,
        currency=payout.currency,
        mode=settings.AFFILIATE_PAYOUT_MODE,
        reference_id=payout.reference_id,
        idempotency_key=payout.reference_id,
        narration="Yoppy commission",
        notes={"payout": str(payout.pk)},
    )
    payout.razorpay_payout_id = str(entity.get("id") or "")
    payout.gateway_status = str(entity.get("status") or "")
    payout.status = Payout.Status.PROCESSING


@sensitive_variables("destination")
def _paypal_send(payout: Payout) -> None:
    """One-item PayPal batch to the creator's PayPal email; the payout is then processing,
    or failed when PayPal denies the batch outright."""
    if not gateway_configured("paypal"):
        # Keys removed after approval: the payout stays approved and the job can be retried.
        raise ImproperlyConfigured("PayPal payouts need PAYPAL_CLIENT_ID/SECRET and PAYPAL_WEBHOOK_ID.")
    destination = payout.destination
    try:
        answer = paypal_gateway().payout_create(
            sender_batch_id=payout.reference_id,
            receiver_email=destination.paypal_email,
            amount_minor=payout.amount_minor,
            currency=payout.currency,
            note="Your Yoppy referral commission",
            email_subject="You have a payout from Yoppy",
        )
    except PayoutAlreadyCreated:
        # An earlier attempt got through but its answer was lost (timeout, crash after the
        # call). PayPal pays a sender_batch_id once, and finding the batch by our id has no
        # API: the item's webhook names it by sender_item_id and settles the payout.
        payout.gateway_status = "DUPLICATE"
        payout.status = Payout.Status.PROCESSING
        return
    header = answer.get("batch_header") if isinstance(answer.get("batch_header"), dict) else {}
    payout.paypal_batch_id = str(header.get("payout_batch_id") or "")[:40]
    payout.gateway_status = str(header.get("batch_status") or "")[:20]
    if payout.gateway_status == "DENIED":
        payout.status = Payout.Status.FAILED
        payout.failure_reason = "PayPal denied the payout batch."
    else:
        payout.status = Payout.Status.PROCESSING


# RazorpayX payout statuses → ours. queued/pending/processing are on the way.
_GATEWAY_STATUS = {
    "queued": Payout.Status.PROCESSING,
    "pending": Payout.Status.PROCESSING,
    "processing": Payout.Status.PROCESSING,
    "processed": Payout.Status.PAID,
    "reversed": Payout.Status.REVERSED,
    "failed": Payout.Status.FAILED,
    "rejected": Payout.Status.FAILED,
    "cancelled": Payout.Status.FAILED,
}


# PayPal payout item events → ours. An unclaimed item (no PayPal account at that email yet)
# waits up to 30 days for the creator to claim it, then comes back to us as RETURNED; a
# cancelled unclaimed item comes back too. REFUNDED (the receiver sent it back) and REVERSED
# (PayPal took it back) follow a success, when the payout is already paid.
_PAYPAL_ITEM_STATUS = {
    "PAYMENT.PAYOUTS-ITEM.SUCCEEDED": Payout.Status.PAID,
    "PAYMENT.PAYOUTS-ITEM.PENDING": Payout.Status.PROCESSING,
    "PAYMENT.PAYOUTS-ITEM.HELD": Payout.Status.PROCESSING,
    "PAYMENT.PAYOUTS-ITEM.UNCLAIMED": Payout.Status.PROCESSING,
    "PAYMENT.PAYOUTS-ITEM.FAILED": Payout.Status.FAILED,
    "PAYMENT.PAYOUTS-ITEM.BLOCKED": Payout.Status.FAILED,
    "PAYMENT.PAYOUTS-ITEM.DENIED": Payout.Status.FAILED,
    "PAYMENT.PAYOUTS-ITEM.CANCELED": Payout.Status.FAILED,
    "PAYMENT.PAYOUTS-ITEM.RETURNED": Payout.Status.FAILED,
    "PAYMENT.PAYOUTS-ITEM.REFUNDED": Payout.Status.REVERSED,
    "PAYMENT.PAYOUTS-ITEM.REVERSED": Payout.Status.REVERSED,
}
_PAYPAL_FAILURE = {
    "PAYMENT.PAYOUTS-ITEM.CANCELED": "Cancelled before it was claimed; PayPal returned the money.",
    "PAYMENT.PAYOUTS-ITEM.RETURNED": "Not claimed within 30 days; PayPal returned the money.",
    "PAYMENT.PAYOUTS-ITEM.REFUNDED": "The receiver refunded the payout.",
    "PAYMENT.PAYOUTS-ITEM.REVERSED": "PayPal reversed the payout.",
}


@transaction.atomic
def payout_webhook_apply(*, event: WebhookEvent) -> str:
    """Apply a payout webhook (RazorpayX ``payout.*``, PayPal ``PAYMENT.PAYOUTS-ITEM.*`` and
    ``PAYMENT.PAYOUTSBATCH.*``) to our payout; returns what it did, for the log.

    Once a payout is paid, failed, reversed or rejected, later events change nothing (a
    reversal after payment is logged for staff). Failed and reversed payouts stop counting
    against the balance, so their amount is available again. Call inside the webhook's
    transaction."""
    if event.provider == "paypal":
        return _paypal_payout_event(event)
    return _razorpayx_payout_event(event)


def _razorpayx_payout_event(event: WebhookEvent) -> str:
    """The payout is found by RazorpayX id or by our reference_id. The status comes from the
    entity (``payout.updated`` says it only there), else from the event name."""
    raw = event.raw if isinstance(event.raw, dict) else {}
    entity = ((raw.get("payload") or {}).get("payout") or {}).get("entity") or {}
    if not isinstance(entity, dict) or not entity.get("id"):
        return f"ignored: {event.event_type} without a payout entity"
    gateway_id = str(entity["id"])
    reference_id = str(entity.get("reference_id") or "")
    payouts = Payout.objects.select_for_update()
    payout = payouts.filter(razorpay_payout_id=gateway_id).first()
    if payout is None and (pk := _payout_pk(reference_id)) is not None:
        payout = payouts.filter(pk=pk, razorpay_payout_id__in=["", gateway_id]).first()
    if payout is None:
        return f"ignored: no payout for {gateway_id}"
    gateway_status = str(entity.get("status") or event.event_type.removeprefix("payout."))
    status = _GATEWAY_STATUS.get(gateway_status)
    if status is None:
        return f"ignored: payout #{payout.pk} has unknown status {gateway_status!r}"
    if payout.status in Payout.FINAL:
        return _final_kept(payout, status, what=f"RazorpayX {gateway_status}")
    payout.razorpay_payout_id = gateway_id
    payout.gateway_status = gateway_status
    payout.status = status
    if status == Payout.Status.PAID:
        payout.paid_at = event.occurred_at or timezone.now()
        payout.reference = str(entity.get("utr") or "")[:100]
    if status in {Payout.Status.FAILED, Payout.Status.REVERSED}:
        details = entity.get("status_details") if isinstance(entity.get("status_details"), dict) else {}
        reason = entity.get("failure_reason") or details.get("description") or gateway_status
        payout.failure_reason = str(reason)[:500]
    payout.save()
    return f"payout #{payout.pk} {status}"


def _paypal_payout_event(event: WebhookEvent) -> str:
    """The payout is found by PayPal's item id, else by the item's sender_item_id (our
    reference_id, which the job sent); the status comes from the event name."""
    resource = event.raw.get("resource") if isinstance(event.raw, dict) else None
    resource = resource if isinstance(resource, dict) else {}
    if event.event_type.startswith("PAYMENT.PAYOUTSBATCH."):
        return _paypal_batch_event(event, resource)
    status = _PAYPAL_ITEM_STATUS.get(event.event_type)
    if status is None:
        return f"ignored: unknown payout event {event.event_type}"
    item = resource.get("payout_item") if isinstance(resource.get("payout_item"), dict) else {}
    item_id = str(resource.get("payout_item_id") or "")
    if not item_id:
        return f"ignored: {event.event_type} without a payout item id"
    payouts = Payout.objects.select_for_update().filter(method=Payout.Method.PAYPAL)
    payout = payouts.filter(paypal_item_id=item_id).first()
    if payout is None and (pk := _payout_pk(str(item.get("sender_item_id") or ""))) is not None:
        payout = payouts.filter(pk=pk, paypal_item_id__in=["", item_id]).first()
    if payout is None:
        return f"ignored: no payout for PayPal item {item_id}"
    if event.amount_minor is not None and (event.amount_minor, event.currency) != (payout.amount_minor, payout.currency):
        # Our ids are only unique per deployment; another one sharing the PayPal account (a
        # staging copy) would name "our" payout with its own amount.
        logger.warning("PayPal item %s names payout %s with another amount; ignored", item_id, payout.pk)
        return f"ignored: PayPal item {item_id} amount differs from payout #{payout.pk}"
    if payout.status in Payout.FINAL:
        return _final_kept(payout, status, what=f"PayPal {event.event_type}")
    payout.paypal_item_id = item_id
    payout.paypal_batch_id = payout.paypal_batch_id or str(resource.get("payout_batch_id") or "")[:40]
    payout.gateway_status = str(resource.get("transaction_status") or "")[:20]
    payout.status = status
    if status == Payout.Status.PAID:
        payout.paid_at = event.occurred_at or timezone.now()
        payout.reference = str(resource.get("transaction_id") or item_id)[:100]
    if status in Payout.RELEASED:
        errors = resource.get("errors") if isinstance(resource.get("errors"), dict) else {}
        reason = errors.get("message") or errors.get("name") or _PAYPAL_FAILURE.get(event.event_type)
        payout.failure_reason = str(reason or event.event_type)[:500]
    payout.save()
    return f"payout #{payout.pk} {status}"


def _paypal_batch_event(event: WebhookEvent, resource: dict) -> str:
    """Batch events carry no item. Each of our batches holds one item, so a denied batch is a
    failed payout (no item event may follow); the other batch events only echo the item's."""
    if event.event_type != "PAYMENT.PAYOUTSBATCH.DENIED":
        return "ignored: batch event"
    header = resource.get("batch_header") if isinstance(resource.get("batch_header"), dict) else {}
    batch_id = str(header.get("payout_batch_id") or "")
    sender = header.get("sender_batch_header") if isinstance(header.get("sender_batch_header"), dict) else {}
    payouts = Payout.objects.select_for_update().filter(method=Payout.Method.PAYPAL)
    payout = payouts.filter(paypal_batch_id=batch_id).first() if batch_id else None
    if payout is None and (pk := _payout_pk(str(sender.get("sender_batch_id") or ""))) is not None:
        payout = payouts.filter(pk=pk, paypal_batch_id__in=["", batch_id]).first()
    if payout is None:
        return f"ignored: no payout for PayPal batch {batch_id}"
    if payout.status in Payout.FINAL:
        return _final_kept(payout, Payout.Status.FAILED, what=f"PayPal {event.event_type}")
    payout.paypal_batch_id = batch_id[:40]
    payout.gateway_status = "DENIED"
    payout.status = Payout.Status.FAILED
    payout.failure_reason = "PayPal denied the payout batch."
    payout.save()
    return f"payout #{payout.pk} {payout.status}"


def _payout_pk(reference_id: str) -> int | None:
    """The payout id in our reference "yoppy-payout-<id>", else None."""
    number = reference_id.removeprefix("yoppy-payout-")
    return int(number) if number != reference_id and number.isdigit() else None


def _final_kept(payout: Payout, status: str, *, what: str) -> str:
    if payout.status == Payout.Status.PAID and status in Payout.RELEASED:
        # The gateway took paid money back (bank return, PayPal refund or reversal): it is ours
        # again but the creator was told "paid", so staff must look at it.
        logger.warning("payout %s: %s after it was paid; left paid, check by hand", payout.pk, what)
    return f"ignored: payout #{payout.pk} is already {payout.status}"
