"""Reads about plans and usage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from billing.models import Plan, Usage, UserPlan


def period_start_for(moment: dt.datetime | None = None) -> dt.date:
    """First day (UTC) of the calendar month that contains ``moment`` (now by default)."""
    moment = moment or timezone.now()
    return moment.astimezone(dt.UTC).date().replace(day=1)


def plan_list_public() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True).order_by("sort_order", "price_usd")


def plan_get_default() -> Plan:
    return Plan.objects.get(is_default=True)


def plan_get_for_user(*, user) -> Plan:
    assignment = UserPlan.objects.select_related("plan").filter(user=user).first()
    return assignment.plan if assignment else plan_get_default()


@dataclass(frozen=True)
class QuotaStatus:
    plan: Plan
    period_start: dt.date
    used: int
    limit: int | None  # None: unlimited

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)

    @property
    def percent_used(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.used / self.limit))


def quota_status(*, user) -> QuotaStatus:
    plan = plan_get_for_user(user=user)
    period = period_start_for()
    used = (
        Usage.objects.filter(user=user, period_start=period)
        .values_list("queries_used", flat=True)
        .first()
    )
    return QuotaStatus(plan=plan, period_start=period, used=used or 0, limit=plan.monthly_query_limit)
