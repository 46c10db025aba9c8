"""Reads about plans and usage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.utils import timezone

from billing.gateways import gateway_configured
from billing.models import GatewayPlan, Payment, Plan, Subscription, Usage, UserPlan

# Statuses in which the subscriber keeps the plan: paid, or a renewal payment being retried.
GRANTING_STATUSES = (Subscription.Status.ACTIVE, Subscription.Status.PENDING)


def period_start_for(moment: dt.datetime | None = None) -> dt.date:
    """First day (UTC) of the calendar month that contains ``moment`` (now by default)."""
    moment = moment or timezone.now()
    return moment.astimezone(dt.UTC).date().replace(day=1)


def plan_list_public() -> QuerySet[Plan]:
    return Plan.objects.filter(is_public=True).order_by("sort_order", "price_usd")


def plan_get_default() -> Plan:
    return Plan.objects.get(is_default=True)


def _plan_cache_key(user_id: int) -> str:
    return f"billing:plan:{user_id}"


def plan_get_for_user(*, user) -> Plan:
    """The user's plan. Read on every question, so it is cached in Redis for PLAN_CACHE_TTL_S;
    ``user_plan_change`` clears the entry when the change commits (a webhook's upgrade applies
    at once), and staff edits to a plan's limits show within the TTL."""
    key = _plan_cache_key(user.pk)
    plan = cache.get(key)
    if plan is None:
        assignment = UserPlan.objects.select_related("plan").filter(user=user).first()
        plan = assignment.plan if assignment else plan_get_default()
        if settings.PLAN_CACHE_TTL_S:
            cache.set(key, plan, settings.PLAN_CACHE_TTL_S)
    return plan


def plan_cache_clear(*, user_id: int) -> None:
    cache.delete(_plan_cache_key(user_id))


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


def granting_q(now: dt.datetime) -> Q:
    """Subscriptions that give their plan now: active or retrying a payment, or cancelled with
    time already paid for (a PayPal cancellation takes effect at once; the buyer keeps what they paid)."""
    return Q(status__in=GRANTING_STATUSES) | Q(status=Subscription.Status.CANCELLED, current_period_end__gt=now)


def subscription_current(*, user) -> Subscription | None:
    """The subscription that gives the user their plan now, if one does."""
    plan = plan_get_for_user(user=user)
    return (
        Subscription.objects.filter(granting_q(timezone.now()), user=user, plan=plan)
        .select_related("plan")
        .order_by("-created_at")
        .first()
    )


def subscription_list_awaiting(*, user) -> QuerySet[Subscription]:
    """Checkouts started in the last day whose gateway has not confirmed payment yet."""
    return Subscription.objects.filter(
        user=user,
        status__in=[Subscription.Status.CREATED, Subscription.Status.AUTHENTICATED],
        created_at__gte=timezone.now() - dt.timedelta(days=1),
    ).select_related("plan")


def subscription_get_for_user(*, user, pk: int) -> Subscription:
    """The user's own subscription; anyone else's is a 404."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Subscription, pk=pk, user=user)


def payment_list_for_user(*, user) -> QuerySet[Payment]:
    return Payment.objects.filter(user=user).select_related("plan").prefetch_related("refunds").order_by("-paid_at")


def checkout_options(*, plan: Plan) -> list[GatewayPlan]:
    """The ways to buy ``plan`` here: one per configured gateway and currency."""
    rows = GatewayPlan.objects.filter(plan=plan, is_active=True).order_by("provider", "currency")
    return [row for row in rows if gateway_configured(row.provider)]


@dataclass(frozen=True)
class PlanOffer:
    plan: Plan
    options: list[GatewayPlan]  # ways to buy it here (configured gateways × currencies)


def plan_offers() -> list[PlanOffer]:
    return [PlanOffer(plan=plan, options=checkout_options(plan=plan)) for plan in plan_list_public()]
