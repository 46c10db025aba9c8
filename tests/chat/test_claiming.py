"""A fan who signs up or logs in from a chat comes back to it, the anonymous conversation kept
(issue 12, "Fans who arrive become users")."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from channels_app.models import Channel
from chat.models import AskerKind, Conversation
from chat.services.claiming import conversations_claim_for_user
from tests.channels_app.factories import ChannelFactory
from tests.users.factories import PASSWORD
from yoppy.users.models import User

NEW_PASSWORD = "a long enough passphrase 7"


@pytest.fixture
def public_channel(alice):
    return ChannelFactory(
        owner=alice, status=Channel.Status.READY, is_public=True, slug="mira", chunks_count=10
    )


def _ask(client, channel, question: str, conversation: Conversation | None = None):
    data = {"question": question, "conversation": conversation.pk if conversation else ""}
    return client.post(reverse("chat:ask", args=[channel.pk]), data, HTTP_HX_REQUEST="true")


def _anonymous_conversation_until_the_limit(client, channel, settings) -> tuple[Conversation, str]:
    """Asks once anonymously, then once more over the free limit; returns the conversation and
    the refusal's sign-up link."""
    settings.ANON_QUESTIONS_PER_SESSION = 1
    assert _ask(client, channel, "How do I feed a starter?").status_code == 200
    conversation = Conversation.objects.get()
    refused = _ask(client, channel, "And how often?", conversation)
    assert refused.status_code == 429
    link = re.search(r'href="(/accounts/signup/\?next=[^"]+)"', refused.content.decode()).group(1)
    return conversation, link


def test_the_free_limits_sign_up_link_comes_back_to_the_same_conversation(client, public_channel, settings):
    conversation, link = _anonymous_conversation_until_the_limit(client, public_channel, settings)
    assert unquote(link.split("next=", 1)[1]) == f"/c/mira/c/{conversation.pk}/"

    response = client.post(
        link, {"email": "newfan@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response.status_code == 302 and response["Location"] == f"/c/mira/c/{conversation.pk}/"
    conversation.refresh_from_db()
    fan = User.objects.get(email="newfan@example.com")
    assert (conversation.asker_kind, conversation.asker_ref, conversation.user) == (
        AskerKind.USER,
        str(fan.pk),
        fan,
    )
    assert conversation.session_key == "" and conversation.expires_at is None
    page = client.get(response["Location"])
    assert page.status_code == 200 and "How do I feed a starter?" in page.content.decode()
    # Now theirs, it goes on with their plan's questions.
    assert _ask(client, public_channel, "And how often?", conversation).status_code == 200
    assert conversation.messages.filter(role="user").count() == 2


def test_logging_in_from_the_chat_keeps_the_conversation_though_the_session_key_changes(
    client, public_channel, bob, settings
):
    conversation, _ = _anonymous_conversation_until_the_limit(client, public_channel, settings)
    anonymous_key = client.session.session_key
    next_url = f"/c/mira/c/{conversation.pk}/"

    response = client.post(
        f"{reverse('account_login')}?next={next_url}", {"login": "bob@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302 and response["Location"] == next_url
    assert client.session.session_key != anonymous_key  # Django rotated it at log-in
    conversation.refresh_from_db()
    assert conversation.user == bob and conversation.asker_kind == AskerKind.USER
    assert "chat_anonymous_session_key" not in client.session


def test_with_mandatory_verification_the_conversation_is_the_new_accounts_before_the_link_is_clicked(
    client, public_channel, settings
):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    conversation, link = _anonymous_conversation_until_the_limit(client, public_channel, settings)
    client.post(link, {"email": "careful@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert len(mail.outbox) == 1
    conversation.refresh_from_db()
    assert conversation.user == User.objects.get(email="careful@example.com")


def test_a_next_pointing_to_another_site_is_ignored(client, db):
    response = client.post(
        f"{reverse('account_signup')}?next=https://evil.example/steal",
        {"email": "newfan@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_only_the_sessions_own_live_conversations_move(public_channel, bob, charlie):
    def anonymous(key: str, *, expired: bool = False) -> Conversation:
        expires = timezone.now() + dt.timedelta(hours=-1 if expired else 1)
        return Conversation.objects.create(
            channel=public_channel,
            asker_kind=AskerKind.WEB_SESSION,
            asker_ref=key,
            session_key=key,
            expires_at=expires,
        )

    mine, expired, someone_elses = (
        anonymous("sess-bob"),
        anonymous("sess-bob", expired=True),
        anonymous("sess-other"),
    )
    discord = Conversation.objects.create(
        channel=public_channel, asker_kind=AskerKind.DISCORD_MEMBER, asker_ref="sess-bob"
    )
    charlies = Conversation.objects.create(
        channel=public_channel, asker_kind=AskerKind.USER, asker_ref=str(charlie.pk), user=charlie
    )

    assert conversations_claim_for_user(session_key="sess-bob", user=bob) == 1
    assert conversations_claim_for_user(session_key="", user=bob) == 0

    owners = {c.pk: c.user_id for c in Conversation.objects.all()}
    assert owners == {
        mine.pk: bob.pk,
        expired.pk: None,
        someone_elses.pk: None,
        discord.pk: None,
        charlies.pk: charlie.pk,
    }


def test_the_chat_pages_log_in_and_sign_up_links_come_back_to_the_page(client, public_channel):
    response = client.get("/c/mira/?utm_source=share&x=1")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="/accounts/signup/?next=%2Fc%2Fmira%2F%3Futm_source%3Dshare%26x%3D1"' in page
    assert 'href="/accounts/login/?next=%2Fc%2Fmira%2F%3Futm_source%3Dshare%26x%3D1"' in page
    assert 'href="/accounts/signup/"' in client.get("/").content.decode()
