"""Writes for chat: asking (the asker's quota first), regenerating, deleting conversations.

``question_ask`` is the claim/quota step of the answer core (chat.services.asking); the web page
calls it on its own (POST, then the stream), every other surface through ``answer_stream``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_app.models import Channel
from chat.models import Conversation, Message
from chat.services.askers import Asker, QuestionRefused, give_back

__all__ = [
    "Asker",
    "QuestionRefused",
    "answer_regenerate",
    "answer_stop",
    "conversation_delete",
    "conversations_delete_expired",
    "message_claim_for_streaming",
    "question_ask",
]

MAX_QUESTION_CHARS = 2000


def _clean_question(text: str) -> str:
    question = " ".join((text or "").split())
    if not question:
        raise QuestionRefused("Type a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionRefused(f"Please keep questions under {MAX_QUESTION_CHARS} characters.")
    return question


def _not_ready_refusal(*, asker: Asker, channel: Channel) -> QuestionRefused:
    """Why a channel without passages cannot answer: still processing, or failed (then the owner
    is shown where to fix it; "still being processed" about a failed channel was a dead end)."""
    if channel.status != Channel.Status.FAILED:
        return QuestionRefused("This channel is still being processed. Try again in a few minutes.")
    if asker.user is not None and asker.user.pk == channel.owner_id:
        return QuestionRefused(
            "This channel's videos could not be processed, so there is nothing to answer from yet. "
            "Its page says what happened: retry it, or upload the captions instead.",
            fix_url=channel.get_absolute_url(),
        )
    return QuestionRefused("This channel's videos could not be processed, so it cannot answer questions yet.")


@transaction.atomic
def question_ask(*, asker: Asker, channel: Channel, text: str, conversation: Conversation | None = None) -> Message:
    """Record a fan's question and a pending answer to stream; returns the pending answer.

    Preconditions: ``channel`` and ``conversation`` were fetched through chat.selectors for this
    asker (access checked; the conversation is the asker's). Raises QuestionRefused (nothing
    stored, nothing consumed) when the question is empty, too long, or over the asker's quota.
    """
    question = _clean_question(text)
    if channel.status not in {Channel.Status.READY, Channel.Status.READY_WITH_ERRORS} and not channel.chunks_count:
        raise _not_ready_refusal(asker=asker, channel=channel)
    if conversation is not None and (conversation.asker_kind, conversation.asker_ref) != (asker.kind, asker.ref):
        raise ValueError("the conversation belongs to another asker")  # a caller skipped the selector
    asker.quota_take()
    if conversation is None:
        conversation = Conversation.objects.create(
            channel=channel,
            asker_kind=asker.kind,
            asker_ref=asker.ref,
            # The web pages list conversations by user or by session.
            user=asker.user if asker.is_web_user else None,
            session_key=asker.ref if asker.is_web_session else "",
            title=question[:200],
            expires_at=timezone.now() + dt.timedelta(seconds=settings.ANON_CONVERSATION_TTL_S)
            if asker.is_web_session
            else None,
        )
    asked = Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
    answer = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        question=asked,
        charged_to=asker.pool.receipt,
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    return answer


@transaction.atomic
def answer_regenerate(*, asker: Asker, conversation: Conversation) -> Message:
    """Answer the conversation's last question again; returns the new pending answer.

    It counts as a question (quota first, QuestionRefused when used up). The earlier answers stay:
    the page offers them as "answer 1 of 2", and the newest answer is the one the conversation
    goes on from (chat.selectors.history_for). Refused while the last answer is still being
    written, so one question never streams twice at once.
    """
    last = conversation.messages.filter(role=Message.Role.ASSISTANT).order_by("-created_at", "-id").first()
    if last is None or last.question_id is None:
        raise QuestionRefused("There is no answer to regenerate yet.")
    if last.status in {Message.Status.PENDING, Message.Status.STREAMING}:
        raise QuestionRefused("The answer is still being written; stop it or wait for it before regenerating.")
    asker.quota_take()
    answer = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        status=Message.Status.PENDING,
        question_id=last.question_id,
        charged_to=asker.pool.receipt,
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
    return answer


def conversation_delete(*, conversation: Conversation) -> None:
    conversation.delete()


def message_claim_for_streaming(*, message: Message) -> bool:
    """Only one stream per pending answer (a reload must not run the model twice)."""
    return bool(
        Message.objects.filter(pk=message.pk, status=Message.Status.PENDING).update(status=Message.Status.STREAMING)
    )


def _quota_give_back(*, message: Message) -> None:
    """Return the question of an answer that never came to the pool that paid for it (a
    signed-in fan's plan, an anonymous session's day, the plan or community paying for a bot,
    widget or Whop asker): the receipt stored when it was taken says which."""
    give_back(receipt=message.charged_to, taken_at=message.created_at)


def answer_stop(*, message_id: int, content: str, citations: list[dict]) -> bool:
    """End a streaming answer whose reader went away (the fan's Stop button, a closed tab): keep
    what was said, marked as stopped. The question stays counted (it was answered, in part).
    Returns True when this call ended it."""
    return bool(
        Message.objects.filter(pk=message_id, status=Message.Status.STREAMING).update(
            status=Message.Status.STOPPED, content=content, citations=citations
        )
    )


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
