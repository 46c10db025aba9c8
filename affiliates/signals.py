"""Attach the referral a new user arrived with, once, when the account is created; and turn
billing's payments, refunds and payout events into ledger rows."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from billing import signals as billing_signals


@receiver(user_signed_up, dispatch_uid="affiliates_attach_referral")
def attach_referral(sender, request, user, **kwargs) -> None:
    # allauth sends this for email and social sign-ups alike, with the request that carries the
    # referral cookie and session (a post_save hook would not see the request).
    if request is None:
        return
    from affiliates import services
    from affiliates.middleware import touch_read

    touch = touch_read(request)
    if touch is not None:
        services.referral_attach(user=user, referrer_id=touch.referrer_id, source=touch.source, touched_at=touch.at)


# Billing announces money inside its webhook transaction; the commission or reversal commits or
# rolls back with the payment it belongs to.


@receiver(billing_signals.payment_recorded, dispatch_uid="affiliates_commission_on_payment")
def commission_on_payment(sender, payment, **kwargs) -> None:
    from affiliates import services

    services.commission_record_for_payment(payment=payment)


@receiver(billing_signals.refund_recorded, dispatch_uid="affiliates_reversal_on_refund")
def reversal_on_refund(sender, refund, **kwargs) -> None:
    from affiliates import services

    services.commission_reverse_for_refund(refund=refund)


@receiver(billing_signals.payout_event_received, dispatch_uid="affiliates_payout_event")
def payout_event(sender, event, **kwargs) -> str:
    from affiliates import services

    return services.payout_webhook_apply(event=event)
