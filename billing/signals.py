"""Every user has a plan from the moment the account exists; and the money events other apps hear."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
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
