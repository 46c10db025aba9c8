"""Writes about plans and usage."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F

from billing.models import Plan, Usage, UserPlan
from billing.selectors import period_start_for, plan_cache_clear, plan_get_default, plan_get_for_user


@transaction.atomic
def user_plan_assign_default(*, user) -> UserPlan:
    """Put a new user on the default (Free) plan; a user who already has a plan keeps it."""
    assignment, _ = UserPlan.objects.get_or_create(user=user, defaults={"plan": plan_get_default()})
    transaction.on_commit(lambda: plan_cache_clear(user_id=user.pk))
    return assignment


@transaction.atomic
def user_plan_change(*, user, plan: Plan) -> UserPlan:
    assignment, _ = UserPlan.objects.select_for_update().get_or_create(user=user, defaults={"plan": plan})
    if assignment.plan_id != plan.pk:
        assignment.plan = plan
        assignment.save(update_fields=["plan", "updated_at"])
    # After commit: a reader between the delete and the commit would cache the old plan again.
    transaction.on_commit(lambda: plan_cache_clear(user_id=user.pk))
    return assignment


def user_plan_lock(*, user) -> Plan:
    """The user's plan, with their plan row locked until the transaction ends.

    Precondition: call inside ``transaction.atomic``. Limits checked under this lock (channels
    added) cannot be raced past by two requests at once.
    """
    assignment = UserPlan.objects.select_for_update().select_related("plan").filter(user=user).first()
    if assignment is None:
        assignment = user_plan_assign_default(user=user)
        assignment = UserPlan.objects.select_for_update().select_related("plan").get(pk=assignment.pk)
    return assignment.plan


@dataclass(frozen=True)
class QuotaDecision:
    allowed: bool
    used: int
    limit: int | None

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def quota_consume(*, user, amount: int = 1) -> QuotaDecision:
    """Consume ``amount`` questions from the user's monthly quota, or refuse without consuming.

    Check and increment are one conditional UPDATE, so concurrent callers cannot both take the
    last question: PostgreSQL re-checks the WHERE clause against the row a concurrent UPDATE
    committed. Call it before the expensive work (the LLM), never after.
    """
    if amount < 1:
        raise ValueError("amount must be positive")
    plan = plan_get_for_user(user=user)
    period = period_start_for()
    usage, _ = Usage.objects.get_or_create(user=user, period_start=period)
    rows = Usage.objects.filter(pk=usage.pk)
    if plan.monthly_query_limit is not None:
        rows = rows.filter(queries_used__lte=plan.monthly_query_limit - amount)
    updated = rows.update(queries_used=F("queries_used") + amount)
    used = Usage.objects.values_list("queries_used", flat=True).get(pk=usage.pk)
    return QuotaDecision(allowed=updated == 1, used=used, limit=plan.monthly_query_limit)


def quota_release(*, user, taken_at, amount: int = 1) -> bool:
    """Give back ``amount`` questions taken at ``taken_at`` (an answer that never came).

    The questions go back to the month they were taken from, never below zero. Returns False
    when there was nothing to give back.
    """
    return bool(
        Usage.objects.filter(user=user, period_start=period_start_for(taken_at), queries_used__gte=amount).update(
            queries_used=F("queries_used") - amount
        )
    )
