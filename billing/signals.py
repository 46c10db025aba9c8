"""Every user has a plan from the moment the account exists; and the money events other apps hear."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="billing_assign_default_plan")
def assign_default_plan(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from billing.services import user_plan_assign_default

        user_plan_assign_default(user=instance)


# Sent inside the webhook's transaction, so whatever a receiver writes (a referral commission)
# commits or rolls back with the payment itself. Billing does not know who listens.
payment_recorded = Signal()  # payment=billing.models.Payment
refund_recorded = Signal()  # refund=billing.models.Refund (a refund or a chargeback)
# RazorpayX payout events arrive on the Razorpay webhook; a receiver returns a short outcome.
payout_event_received = Signal()  # event=billing.gateways.WebhookEvent


def _clear_cached_plans(user_ids: list[int]) -> None:
    from billing.selectors import plan_cache_clear

    for user_id in user_ids:
        plan_cache_clear(user_id=user_id)


@receiver(post_save, sender="billing.Plan", dispatch_uid="billing_plan_saved_clears_cache")
def plan_saved_clears_cache(sender, instance, raw: bool = False, **kwargs) -> None:
    """A plan edited in the admin (its limits, its price) applies at once, not after the cache TTL:
    every user on it gets their cached copy dropped once the edit commits."""
    if raw:
        return
    from billing.models import UserPlan

    user_ids = list(UserPlan.objects.filter(plan_id=instance.pk).values_list("user_id", flat=True))
    transaction.on_commit(lambda: _clear_cached_plans(user_ids))


@receiver([post_save, post_delete], sender="billing.UserPlan", dispatch_uid="billing_user_plan_clears_cache")
def user_plan_saved_clears_cache(sender, instance, raw: bool = False, **kwargs) -> None:
    """A user's plan changed anywhere (the admin's inline included, which bypasses
    ``user_plan_change``) applies at once."""
    if raw:
        return
    user_id = instance.user_id
    transaction.on_commit(lambda: _clear_cached_plans([user_id]))
