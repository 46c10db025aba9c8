"""Reads of Affiliates: functions named <entity>_<action> (STYLE.md §1).

Balances are sums, per currency, over the append-only ledger and the payouts:

* pending   — commissions still in their holding period (``available_at`` in the future);
* available — commissions past it, minus payouts that are requested, on their way or paid;
* in_payout — payouts requested or on their way;
* paid      — payouts paid.

Rejected, failed and reversed payouts count nowhere, so their money is available again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.utils import timezone

from affiliates.models import AffiliateProfile, Commission, Payout, Referral, mask_email


@dataclass(frozen=True)
class Balance:
    currency: str
    pending: int = 0
    available: int = 0
    in_payout: int = 0
    paid: int = 0


def balance_list_for_creator(*, creator, now: dt.datetime | None = None) -> list[Balance]:
    """The creator's balances, one per currency they ever earned or were paid in, by currency."""
    now = now or timezone.now()
    ledger = {
        row["currency"]: row
        for row in Commission.objects.filter(creator=creator)
        .values("currency")
        .annotate(
            due=Sum("amount_minor", filter=Q(available_at__lte=now), default=0),
            pending=Sum("amount_minor", filter=Q(available_at__gt=now), default=0),
        )
    }
    payouts = {
        row["currency"]: row
        for row in Payout.objects.filter(creator=creator)
        .exclude(status__in=Payout.RELEASED)
        .values("currency")
        .annotate(
            reserved=Sum("amount_minor", default=0),
            paid=Sum("amount_minor", filter=Q(status=Payout.Status.PAID), default=0),
        )
    }
    balances = []
    for currency in sorted(ledger.keys() | payouts.keys()):
        earned = ledger.get(currency, {})
        paid_out = payouts.get(currency, {})
        reserved, paid = paid_out.get("reserved", 0), paid_out.get("paid", 0)
        balances.append(
            Balance(
                currency=currency,
                pending=earned.get("pending", 0),
                available=earned.get("due", 0) - reserved,
                in_payout=reserved - paid,
                paid=paid,
            )
        )
    return balances


def balance_for_creator(*, creator, currency: str, now: dt.datetime | None = None) -> Balance:
    for balance in balance_list_for_creator(creator=creator, now=now):
        if balance.currency == currency:
            return balance
    return Balance(currency=currency)


@dataclass(frozen=True)
class MonthBar:
    """One bar of the earnings chart; the template draws it at 100 units per month."""

    index: int
    month: dt.date
    amount_minor: int
    percent: int  # bar height relative to the best month of the chart

    @property
    def x(self) -> int:
        return self.index * 100 + 10

    @property
    def top(self) -> int:
        return 110 - self.percent


def commission_monthly_for_creator(
    *, creator, months: int = 12, now: dt.datetime | None = None
) -> dict[str, list[MonthBar]]:
    """Net commission (earnings minus reversals) per calendar month (UTC) of the last ``months``
    months, the current one included, per currency; months without commission are 0."""
    now = now or timezone.now()
    first = now.date().replace(day=1)
    for _ in range(months - 1):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    start = dt.datetime.combine(first, dt.time.min, tzinfo=dt.UTC)
    rows = (
        Commission.objects.filter(creator=creator, occurred_at__gte=start, occurred_at__lte=now)
        .annotate(month=TruncMonth("occurred_at", tzinfo=dt.UTC))
        .values("currency", "month")
        .annotate(total=Sum("amount_minor"))
    )
    totals: dict[str, dict[dt.date, int]] = {}
    for row in rows:
        totals.setdefault(row["currency"], {})[row["month"].date()] = row["total"]
    month_starts = [first]
    while len(month_starts) < months:
        month_starts.append((month_starts[-1] + dt.timedelta(days=32)).replace(day=1))
    charts = {}
    for currency in sorted(totals):
        amounts = [totals[currency].get(month, 0) for month in month_starts]
        best = max(max(amounts), 1)
        charts[currency] = [
            MonthBar(index=i, month=month, amount_minor=amount, percent=round(100 * max(amount, 0) / best))
            for i, (month, amount) in enumerate(zip(month_starts, amounts, strict=True))
        ]
    return charts


@dataclass(frozen=True)
class ReferredUser:
    email_masked: str
    joined: dt.date
    plan: str


def referral_list_for_creator(*, creator, limit: int = 100) -> list[ReferredUser]:
    """The users the creator brought, newest first, anonymised: masked email, month, plan."""
    referrals = (
        Referral.objects.filter(referrer=creator)
        .select_related("user__plan_assignment__plan")
        .order_by("-created_at")[:limit]
    )
    rows = []
    for referral in referrals:
        assignment = getattr(referral.user, "plan_assignment", None)
        rows.append(
            ReferredUser(
                email_masked=mask_email(referral.user.email),
                joined=referral.user.date_joined.date().replace(day=1),
                plan=assignment.plan.name if assignment else "",
            )
        )
    return rows


def payout_list_for_creator(*, creator) -> QuerySet[Payout]:
    return Payout.objects.filter(creator=creator).order_by("-requested_at", "-pk")


def referral_code_for_user(*, user) -> str | None:
    profile = AffiliateProfile.objects.filter(user=user).only("code").first()
    return profile.code if profile else None


def referrer_for_code(*, code: str) -> int | None:
    """The user id behind a referral code, or None."""
    return AffiliateProfile.objects.filter(code=code.lower()).values_list("user_id", flat=True).first()


def referrer_for_public_page(*, slug: str) -> int | None:
    """The owner of the public channel page /c/<slug>, or None."""
    from chat.selectors import channel_get_public

    try:
        return channel_get_public(slug=slug).owner_id
    except Http404:
        return None
