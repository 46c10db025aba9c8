"""Reads for chat: who may chat with which channel, and whose conversation is whose.

Every lookup returns 404 to anyone who may not see the object — a private channel is
indistinguishable from one that does not exist, by id, by slug, in every endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from channels_app.models import Channel
from chat.models import Conversation, Message


def channel_get_for_chat(*, user, pk: int | None = None, slug: str | None = None) -> Channel:
    channels = Channel.objects.visible_to(user).select_related("owner")
    channel = channels.filter(pk=pk).first() if pk is not None else channels.filter(slug=slug).first()
    if channel is None or (slug is not None and not channel.is_public):
        # /c/<slug> is the public page: even the owner's private channel is not served there.
        raise Http404("No such channel.")
    return channel


def channel_get_public(*, slug: str) -> Channel:
    channel = Channel.objects.visible_to(None).filter(slug=slug).first()
    if channel is None:
        raise Http404("No such channel.")
    return channel


def conversation_list_for_viewer(*, user, session_key: str, channel: Channel) -> QuerySet[Conversation]:
    conversations = Conversation.objects.filter(channel=channel)
    if user is not None and user.is_authenticated:
        return conversations.filter(user=user)
    if not session_key:
        return conversations.none()
    return conversations.filter(user__isnull=True, session_key=session_key, expires_at__gt=timezone.now())


def conversation_get_for_viewer(*, user, session_key: str, pk: int) -> Conversation:
    query = Conversation.objects.select_related("channel", "channel__owner").filter(pk=pk)
    if user is not None and user.is_authenticated:
        query = query.filter(user=user)
    elif session_key:
        query = query.filter(user__isnull=True, session_key=session_key, expires_at__gt=timezone.now())
    else:
        query = query.none()
    conversation = query.first()
    if conversation is None:
        raise Http404("No such conversation.")
    # The channel may have been deleted or gone private since: then only its owner may go on.
    channel_get_for_chat(user=user, pk=conversation.channel_id)
    return conversation


def conversation_get_for_asker(*, asker, pk: int) -> Conversation:
    """The asker's conversation by id (a bot, the widget or the API resuming one), or 404; its
    channel must still be visible to the asker's account (public, or theirs)."""
    conversation = (
        Conversation.objects.select_related("channel", "channel__owner")
        .filter(pk=pk, asker_kind=asker.kind, asker_ref=asker.ref)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .first()
    )
    if conversation is None:
        raise Http404("No such conversation.")
    channel_get_for_chat(user=asker.user, pk=conversation.channel_id)
    return conversation


def conversation_latest_for_asker(*, asker, channel: Channel) -> Conversation | None:
    """The asker's most recent live conversation with ``channel`` (a Telegram chat or a Discord
    member goes on where they left off), or None."""
    return (
        Conversation.objects.filter(channel=channel, asker_kind=asker.kind, asker_ref=asker.ref)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("-updated_at", "-id")
        .first()
    )


def message_get_for_viewer(*, user, session_key: str, pk: int) -> Message:
    message = Message.objects.select_related("conversation").filter(pk=pk).first()
    if message is None:
        raise Http404("No such message.")
    conversation_get_for_viewer(user=user, session_key=session_key, pk=message.conversation_id)
    return message


def history_for(*, message: Message, exchanges: int) -> list[tuple[str, str]]:
    """The (question, answer) pairs before ``message``'s question, oldest first, at most ``exchanges``.

    A question answered more than once (regenerated) counts once, with its newest answer: the one
    the fan sees. A stopped answer counts with what it said.
    """
    said = (Message.Status.COMPLETE, Message.Status.STOPPED)
    answers = (
        message.conversation.messages.filter(
            role=Message.Role.ASSISTANT,
            status__in=said,
            created_at__lt=message.created_at,
            question__isnull=False,
        )
        .exclude(question_id=message.question_id)
        .select_related("question")
        .order_by("-created_at", "-id")
    )
    newest: dict[int, Message] = {}
    for answer in answers[: exchanges * 4 + 4]:
        newest.setdefault(answer.question_id, answer)
        if len(newest) >= exchanges:
            break
    ordered = sorted(newest.values(), key=lambda answer: (answer.question.created_at, answer.question_id))
    return [(answer.question.content, answer.content) for answer in ordered][-exchanges:]


@dataclass
class Exchange:
    """A question and its answers, oldest first; the last is the one shown (the others are a
    "previous answer" away)."""

    question: Message
    answers: list[Message] = field(default_factory=list)

    @property
    def answer(self) -> Message | None:
        return self.answers[-1] if self.answers else None


def conversation_exchanges(*, conversation: Conversation) -> list[Exchange]:
    """The conversation as the page shows it: each question with its answers, in asking order."""
    exchanges: dict[int, Exchange] = {}
    for message in conversation.messages.order_by("created_at", "id"):
        if message.role == Message.Role.USER:
            exchanges[message.pk] = Exchange(question=message)
        elif message.question_id in exchanges:
            exchanges[message.question_id].answers.append(message)
    return list(exchanges.values())


def exchange_get(*, conversation: Conversation, question_id: int) -> Exchange:
    question = conversation.messages.filter(pk=question_id, role=Message.Role.USER).first()
    if question is None:
        raise Http404("No such question.")
    return Exchange(question=question, answers=list(question.answers.order_by("created_at", "id")))


def conversation_list_for_user(*, user) -> QuerySet[Conversation]:
    """A signed-in fan's conversations across every channel they may still chat with, newest
    first, each with its channel and ``first_question`` (the text of its first question)."""
    first_question = (
        Message.objects.filter(conversation=OuterRef("pk"), role=Message.Role.USER)
        .order_by("created_at", "id")
        .values("content")[:1]
    )
    return (
        Conversation.objects.filter(user=user, channel__in=Channel.objects.visible_to(user))
        .select_related("channel")
        .annotate(first_question=Subquery(first_question))
        .order_by("-updated_at", "-id")
    )
