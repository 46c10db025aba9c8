"""A signed-in fan's "my chats": every conversation across channels, newest first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_app.models import Channel
from chat.models import AskerKind, Conversation, Message
from tests.channels_app.factories import ChannelFactory


def _conversation(user, channel, question: str, *, days_ago: int) -> Conversation:
    conversation = Conversation.objects.create(
        channel=channel, user=user, asker_kind=AskerKind.USER, asker_ref=str(user.pk), title="stale title"
    )
    Message.objects.create(conversation=conversation, role=Message.Role.USER, content=question)
    Message.objects.create(conversation=conversation, role=Message.Role.USER, content="a later question")
    Conversation.objects.filter(pk=conversation.pk).update(
        updated_at=timezone.now() - dt.timedelta(days=days_ago)
    )
    return conversation


@pytest.fixture
def channels(alice, bob):
    bakes = ChannelFactory(owner=alice, title="Mira Bakes", is_public=True, slug="mira-bakes")
    cooks = ChannelFactory(owner=alice, title="Cooking with Ana", is_public=True, slug="ana-cooks")
    own_private = ChannelFactory(owner=bob, title="Bob's drafts", is_public=False)
    return bakes, cooks, own_private


def test_it_lists_the_fans_conversations_across_channels_newest_first(client, bob, channels):
    bakes, cooks, own_private = channels
    old = _conversation(bob, bakes, "How do I feed a starter?", days_ago=3)
    new = _conversation(bob, cooks, "What knife do you use?", days_ago=0)
    mine = _conversation(bob, own_private, "Does my draft work?", days_ago=1)
    client.force_login(bob)

    page = client.get(reverse("chat:my_chats")).content.decode()

    assert (
        page.index("What knife do you use?")
        < page.index("Does my draft work?")
        < page.index("How do I feed a starter?")
    )
    assert "Cooking with Ana" in page and "Mira Bakes" in page and "a later question" not in page
    assert f'href="/c/ana-cooks/c/{new.pk}/"' in page
    assert f'href="/c/mira-bakes/c/{old.pk}/"' in page
    # Their own private channel is read on the dashboard's chat page.
    assert f'href="/chat/{own_private.pk}/c/{mine.pk}/"' in page
    assert old.updated_at.strftime("%Y") in page


def test_it_shows_no_one_elses_conversations_nor_those_of_channels_gone_private(
    client, bob, charlie, channels
):
    bakes, cooks, _ = channels
    _conversation(charlie, bakes, "Charlie's own question", days_ago=0)
    _conversation(bob, cooks, "Asked before it went private", days_ago=0)
    Channel.objects.filter(pk=cooks.pk).update(is_public=False)
    client.force_login(bob)

    page = client.get(reverse("chat:my_chats")).content.decode()

    assert "Charlie's own question" not in page and "Asked before it went private" not in page
    assert "You have no chats yet" in page


def test_the_link_opens_the_conversation(client, bob, channels):
    bakes, _, _ = channels
    conversation = _conversation(bob, bakes, "How do I feed a starter?", days_ago=0)
    client.force_login(bob)

    opened = client.get(f"/c/mira-bakes/c/{conversation.pk}/")

    assert opened.status_code == 200 and opened.context["conversation"] == conversation


def test_anonymous_visitors_are_sent_to_log_in_and_a_bad_page_number_is_no_error(client, bob):
    response = client.get(reverse("chat:my_chats"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(bob)
    assert client.get(reverse("chat:my_chats"), {"page": "abc"}).status_code == 200
    assert client.get(reverse("chat:my_chats"), {"page": "999"}).status_code == 200


def test_the_dashboard_and_top_bar_link_to_my_chats(client, bob):
    client.force_login(bob)
    page = client.get(reverse("dashboard")).content.decode()
    assert page.count(f'href="{reverse("chat:my_chats")}"') == 2
