"""Attach the referral a new user arrived with, once, when the account is created."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.dispatch import receiver


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
