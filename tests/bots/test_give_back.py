"""A bot answer that never came gives its question back to whoever paid for it."""

from __future__ import annotations

import redis
from django.conf import settings
from django.utils import timezone

from bots.platforms.telegram import TelegramAllowance
from bots.services.askers import MemberDailyCap
from chat.services.askers import PlanPool, give_back


def test_a_members_question_on_the_owners_plan_goes_back_to_that_plan(alice):
    pool = MemberDailyCap(place_id=7, member="u-1", cap=5, then=PlanPool(user=alice))

    assert pool.receipt == f"plan:{alice.pk}"


def test_a_shared_bot_users_free_question_is_given_back_once_and_never_below_zero(db):
    counters = redis.Redis.from_url(settings.REDIS_URL)
    pool = TelegramAllowance(user_id="4242")
    pool.take()
    key = f"yoppy:bots:telegram-free:{timezone.now():%Y%m%d}:4242"
    assert int(counters.get(key)) == 1

    assert give_back(receipt=pool.receipt, taken_at=timezone.now()) is True
    assert int(counters.get(key)) == 0
    give_back(receipt=pool.receipt, taken_at=timezone.now())
    assert int(counters.get(key)) == 0
