"""Who pays for a bot question (chat.services.askers holds the shapes).

A platform user who linked their Yoppy account asks on their own plan. Anyone else asks on the
place's account's plan (who installed the shared bot, or the branded bot's owner), at most
``Place.member_daily_cap`` questions a day each: a Redis counter per member per place per day,
taken with INCR (atomic, so two questions at once cannot both take the last one) and given back
when the plan refuses.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import redis
from django.conf import settings
from django.utils import timezone

from bots.models import Place
from bots.platforms.base import Platform
from bots.selectors import platform_user_account
from chat.services.askers import Asker, PlanPool, QuestionRefused, QuotaPool

# What an unlinked member reads when the plan paying for them is used up: they cannot upgrade it.
PAID_BY_OWNER_USED_UP = (
    "This persona has answered all the questions its plan allows this month. "
    "Link your own Yoppy account to keep asking, or try again later."
)


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client with its connection pool per process (not one TCP connection per question)."""
    return redis.Redis.from_url(url)


def _member_counter(*, place_id: int, member: str) -> str:
    return f"yoppy:bots:member-questions:{timezone.now().strftime('%Y%m%d')}:{place_id}:{member}"


def member_questions_today(*, place_id: int, member: str) -> int:
    return int(_redis(settings.REDIS_URL).get(_member_counter(place_id=place_id, member=member)) or 0)


@dataclass(frozen=True)
class MemberDailyCap:
    """Today's questions of one unlinked member in one place, then the payer's plan."""

    place_id: int
    member: str
    cap: int
    then: QuotaPool
    refusal: str = (
        "You've asked the {cap} questions a member may ask here today. "
        "Link your Yoppy account to ask on your own plan, or come back tomorrow."
    )

    @property
    def receipt(self) -> str:
        """A failed answer goes back to the plan that paid; the day's count keeps it (the member
        did ask, and the cap is about how often one member may ask, not what they got)."""
        return self.then.receipt

    def take(self) -> None:
        counters = _redis(settings.REDIS_URL)
        key = _member_counter(place_id=self.place_id, member=self.member)
        pipe = counters.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)
        count = pipe.execute()[0]
        if count > self.cap:
            counters.decr(key)
            raise QuestionRefused(self.refusal.format(cap=self.cap), sign_up=True)
        try:
            self.then.take()
        except QuestionRefused:
            counters.decr(key)  # the plan said no: this question was not asked
            raise


def asker_for(*, platform: Platform, place: Place, user_id: str) -> Asker:
    """The asker of a question by platform user ``user_id`` in ``place``."""
    ref = platform.asker_ref(place=place, user_id=user_id)
    linked = platform_user_account(platform=platform.name, external_user_id=user_id)
    if linked is not None:
        return Asker.paid_by(platform.asker_kind, ref, payer=linked, user=linked)
    payer = place.account or place.bot.owner
    if payer is None:
        # Nobody's plan pays here (a Telegram chat with the shared bot): the platform's allowance
        # for anonymous askers, if it has one.
        pool = platform.anonymous_pool(place=place, user_id=user_id)
        if pool is None:
            raise QuestionRefused("This bot isn't linked to a Yoppy creator here yet.")
        return Asker(kind=platform.asker_kind, ref=ref, pool=pool, user=None)
    pool = MemberDailyCap(
        place_id=place.pk, member=str(user_id), cap=place.member_daily_cap,
        then=PlanPool(user=payer, refusal=PAID_BY_OWNER_USED_UP, upgrade=False),
    )  # fmt: skip
    return Asker(kind=platform.asker_kind, ref=ref, pool=pool, user=None)
