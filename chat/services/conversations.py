"""Writes for chat: asking (quota first), regenerating, deleting conversations."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.services import quota_consume, quota_release
from channels_app.models import Channel
from chat.models import Conversation, Message

MAX_QUESTION_CHARS = 2000


class QuestionRefused(Exception):
    """The question cannot be asked now; the message says why and what to do."""

    def __init__(self, message: str, *, upgrade: bool = False, sign_up: bool = False):
        super().__init__(message)
        self.upgrade = upgrade
        self.sign_up = sign_up


@dataclass(frozen=True)
class Asker:
    """Who asks: a signed-in user, or an anonymous session from an IP address."""

    user: object | None
    session_key: str
    ip: str

    @property
    def is_anonymous(self) -> bool:
        return self.user is None or not self.user.is_authenticated


@functools.cache
def _redis(url: str) -> redis.Redis:
    """One client, with its connection pool, per process and URL. (django_rq.get_connection builds
    a new client on every call: one TCP connection per question, ~5 ms each in a burst of fans.)"""
    return redis.Redis.from_url(url)


def _anonymous_session_key(*, day: dt.date, session_key: str) -> str:
    return f"yoppy:anon-questions:{day.strftime('%Y%m%d')}:session:{session_key}"


def _anonymous_quota_take(*, asker: Asker) -> None:
    """Count one anonymous question per session and per IP for today, in Redis, or refuse.

    INCR is atomic; on going over either limit both counters are given back, so a refused
    question costs nothing.
    """
    counters = _redis(settings.REDIS_URL)
    now = timezone.now()
    keys = [
        (_anonymous_session_key(day=now.date(), session_key=asker.session_key), settings.ANON_QUESTIONS_PER_SESSION),
        (f"yoppy:anon-questions:{now.strftime('%Y%m%d')}:ip:{asker.ip}", settings.ANON_QUESTIONS_PER_IP),
    ]
    pipe = counters.pipeline()
    for key, _ in keys:
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)
    counts = pipe.execute()[::2]
    if any(count > limit for count, (_, limit) in zip(counts, keys, strict=True)):
        pipe = counters.pipeline()
        for key, _ in keys:
            pipe.decr(key)
        pipe.execute()
        raise QuestionRefused(
            "You've used today's free questions. Sign up free to keep chatting.", sign_up=True
        )


def _quota_take(*, asker: Asker) -> None:
    """One question is one query, taken before any model runs (the original counted after)."""
    if asker.is_anonymous:
        _anonymous_quota_take(asker=asker)
        return
    decision = quota_consume(user=asker.user)
    if not decision.allowed:
        raise QuestionRefused(
            f"You've used all {decision.limit} questions of your plan this month. Upgrade for more.",
            upgrade=True,
        )


def _clean_question(text: str) -> str:
    question = " ".join((text or "").split())
    if not question:
        raise QuestionRefused("Type a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionRefused(f"Please keep questions under {MAX_QUESTION_CHARS} characters.")
    return question


@transaction.atomic
def question_ask(*, asker: Asker, channel: Channel, text: str, conversation: Conversation | None = None) -> Message:
    """Record a fan's question and a pending answer to stream; returns the pending answer.

    Preconditions: ``channel`` and ``conversation`` were fetched through chat.selectors for this
    asker (access checked). Raises QuestionRefused (nothing stored, nothing consumed) when the
    question is empty, too long, or over quota.
    """
    question = _clean_question(text)
    if channel.status not in {Channel.Status.READY, Channel.Status.READY_WITH_ERRORS} and not channel.chunks_count:
        raise QuestionRefused("This channel is still being processed. Try again in a few minutes.")
    _quota_take(asker=asker)
    if conversation is None:
        conversation = Conversation.objects.create(
            channel=channel,
            user=None if asker.is_anonymous else asker.user,
            session_key=asker.session_key if asker.is_anonymous else "",
            title=question[:200],
            expires_at=timezone.now() + dt.timedelta(seconds=settings.ANON_CONVERSATION_TTL_S)
            if asker.is_anonymous
            else None,
        )
    asked = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
    answer = Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.PENDING, question=asked
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    return answer


@transaction.atomic
def answer_regenerate(*, asker: Asker, conversation: Conversation) -> Message:
    """Answer the last question again; it counts as a question (quota first)."""
    last = conversation.messages.filter(role=Message.Role.ASSISTANT).order_by("-created_at", "-id").first()
    if last is None or last.question_id is None:
        raise QuestionRefused("There is no answer to regenerate yet.")
    _quota_take(asker=asker)
    question = last.question
    last.delete()
    return Message.objects.create(
        conversation=conversation, role=Message.Role.ASSISTANT, status=Message.Status.PENDING, question=question
    )


def conversation_delete(*, conversation: Conversation) -> None:
    conversation.delete()


def message_claim_for_streaming(*, message: Message) -> bool:
    """Only one stream per pending answer (a reload must not run the model twice)."""
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(status=Message.Status.STREAMING)
    )


def _quota_give_back(*, message: Message) -> None:
    """Return the question of an answer that never came to whoever it was taken from.

    A signed-in fan's monthly count goes down; an anonymous fan gets the session's daily
    question back (the per-IP count stays: the message does not keep the fan's address).
    """
    conversation = message.conversation
    if conversation.user_id:
        quota_release(user=conversation.user, taken_at=message.created_at)
        return
    key = _anonymous_session_key(day=message.created_at.astimezone(dt.UTC).date(), session_key=conversation.session_key)
    counters = _redis(settings.REDIS_URL)
    if int(counters.get(key) or 0) > 0:
        counters.decr(key)


ANSWER_LOST_TEXT = "This answer was interrupted. Your question was not counted; please ask again."


def answer_fail(*, message_id: int) -> bool:
    """End an answer whose stream broke (database gone, web process died) as failed, and give
    its question back. Only a "streaming" answer is ended, once; returns True when this call did.
    """
    with transaction.atomic():
        ended = Message.objects.filter(pk=message_id, status=Message.Status.STREAMING).update(
            status=Message.Status.ERROR, content=ANSWER_LOST_TEXT
        )
        if not ended:
            return False
        message = Message.objects.select_related("conversation__user").get(pk=message_id)
    # After the commit: a refund for an answer whose failure was rolled back would be a gift.
    _quota_give_back(message=message)
    return True


def answers_fail_stale() -> int:
    """End every answer "streaming" for longer than CHAT_STREAM_STALE_AFTER_S; returns how many."""
    stale_before = timezone.now() - dt.timedelta(seconds=settings.CHAT_STREAM_STALE_AFTER_S)
    stale = Message.objects.filter(status=Message.Status.STREAMING, created_at__lt=stale_before).values_list(
        "pk", flat=True
    )
    return sum(answer_fail(message_id=message_id) for message_id in list(stale))


def conversations_delete_expired() -> int:
    """Delete anonymous conversations past their expiry, with their messages; returns how many."""
    deleted, per_model = Conversation.objects.filter(user__isnull=True, expires_at__lte=timezone.now()).delete()
    return per_model.get("chat.Conversation", 0)
