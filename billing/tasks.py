"""RQ jobs of Billing: take ids, reload, stop if stale, call a service (STYLE.md §4).

They do the slow part of a webhook (e-mails, calls to the gateway) after its effect committed,
so the gateway's delivery is acknowledged at once. Safe to run twice: the job id is derived from
the delivery, and a subscription already told to stop is skipped.
"""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.template.loader import render_to_string

from billing import jobs
from billing.models import Subscription, WebhookDelivery
from billing.services.subscriptions import (
    BillingError,
    subscription_cancel,
    superseded_subscriptions,
    users_plan_lapse,
)

logger = logging.getLogger(__name__)

# Event types the subscriber hears about, and the e-mail template telling them.
_EMAILS = {
    "subscription.activated": "activated", "BILLING.SUBSCRIPTION.ACTIVATED": "activated",
    "subscription.cancelled": "cancelled", "BILLING.SUBSCRIPTION.CANCELLED": "cancelled",
    "subscription.halted": "payment_failed", "subscription.pending": "payment_failed",
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED": "payment_failed", "BILLING.SUBSCRIPTION.SUSPENDED": "payment_failed",
}  # fmt: skip


def webhook_followup(delivery_id: int) -> None:
    delivery = WebhookDelivery.objects.select_related("subscription__user", "subscription__plan").filter(
        pk=delivery_id
    ).first()
    if delivery is None or delivery.subscription is None or delivery.subscription.user is None:
        return
    subscription = delivery.subscription
    template = _EMAILS.get(delivery.event_type)
    if template:
        context = {"subscription": subscription, "plan": subscription.plan, "user": subscription.user}
        subject = render_to_string(f"billing/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"billing/email/{template}.txt", context)
        send_mail(subject, body, None, [subscription.user.email])
    for old in superseded_subscriptions(user=subscription.user):
        jobs.enqueue_subscription_stop_renewing(old.pk)


def subscription_stop_renewing(subscription_id: int) -> None:
    """The user moved to another plan: this older subscription stops at the end of its cycle."""
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None or subscription.cancel_at_period_end:
        return
    try:
        subscription_cancel(subscription=subscription, at_period_end=True)
    except BillingError as exc:
        # Raised again so RQ records the failure; staff see it in the admin's RQ pages.
        raise RuntimeError(f"could not stop {subscription}: {exc}") from exc


def plans_lapse() -> None:
    """Hourly (yoppy.scheduler): users whose cancelled subscription's paid time ended."""
    count = users_plan_lapse()
    if count:
        logger.info("%d users' paid time ended", count)
