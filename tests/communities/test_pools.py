"""The community pool: 100 questions per active member per month, taken atomically."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from freezegun import freeze_time

from chat.services.askers import QuestionRefused, give_back
from communities.models import Community
from communities.pools import CommunityPool, PoolEmpty


@pytest.mark.django_db(transaction=True)
def test_two_members_cannot_take_the_last_question_twice(settings):
    settings.WHOP_QUESTIONS_PER_MEMBER = 5
    community = Community.objects.create(company_id="biz_race", installed=True, active_members=2)  # 10 questions
    pool = CommunityPool(community_id=community.pk)
    taken, refused = [], []
    barrier = threading.Barrier(16)

    def member() -> None:
        try:
            barrier.wait()
            pool.take()
            taken.append(1)
        except QuestionRefused:
            refused.append(1)
        finally:
            connection.close()

    threads = [threading.Thread(target=member) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    community.refresh_from_db()
    assert (len(taken), len(refused), community.pool_used) == (10, 6, 10)


@pytest.mark.django_db
def test_a_refusal_says_when_the_pool_refills_and_takes_nothing(settings):
    settings.WHOP_QUESTIONS_PER_MEMBER = 1
    community = Community.objects.create(company_id="biz_full", installed=True, active_members=1)
    pool = CommunityPool(community_id=community.pk)
    with freeze_time("2026-12-14T10:00:00Z"):
        pool.take()
        with pytest.raises(PoolEmpty) as refused:
            pool.take()
    assert "refills on 1 January" in str(refused.value) and "every active member" in str(refused.value)
    community.refresh_from_db()
    assert community.pool_used == 1


@pytest.mark.django_db
def test_the_pool_starts_again_each_month(settings):
    settings.WHOP_QUESTIONS_PER_MEMBER = 1
    community = Community.objects.create(company_id="biz_month", installed=True, active_members=1)
    pool = CommunityPool(community_id=community.pk)
    with freeze_time("2026-11-30T23:59:00Z"):
        pool.take()
    with freeze_time("2026-12-01T00:01:00Z"):
        pool.take()
    community.refresh_from_db()
    assert (community.pool_period, community.pool_used) == (dt.date(2026, 12, 1), 1)


@pytest.mark.django_db
def test_a_member_leaving_mid_month_does_not_take_back_what_was_used(settings):
    settings.WHOP_QUESTIONS_PER_MEMBER = 2
    community = Community.objects.create(company_id="biz_leave", installed=True, active_members=2)
    pool = CommunityPool(community_id=community.pk)
    for _ in range(3):
        pool.take()
    Community.objects.filter(pk=community.pk).update(active_members=1)  # limit 2, 3 used
    with pytest.raises(PoolEmpty):
        pool.take()
    community.refresh_from_db()
    assert community.pool_used == 3


@pytest.mark.django_db
def test_a_switched_off_community_has_no_pool():
    community = Community.objects.create(company_id="biz_off", installed=False, active_members=5)
    with pytest.raises(QuestionRefused, match="switched off"):
        CommunityPool(community_id=community.pk).take()


@pytest.mark.django_db
def test_a_failed_answer_gives_its_question_back_to_the_pool_of_its_month():
    community = Community.objects.create(company_id="biz_back", installed=True, active_members=1)
    pool = CommunityPool(community_id=community.pk)
    with freeze_time("2026-11-10T10:00:00Z"):
        pool.take()
        pool.take()
    assert give_back(receipt=pool.receipt, taken_at=dt.datetime(2026, 11, 10, 10, tzinfo=dt.UTC)) is True
    community.refresh_from_db()
    assert community.pool_used == 1
    # A question of a month gone by has nothing to return to.
    give_back(receipt=pool.receipt, taken_at=dt.datetime(2026, 10, 10, tzinfo=dt.UTC))
    community.refresh_from_db()
    assert community.pool_used == 1


@pytest.mark.django_db
def test_an_answer_that_failed_returns_the_members_question_to_the_community(alice):
    from chat.models import AskerKind, Message
    from chat.services.askers import Asker
    from chat.services.conversations import answer_fail, message_claim_for_streaming, question_ask
    from tests.channels_app.factories import ChannelFactory

    community = Community.objects.create(company_id="biz_fail", installed=True, active_members=1)
    asker = Asker(kind=AskerKind.WHOP_MEMBER, ref=f"{community.pk}:user_a", pool=CommunityPool(community_id=community.pk))
    answer = question_ask(asker=asker, channel=ChannelFactory(owner=alice), text="What is a levain?")
    assert Message.objects.get(pk=answer.pk).charged_to == f"whop:{community.pk}"
    community.refresh_from_db()
    assert community.pool_used == 1

    assert message_claim_for_streaming(message=answer) and answer_fail(message_id=answer.pk)

    community.refresh_from_db()
    assert community.pool_used == 0


def test_time_can_be_frozen_once_whop_sdk_is_loaded():
    """freezegun skips whop_sdk (tests/conftest.py): its lazy attributes would build pydantic
    models under a fake datetime and fail every freeze_time after the Whop app loaded."""
    import whop_sdk  # noqa: F401

    with freeze_time("2026-12-01T00:00:00Z"):
        assert dt.datetime.now(dt.UTC).date() == dt.date(2026, 12, 1)
