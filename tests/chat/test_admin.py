"""Operators see whose conversation is whose: the asker kind and identity."""

from __future__ import annotations

from django.urls import reverse

from chat.models import AskerKind, Conversation
from tests.channels_app.factories import ChannelFactory


def test_it_lets_staff_filter_conversations_by_asker_kind(client, staff, alice):
    channel = ChannelFactory(owner=alice, is_public=True)
    Conversation.objects.create(channel=channel, asker_kind=AskerKind.TELEGRAM_CHAT, asker_ref="chat-42", title="From Telegram")
    Conversation.objects.create(channel=channel, asker_kind=AskerKind.USER, asker_ref=str(alice.pk), user=alice, title="From the web")
    client.force_login(staff)

    page = client.get(reverse("admin:chat_conversation_changelist"), {"asker_kind__exact": "telegram_chat"})

    assert page.status_code == 200
    assert b"From Telegram" in page.content and b"From the web" not in page.content
    found = client.get(reverse("admin:chat_conversation_changelist"), {"q": "chat-42"})
    assert b"From Telegram" in found.content
