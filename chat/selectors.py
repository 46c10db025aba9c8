"""Reads for chat: who may chat with which channel, and whose conversation is whose.

Every lookup returns 404 to anyone who may not see the object — a private channel is
indistinguishable from one that does not exist, by id, by slug, in every endpoint.
"""

from __future__ import annotations

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
    """The (question, answer) pairs before ``message``'s question, oldest first, at most ``exchanges``."""
    earlier = list(
        message.conversation.messages.filter(status=Message.Status.COMPLETE, created_at__lt=message.created_at)
        .exclude(pk=message.question_id)
        .order_by("-created_at", "-id")[: exchanges * 2 + 2]
    )
    earlier.reverse()
    pairs: list[tuple[str, str]] = []
    pending_question: str | None = None
    for item in earlier:
        if item.role == Message.Role.USER:
            pending_question = item.content
        elif pending_question is not None:
            pairs.append((pending_question, item.content))
            pending_question = None
    return pairs[-exchanges:]


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
