"""Checkout, plan changes and cancellation; and the user's plan as their subscriptions give it.

Nothing here trusts the buyer's browser: a checkout only creates the subscription at the gateway.
The plan changes when the gateway's signed webhook says the subscription is active
(``billing.services.webhooks``).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from billing.gateways import GatewayError, gateway_configured, paypal_gateway, razorpay_gateway
from billing.models import GatewayPlan, Plan, Provider, Subscription, UserPlan
from billing.selectors import granting_q, plan_get_default
from billing.services.plans import user_plan_change

logger = logging.getLogger(__name__)

Status = Subscription.Status
# Monthly cycles a Razorpay subscription runs for (Razorpay needs an end): ten years.
RAZORPAY_TOTAL_COUNT = 120
_REF = re.compile(r"^user-(\d+)$")


class BillingError(Exception):
    """A checkout or cancellation that cannot be done; the message is for the user."""


def customer_ref(user) -> str:
    """Our reference for ``user``, sent to the gateway and returned on every webhook."""
    return f"user-{user.pk}"


def customer_ref_user(ref: str):
    match = _REF.match(ref or "")
    if not match:
        return None
    return get_user_model().objects.filter(pk=int(match.group(1))).first()


def user_plan_sync(*, user, now: datetime | None = None) -> Plan:
    """Set the user's plan to the best plan their subscriptions give now (the default plan when
    none does). Takes the user's plan row lock, so events for two subscriptions of one user apply
    one after the other."""
    now = now or timezone.now()
    with transaction.atomic():
        UserPlan.objects.select_for_update().filter(user=user).first()
        best = (
            Plan.objects.filter(subscriptions__in=Subscription.objects.filter(granting_q(now), user=user))
            .order_by("-price_usd", "-price_inr")
            .first()
        )
        plan = best or plan_get_default()
        user_plan_change(user=user, plan=plan)
    return plan


def users_plan_lapse(*, now: datetime | None = None) -> int:
    """Sync users whose plan came from a cancelled subscription whose paid time has ended
    (a scheduler job); returns how many."""
    now = now or timezone.now()
    user_ids = set(
        Subscription.objects.filter(
            status=Status.CANCELLED, current_period_end__lte=now, user__plan_assignment__plan=F("plan")
        ).values_list("user_id", flat=True)
    )
    for user in get_user_model().objects.filter(pk__in=user_ids):
        user_plan_sync(user=user, now=now)
    return len(user_ids)


def subscription_start(*, user, gateway_plan: GatewayPlan, site_url: str) -> Subscription:
    """Create a subscription at the gateway; the buyer pays at ``subscription.checkout_url``.

    ``site_url`` ("https://yoppy.example") builds PayPal's return and cancel pages."""
    if not gateway_plan.is_active or not gateway_configured(gateway_plan.provider):
        raise BillingError("This way of paying is not available right now.")
    current = (
        Subscription.objects.filter(granting_q(timezone.now()), user=user, plan=gateway_plan.plan)
        .exclude(status=Status.CANCELLED)
        .first()
    )
    if current is not None:
        raise BillingError(f"You already subscribe to {gateway_plan.plan.name}.")
    try:
        if gateway_plan.provider == Provider.RAZORPAY:
            gateway = razorpay_gateway()
            customer_id = gateway.customer_create(email=user.email, name=user.get_full_name() or user.email)
            checkout = gateway.subscription_create(
                plan_id=gateway_plan.gateway_plan_id, total_count=RAZORPAY_TOTAL_COUNT,
                customer_id=customer_id, customer_ref=customer_ref(user),
            )  # fmt: skip
        else:
            back = site_url.rstrip("/") + reverse("billing:overview")
            checkout = paypal_gateway().subscription_create(
                plan_id=gateway_plan.gateway_plan_id, custom_id=customer_ref(user),
                return_url=f"{back}?checkout=done", cancel_url=f"{back}?checkout=cancelled",
            )  # fmt: skip
    except GatewayError as exc:
        logger.warning("checkout for user %s failed: %s", user.pk, exc)
        raise BillingError("The payment provider could not be reached. Please try again in a minute.") from exc
    if not checkout.subscription_id or not checkout.checkout_url:
        raise BillingError("The payment provider did not return a checkout page. Please try again.")
    # ignore_conflicts: the subscription's first webhook may already have created the row.
    Subscription.objects.bulk_create(
        [Subscription(
            user=user, plan=gateway_plan.plan, provider=gateway_plan.provider, currency=gateway_plan.currency,
            gateway_subscription_id=checkout.subscription_id, checkout_url=checkout.checkout_url,
        )],
        ignore_conflicts=True,
    )  # fmt: skip
    return Subscription.objects.get(provider=gateway_plan.provider, gateway_subscription_id=checkout.subscription_id)


def subscription_cancel(*, subscription: Subscription, at_period_end: bool = True) -> Subscription:
    """Ask the gateway to cancel. The status changes when its webhook arrives; until then the row
    says the cancellation was requested. Razorpay can stop at the end of the paid cycle; PayPal
    stops at once and the subscriber keeps the time paid for (see ``granting_q``)."""
    if subscription.status in (Status.CANCELLED, Status.COMPLETED, Status.EXPIRED):
        raise BillingError("This subscription has already ended.")
    try:
        if subscription.provider == Provider.RAZORPAY:
            razorpay_gateway().subscription_cancel(subscription.gateway_subscription_id, at_cycle_end=at_period_end)
        else:
            paypal_gateway().subscription_cancel(subscription.gateway_subscription_id)
    except GatewayError as exc:
        logger.warning("cancelling %s failed: %s", subscription, exc)
        raise BillingError("The payment provider could not be reached. Please try again in a minute.") from exc
    Subscription.objects.filter(pk=subscription.pk).update(cancel_at_period_end=True, updated_at=timezone.now())
    subscription.refresh_from_db()
    return subscription


def superseded_subscriptions(*, user, now: datetime | None = None) -> list[Subscription]:
    """Subscriptions to stop renewing because the user bought another plan since: all granting
    ones but the newest. They stop at the end of their paid cycle, and the user keeps the better
    of the plans until then (``user_plan_sync``), so an upgrade applies at once and a downgrade
    when the dearer plan's paid time ends."""
    now = now or timezone.now()
    granting = list(
        Subscription.objects.filter(granting_q(now), user=user).exclude(status=Status.CANCELLED).order_by("-created_at")
    )
    return [sub for sub in granting[1:] if not sub.cancel_at_period_end]
