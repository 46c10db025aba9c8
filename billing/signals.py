"""Every user has a plan from the moment the account exists."""

from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="billing_assign_default_plan")
def assign_default_plan(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from billing.services import user_plan_assign_default

        user_plan_assign_default(user=instance)
