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
    return ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="mira", chunks_count=10)


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
