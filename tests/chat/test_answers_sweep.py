"""Answers left "streaming" by a lost stream end as failed, with the question given back
(issue 10, item 9)."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from billing.models import Usage
from channels_app.models import Channel
from chat import tasks
from chat.models import Message
from chat.services import conversations as services
from tests.channels_app.factories import ChannelFactory


@pytest.fixture
def ready_channel(alice):
    return ChannelFactory(
        owner=alice, status=Channel.Status.READY, is_public=True, slug="mira", chunks_count=10
    )


def _streaming_since(answer: Message, *, seconds: float) -> None:
    Message.objects.filter(pk=answer.pk).update(
        status=Message.Status.STREAMING, created_at=timezone.now() - dt.timedelta(seconds=seconds)
    )


def test_a_stale_streaming_answer_is_failed_and_its_question_given_back(bob, ready_channel, settings):
    settings.CHAT_STREAM_STALE_AFTER_S = 60
    asker = services.Asker.signed_in(bob, ip="203.0.113.5")
    lost = services.question_ask(asker=asker, channel=ready_channel, text="How do I feed a starter?")
    live = services.question_ask(asker=asker, channel=ready_channel, text="And the flour?")
    _streaming_since(lost, seconds=120)
    _streaming_since(live, seconds=5)
    assert Usage.objects.get(user=bob).queries_used == 2

    tasks.answers_sweep()

    lost.refresh_from_db()
    live.refresh_from_db()
    assert lost.status == Message.Status.ERROR and lost.content == services.ANSWER_LOST_TEXT
    assert live.status == Message.Status.STREAMING
    assert Usage.objects.get(user=bob).queries_used == 1


def test_an_anonymous_fan_gets_the_sessions_question_back(ready_channel, settings):
    settings.CHAT_STREAM_STALE_AFTER_S = 60
    settings.ANON_QUESTIONS_PER_SESSION = 1
    asker = services.Asker.web_session("sess-1", ip="203.0.113.5")
    lost = services.question_ask(asker=asker, channel=ready_channel, text="How do I feed a starter?")
    with pytest.raises(services.QuestionRefused):
        services.question_ask(asker=asker, channel=ready_channel, text="Again?")
    _streaming_since(lost, seconds=120)

    assert services.answers_fail_stale() == 1

    again = services.question_ask(asker=asker, channel=ready_channel, text="Again?")
    assert again.status == Message.Status.PENDING


def test_an_answer_is_ended_and_refunded_once(bob, ready_channel):
    asker = services.Asker.signed_in(bob, ip="203.0.113.5")
    Usage.objects.filter(user=bob).delete()
    answer = services.question_ask(asker=asker, channel=ready_channel, text="How do I feed a starter?")
    _streaming_since(answer, seconds=1)
    assert services.answer_fail(message_id=answer.pk) is True
    assert services.answer_fail(message_id=answer.pk) is False
    assert Usage.objects.get(user=bob).queries_used == 0


def test_the_anonymous_refund_never_makes_a_counter_negative(ready_channel):
    asker = services.Asker.web_session("sess-9", ip="203.0.113.5")
    answer = services.question_ask(asker=asker, channel=ready_channel, text="Hi")
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # the day's counters expired meanwhile
    _streaming_since(answer, seconds=1)
    assert services.answer_fail(message_id=answer.pk)
    key = f"yoppy:anon-questions:{answer.created_at.strftime('%Y%m%d')}:session:sess-9"
    assert redis.Redis.from_url(settings.REDIS_URL).get(key) is None


def test_a_widget_visitors_failed_answer_goes_back_to_the_plan_that_paid(alice, ready_channel):
    from chat.models import AskerKind

    Usage.objects.filter(user=alice).delete()
    asker = services.Asker.paid_by(AskerKind.WIDGET_VISITOR, "widget-3:visitor-8", payer=alice)
    answer = services.question_ask(asker=asker, channel=ready_channel, text="How do I feed a starter?")
    assert answer.charged_to == f"plan:{alice.pk}"
    assert Usage.objects.get(user=alice).queries_used == 1
    _streaming_since(answer, seconds=1)

    assert services.answer_fail(message_id=answer.pk)

    assert Usage.objects.get(user=alice).queries_used == 0


def test_a_pool_of_another_app_gets_its_question_back_through_its_registered_prefix(
    bob, ready_channel, monkeypatch
):
    from chat.services import askers

    monkeypatch.setattr(askers, "_GIVE_BACKS", dict(askers._GIVE_BACKS))  # this test's prefix stays here
    given_back = []
    askers.give_back_register("test-pool", lambda *, ref, taken_at: given_back.append((ref, taken_at)))

    class CountedPool:
        receipt = "test-pool:17"

        def take(self):
            pass

    asker = services.Asker(kind="whop_member", ref="whop-user-1", pool=CountedPool())
    answer = services.question_ask(asker=asker, channel=ready_channel, text="How do I feed a starter?")
    _streaming_since(answer, seconds=1)

    assert services.answer_fail(message_id=answer.pk)

    assert given_back == [("17", Message.objects.get(pk=answer.pk).created_at)]


def test_a_receipt_no_app_knows_gives_nothing_back_and_says_so(caplog):
    from chat.services import askers

    assert askers.give_back(receipt="retired-pool:4", taken_at=timezone.now()) is False
    assert askers.give_back(receipt="", taken_at=timezone.now()) is False
    assert "retired-pool:4" in caplog.text
