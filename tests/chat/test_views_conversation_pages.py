# ruff: noqa: F811 - the fixtures imported from test_views_chat are redefined as arguments by design
"""A chat that behaves like a chat (issue 12): a conversation has its own URL that a reload or a
shared link opens for its asker only, regenerated answers stay reachable, stopping an answer keeps
what was said, refusals are chat messages (never a status the DEBUG htmx handler eats), deleting
asks first, and the suggested questions read naturally."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from channels_app.models import Channel
from chat import views
from chat.models import Conversation, Message
from chat.services import conversations as services
from tests.channels_app.factories import ChannelFactory
from tests.chat.test_views_chat import HTMX, ask, bakery, llm  # noqa: F401  (fixtures)
from tests.threads import run_async


def _conversation(channel, *, user=None, session_key="", answers=("Feed it daily.",)):
    conversation = Conversation.objects.create(
        channel=channel, user=user, session_key=session_key,
        asker_kind="user" if user else "web_session", asker_ref=str(user.pk) if user else session_key,
        title="Feeding a starter", expires_at=None if user else timezone.now() + timezone.timedelta(hours=1),
    )  # fmt: skip
    question = Message.objects.create(conversation=conversation, role="user", content="How often do I feed it?")
    for text in answers:
        Message.objects.create(conversation=conversation, role="assistant", content=text, question=question)
    return conversation


@pytest.fixture
def public_channel(alice):
    return ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="mira", chunks_count=3)


def test_it_shows_the_conversation_when_its_own_url_is_reloaded(client, bob, public_channel):
    conversation = _conversation(public_channel, user=bob)
    client.force_login(bob)
    for url in (
        reverse("chat:public_conversation", args=["mira", conversation.pk]),
        reverse("chat:conversation", args=[public_channel.pk, conversation.pk]),
    ):
        html = client.get(url).content.decode()
        assert "How often do I feed it?" in html and "Feed it daily." in html, url
        # The next question continues this conversation, and no starters offer a new one.
        assert f'name="conversation" value="{conversation.pk}"' in html and 'id="starters"' not in html


def test_it_hides_bobs_conversation_from_charlie_from_anonymous_fans_and_under_another_channel(
    client, alice, bob, charlie, public_channel
):
    conversation = _conversation(public_channel, user=bob)
    url = reverse("chat:public_conversation", args=["mira", conversation.pk])
    assert client.get(url).status_code == 404
    client.force_login(charlie)
    assert client.get(url).status_code == 404
    assert client.get(reverse("chat:conversation", args=[public_channel.pk, conversation.pk])).status_code == 404
    other = ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="other", chunks_count=3)
    client.force_login(bob)
    assert client.get(reverse("chat:public_conversation", args=["other", conversation.pk])).status_code == 404
    assert client.get(reverse("chat:conversation", args=[other.pk, conversation.pk])).status_code == 404


def test_an_anonymous_fans_conversation_opens_in_their_session_only(client, public_channel):
    client.get(reverse("chat:public", args=["mira"]))  # a session, as a visit makes
    session_key = client.session.session_key
    conversation = _conversation(public_channel, session_key=session_key)
    url = reverse("chat:public_conversation", args=["mira", conversation.pk])
    assert b"Feed it daily." in client.get(url).content
    client.cookies.clear()
    assert client.get(url).status_code == 404


def test_an_old_conversation_query_link_goes_to_the_conversations_own_url(client, bob, public_channel):
    conversation = _conversation(public_channel, user=bob)
    client.force_login(bob)
    response = client.get(reverse("chat:public", args=["mira"]) + f"?conversation={conversation.pk}")
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:public_conversation", args=["mira", conversation.pk])


def test_the_first_answer_tells_the_page_the_new_conversations_url(client, bob, bakery):
    client.force_login(bob)
    public = ask(client, bakery, "How much flour?", surface="public").content.decode()
    conversation = Conversation.objects.get()
    assert f'data-url="{reverse("chat:public_conversation", args=[bakery.slug, conversation.pk])}"' in public
    dashboard = ask(client, bakery, "And water?").content.decode()
    assert f'data-url="{reverse("chat:conversation", args=[bakery.pk, conversation.pk + 1])}"' in dashboard


def test_without_javascript_asking_goes_to_the_conversations_page_where_the_answer_streams(client, bob, bakery):
    client.force_login(bob)
    response = client.post(reverse("chat:ask", args=[bakery.pk]), {"question": "How much flour?"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("chat:conversation", args=[bakery.pk, conversation.pk])
    assert b"data-stream-url" in client.get(response["Location"]).content


@pytest.mark.parametrize("question", ["   ", "\n\t "])
def test_a_blank_question_is_a_422_message_for_the_chat_not_a_400(client, bob, bakery, question):
    client.force_login(bob)
    response = ask(client, bakery, question)
    # django-htmx's DEBUG handler swaps the whole document for a 400, 403, 404 or 500 answer.
    assert response.status_code == 422
    assert b"Type a question first." in response.content and b'class="msg msg-refusal"' in response.content
    assert not Message.objects.exists()


def test_a_channel_that_is_not_ready_refuses_with_422_too(client, alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.FAILED, is_public=True, slug="failed", chunks_count=0)
    client.force_login(alice)
    response = ask(client, channel, "Anything?")
    assert response.status_code == 422 and b"could not be processed" in response.content


def test_regenerating_keeps_every_answer_and_pages_to_the_newest(client, bob, public_channel):
    conversation = _conversation(public_channel, user=bob, answers=("First try.", "Second try."))
    client.force_login(bob)
    html = client.get(reverse("chat:conversation", args=[public_channel.pk, conversation.pk])).content.decode()
    assert "First try." in html and "Second try." in html and "Answer 2 of 2" in html
    first, second = conversation.messages.filter(role="assistant").order_by("id")
    assert f'id="answer-{first.pk}" hidden' in html and f'id="answer-{second.pk}">' in html
    assert "Regenerate answer (uses 1 question)" in html


def test_a_regenerated_answer_comes_back_as_its_whole_exchange(client, bob, public_channel):
    conversation = _conversation(public_channel, user=bob)
    client.force_login(bob)
    response = client.post(reverse("chat:regenerate", args=[conversation.pk]), headers=HTMX)
    html = response.content.decode()
    question = conversation.messages.get(role="user")
    assert html.count(f'id="exchange-{question.pk}"') == 1 and "Feed it daily." in html
    assert "Answer 2 of 2" in html and "data-stream-url" in html


def test_a_refused_regeneration_goes_below_the_chat_instead_of_replacing_the_answer(client, bob, public_channel):
    from billing.models import Usage
    from billing.selectors import period_start_for

    conversation = _conversation(public_channel, user=bob)
    Usage.objects.create(user=bob, period_start=period_start_for(), queries_used=10_000)
    client.force_login(bob)
    response = client.post(reverse("chat:regenerate", args=[conversation.pk]), headers=HTMX)
    assert response.status_code == 429
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#message-list", "beforeend")
    assert conversation.messages.filter(role="assistant").count() == 1


def test_deleting_a_conversation_asks_first_on_a_page_that_needs_no_javascript(client, bob, public_channel):
    conversation = _conversation(public_channel, user=bob)
    client.force_login(bob)
    page = client.get(reverse("chat:public_conversation", args=["mira", conversation.pk])).content.decode()
    delete_url = reverse("chat:delete", args=[conversation.pk])
    assert f'href="{delete_url}"' in page  # a link to the question, not a one-click form
    confirm = client.get(delete_url)
    assert confirm.status_code == 200 and b"Delete this conversation?" in confirm.content
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    response = client.post(delete_url)
    assert response.status_code == 302 and not Conversation.objects.filter(pk=conversation.pk).exists()


def test_charlie_cannot_open_the_delete_question_of_bobs_conversation(client, bob, charlie, public_channel):
    conversation = _conversation(public_channel, user=bob)
    client.force_login(charlie)
    assert client.get(reverse("chat:delete", args=[conversation.pk])).status_code == 404
    assert client.post(reverse("chat:delete", args=[conversation.pk])).status_code == 404
    assert Conversation.objects.filter(pk=conversation.pk).exists()


def test_the_starters_read_as_questions_a_person_would_ask(client, alice):
    ChannelFactory(
        owner=alice, status=Channel.Status.READY, is_public=True, slug="bakes", chunks_count=3,
        topics=["starter", "sourdough starters", "butter", "laminated dough"],
    )  # fmt: skip
    html = client.get(reverse("chat:public", args=["bakes"])).content.decode()
    assert "What do you say about" not in html
    assert "What&#x27;s your take on sourdough starters?" in html
    assert "What should a beginner know about laminated dough?" in html


def _claimed_answer(client, channel) -> Message:
    ask(client, channel, "How do I feed my starter?")
    answer = Message.objects.get(role="assistant")
    assert services.message_claim_for_streaming(message=answer)
    return Message.objects.select_related("conversation__channel__owner", "conversation__user", "question").get(
        pk=answer.pk
    )


def test_stopping_a_stream_keeps_what_was_said_as_a_stopped_answer(client, bob, bakery, llm):
    llm.answer(*[f"word{n} " for n in range(40)], piece_delay_s=0.01)
    client.force_login(bob)
    answer = _claimed_answer(client, bakery)
    body = views._sync_stream(answer)
    received = "".join(next(body) for _ in range(3))
    body.close()  # what the server does with the response when the fan's connection is gone
    answer.refresh_from_db()
    assert answer.status == Message.Status.STOPPED
    assert answer.content.startswith("word0 word1") and "word39" not in answer.content and "word2" in received
    page = client.get(reverse("chat:conversation", args=[bakery.pk, answer.conversation_id])).content.decode()
    assert "Stopped: you ended this answer early." in page and "word1" in page


@pytest.mark.django_db(transaction=True)
def test_a_fan_leaving_an_async_stream_stops_the_answer_in_its_thread(client, bob, bakery, llm):
    llm.answer(*[f"word{n} " for n in range(200)], piece_delay_s=0.02)
    client.force_login(bob)
    answer = _claimed_answer(client, bakery)

    async def read_then_leave() -> str:
        body = views._async_stream(answer)
        text = ""
        while "word2" not in text:
            text += await anext(body)
        await body.aclose()  # Django cancels and closes the body when the client disconnects
        return text

    received = run_async(read_then_leave)
    deadline = time.monotonic() + 10
    while Message.objects.get(pk=answer.pk).status == Message.Status.STREAMING and time.monotonic() < deadline:
        time.sleep(0.05)
    stopped = Message.objects.get(pk=answer.pk)
    assert stopped.status == Message.Status.STOPPED and "word2" in received
    assert "word199" not in stopped.content  # the thread stopped at its next piece, not at the end
