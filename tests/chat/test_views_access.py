"""Who can chat where: private channels are 404 to everyone but their owner, by id, by slug, in
every endpoint; public channels are open to all (STYLE.md: alice owns, bob and charlie do not)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from channels_app.models import Channel
from chat.models import Conversation, Message
from tests.channels_app.factories import ChannelFactory


@pytest.fixture
def private_channel(alice):
    return ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=False, slug="alice-private", chunks_count=3)


@pytest.fixture
def alice_conversation(alice, private_channel):
    conversation = Conversation.objects.create(channel=private_channel, user=alice, asker_kind="user", asker_ref=str(alice.pk), title="Mine")
    question = Message.objects.create(conversation=conversation, role="user", content="Secret question")
    Message.objects.create(conversation=conversation, role="assistant", content="Secret answer", question=question)
    return conversation


def _endpoints(channel, conversation, answer):
    return [
        ("get", reverse("chat:channel", args=[channel.pk])),
        ("post", reverse("chat:ask", args=[channel.pk])),
        ("get", reverse("chat:public", args=[channel.slug])),
        ("get", reverse("chat:channel", args=[channel.pk]) + f"?conversation={conversation.pk}"),
        ("post", reverse("chat:regenerate", args=[conversation.pk])),
        ("post", reverse("chat:delete", args=[conversation.pk])),
        ("get", reverse("chat:stream", args=[answer.pk])),
    ]


@pytest.mark.parametrize("who", ["bob", "charlie", "anonymous"])
def test_a_private_channel_and_its_conversations_are_404_to_everyone_else(client, request, who, private_channel, alice_conversation):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    answer = alice_conversation.messages.get(role="assistant")
    for method, url in _endpoints(private_channel, alice_conversation, answer):
        response = getattr(client, method)(url, {"question": "hi"} if method == "post" else None)
        assert response.status_code == 404, (method, url, response.status_code)
    assert Conversation.objects.filter(pk=alice_conversation.pk).exists()
    assert not Message.objects.exclude(conversation=alice_conversation).exists()


def test_the_owner_chats_with_a_private_channel_on_the_dashboard_but_it_has_no_public_page(client, alice, private_channel):
    client.force_login(alice)
    assert client.get(reverse("chat:channel", args=[private_channel.pk])).status_code == 200
    assert client.get(reverse("chat:public", args=[private_channel.slug])).status_code == 404


def test_a_public_channel_is_open_to_anyone(client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="mira", chunks_count=3, summary="Baking.")
    page = client.get(reverse("chat:public", args=["mira"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f"AI persona of {channel.display_name}" in html
    assert 'property="og:title"' in html and "application/ld+json" in html and "<title>Chat with the AI persona of" in html


def test_bob_cannot_read_or_stream_alices_conversation_on_a_public_channel(client, alice, bob):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="pub", chunks_count=3)
    conversation = Conversation.objects.create(channel=channel, user=alice, asker_kind="user", asker_ref=str(alice.pk), title="Alice's")
    question = Message.objects.create(conversation=conversation, role="user", content="q")
    answer = Message.objects.create(conversation=conversation, role="assistant", status="pending", question=question)
    client.force_login(bob)
    assert client.get(reverse("chat:public", args=["pub"]) + f"?conversation={conversation.pk}").status_code == 404
    assert client.get(reverse("chat:stream", args=[answer.pk])).status_code == 404
    assert Message.objects.get(pk=answer.pk).status == "pending"


def test_another_sessions_anonymous_conversation_is_404(client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="pub", chunks_count=3)
    from django.utils import timezone

    conversation = Conversation.objects.create(
        channel=channel, session_key="someone-else", asker_kind="web_session", asker_ref="someone-else", title="x", expires_at=timezone.now() + timezone.timedelta(hours=1)
    )
    assert client.get(reverse("chat:public", args=["pub"]) + f"?conversation={conversation.pk}").status_code == 404
