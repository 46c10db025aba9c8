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


@transaction.atomic
def user_delete(*, user: User) -> dict[str, int]:
    """Delete ``user`` and everything they own, in one transaction; returns what was deleted.

    Everything a user owns hangs off them by a cascading foreign key, so the database removes it
    with the user; nothing is left half-deleted if any part fails.
    """
    summary = user_owned_summary(user=user)
    user.delete()
    return summary
