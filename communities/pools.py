"""A Whop community's pool of questions: WHOP_QUESTIONS_PER_MEMBER for each active member, per
calendar month (UTC). Its members ask out of it (``Asker(kind=WHOP_MEMBER, pool=CommunityPool)``).

``take`` is one conditional UPDATE on the community's row, like billing's ``quota_consume``:
PostgreSQL re-checks the condition on the row a concurrent taker just updated, so two members
can never both take the last question. A new month starts the count again at the first take.
A member leaving mid-month lowers the pool but not what was used: ``left`` is never negative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from chat.services.askers import QuestionRefused
from communities.models import Community

RECEIPT_PREFIX = "whop"


def month_start(at: dt.datetime) -> dt.date:
    return at.astimezone(dt.UTC).date().replace(day=1)


def next_month_start(at: dt.datetime) -> dt.date:
    first = month_start(at)
    return (first + dt.timedelta(days=32)).replace(day=1)


def pool_refusal(*, limit: int, at: dt.datetime) -> str:
    """What a member reads when the pool is used up: when it refills, and what the owner can do."""
    refill = next_month_start(at).strftime("%-d %B")
    if limit == 0:
        return (
            "This community's question pool is empty: it has no active members on record yet. "
            "The community owner can check the Yoppy dashboard in Whop."
        )
    return (
        f"This community has used all {limit} questions of this month's pool. It refills on {refill}. "
        f"The pool grows by {settings.WHOP_QUESTIONS_PER_MEMBER} questions for every active member; "
        "the community owner sees it on the Yoppy dashboard in Whop."
    )


class PoolEmpty(QuestionRefused):
    """The month's pool is used up (the page answers 429 with when it refills)."""


@dataclass(frozen=True)
class CommunityPool:
    community_id: int

    @property
    def receipt(self) -> str:
        return f"{RECEIPT_PREFIX}:{self.community_id}"

    def take(self) -> None:
        """Take one question, or raise QuestionRefused having taken nothing (also when the app
        is switched off for the community)."""
        now = timezone.now()
        period = month_start(now)
        per_member = settings.WHOP_QUESTIONS_PER_MEMBER
        room = Q(pool_period=period, pool_used__lt=F("active_members") * per_member) | (
            ~Q(pool_period=period) & Q(active_members__gt=0)
        )
        taken = 0
        if per_member > 0:
            taken = (
                Community.objects.filter(pk=self.community_id, installed=True)
                .filter(room)
                .update(
                    pool_used=Case(When(pool_period=period, then=F("pool_used") + 1), default=Value(1)),
                    pool_period=period,
                )
            )
        if not taken:
            community = Community.objects.filter(pk=self.community_id).first()
            if community is None or not community.installed:
                raise QuestionRefused("Yoppy is switched off for this community.")
            raise PoolEmpty(pool_refusal(limit=community.pool_limit, at=now))


def pool_give_back(*, ref: str, taken_at: dt.datetime) -> None:
    """Return a question taken at ``taken_at`` (an answer that never came) to its month's count;
    a question of a month gone by has nothing to return to."""
    if not ref.isdigit():
        return
    Community.objects.filter(pk=int(ref), pool_period=month_start(taken_at), pool_used__gt=0).update(
        pool_used=F("pool_used") - 1
    )
