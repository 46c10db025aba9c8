"""Writes about users."""

from __future__ import annotations

from collections import Counter

from django.db import transaction
from django.db.models.deletion import Collector

from yoppy.users.models import User


def user_owned_summary(*, user: User) -> dict[str, int]:
    """What deleting ``user`` removes, as {"verbose name plural": count}, the user included."""
    collector = Collector(using="default")
    collector.collect([user])
    counts: Counter[str] = Counter()
    for model, instances in collector.data.items():
        counts[str(model._meta.verbose_name_plural)] += len(instances)
    for qs in collector.fast_deletes:
        counts[str(qs.model._meta.verbose_name_plural)] += qs.count()
    return {name: n for name, n in sorted(counts.items()) if n}


class UserDeleteRefused(Exception):
    """The user cannot be deleted yet; the message says why and what to do."""


@transaction.atomic
def user_delete(*, user: User) -> dict[str, int]:
    """Delete ``user`` and everything they own, in one transaction; returns what was deleted.

    Everything a user owns hangs off them by a cascading foreign key, so the database removes it
    with the user; nothing is left half-deleted if any part fails. Payments and subscriptions are
    kept for the accounts without their owner. A subscription that could still charge them must be
    cancelled first: deleting the account would not stop the gateway billing them.
    """
    from billing.models import Subscription

    live = Subscription.objects.filter(user=user).exclude(
        status__in=[Subscription.Status.CREATED, Subscription.Status.CANCELLED, Subscription.Status.COMPLETED,
                    Subscription.Status.EXPIRED]
    )  # fmt: skip
    if live.exists():
        raise UserDeleteRefused(
            f"{user.email} has a subscription that can still be charged ({live.first()}); cancel it first."
        )
    summary = user_owned_summary(user=user)
    user.delete()
    return summary
