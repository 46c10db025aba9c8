"""A widget visitor asks through the answer core: streamed pieces, the server-rendered cited
block, the conversation kept; charged to the channel owner's plan as a "widget visitor"."""

from __future__ import annotations

import pytest

from billing.models import Usage
from billing.selectors import period_start_for
from chat.models import AskerKind, Conversation, Message
from tests.widgets.conftest import api, events, frame_token

pytestmark = pytest.mark.django_db

QUESTION = "How much flour goes into a new starter?"


def test_a_visitor_gets_a_streamed_cited_answer_charged_to_the_channel_owner(client, widget, alice):
    token = frame_token(client, widget)

    received = events(api(client, "ask", widget, token, {"question": QUESTION}))

    names = [name for name, _ in received]
    assert names[0] == "start" and names[-1] == "done" and set(names[1:-1]) == {"token"} and len(names) > 3
    done = received[-1][1]
    assert 'class="citation-play"' in done["html"] and done["citations"][0]["youtube_id"] == "abcdefghijk"
    conversation = Conversation.objects.get(pk=received[0][1]["conversation"])
    assert conversation.asker_kind == AskerKind.WIDGET_VISITOR and conversation.asker_ref.startswith(f"{widget.pk}:s:")
    assert conversation.channel == widget.channel and conversation.user is None
    assert Usage.objects.get(user=alice, period_start=period_start_for()).queries_used == 1


def test_a_follow_up_goes_into_the_same_conversation_and_a_strangers_id_does_not(client, widget):
    token = frame_token(client, widget)
    first = events(api(client, "ask", widget, token, {"question": QUESTION}))
    conversation_id = first[0][1]["conversation"]

    again = events(api(client, "ask", widget, token, {"question": "And how often do I feed it?", "conversation": conversation_id}))

    assert again[0][1]["conversation"] == conversation_id
    assert Message.objects.filter(conversation_id=conversation_id, role=Message.Role.USER).count() == 2
    stranger = frame_token(client, widget)  # another visit
    refused = api(client, "ask", widget, stranger, {"question": "Hi?", "conversation": conversation_id})
    assert refused.status_code == 404


def test_an_uncovered_question_is_refused_honestly_without_sources(client, widget):
    token = frame_token(client, widget)

    done = events(api(client, "ask", widget, token, {"question": "Which football club won the 1998 cup final?"}))[-1][1]

    assert done["confidence"] == "not_covered" and done["citations"] == []


def test_an_empty_question_is_a_400_with_a_message(client, widget):
    response = api(client, "ask", widget, frame_token(client, widget), {"question": "   "})

    assert response.status_code == 400 and response.json()["error"] == "Type a question first."


def test_a_malformed_body_is_a_400_not_a_500(client, widget):
    token = frame_token(client, widget)
    response = client.post(
        f"/widget/{widget.public_key}/ask", b"[[[", content_type="application/json",
        HTTP_ORIGIN="http://testserver", HTTP_X_YOPPY_SESSION=token,
    )  # fmt: skip
    assert response.status_code == 400
    bad_id = api(client, "ask", widget, token, {"question": "Hi?", "conversation": "drop table"})
    assert bad_id.status_code == 404


def test_the_owners_used_up_plan_is_a_429_the_visitor_can_read(client, widget, alice):
    Usage.objects.create(user=alice, period_start=period_start_for(), queries_used=20)

    response = api(client, "ask", widget, frame_token(client, widget), {"question": QUESTION})

    assert response.status_code == 429
    assert "Please try again later" in response.json()["error"]
    assert not Message.objects.exists()
