"""Conversations with the bot, end to end: the webhook as Telegram calls it, the bots queue run
here, the real answer core (retrieval, offline answers or a local LLM server), and the local Bot
API server recording every call Yoppy makes."""

from __future__ import annotations

import pytest

from bots.models import Place
from chat.answers import citations_from_dicts
from chat.models import Conversation, Message
from chat.rendering import answer_block
from tests.bots.telegram.bot_api_server import visible_text
from tests.bots.telegram.conftest import FAN, GROUP, SHARED_TOKEN, callback, deliver, group_text, private_text

QUESTION = "How much flour goes into a new starter?"


def choose(client, bot, channel, capture, *, chat_id: int = FAN, chat_type: str = "private", user_id: int = FAN):
    deliver(client, bot, callback(f"ch:{channel.pk}", chat_id=chat_id, chat_type=chat_type, user_id=user_id), capture)


def texts(bot_api, method: str) -> list[str]:
    return [visible_text(call.params["text"])[0] for call in bot_api.calls_to(method)]


def test_a_private_answer_streams_as_drafts_then_one_final_message_with_cited_moments(
    client, shared_bot, bot_api, bakery, settings, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_DRAFT_INTERVAL_S = 0  # every piece becomes a draft update
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    assert Place.objects.get(external_id=str(FAN)).default_channel == bakery
    bot_api.calls.clear()

    deliver(client, shared_bot, private_text(QUESTION, update_id=31337), django_capture_on_commit_callbacks)

    methods = bot_api.methods()
    drafts = bot_api.calls_to("sendMessageDraft")
    assert len(drafts) >= 3 and methods[-1] == "sendMessage" and methods.count("sendMessage") == 1
    assert set(methods[:-1]) == {"sendMessageDraft"}
    assert {call.params["draft_id"] for call in drafts} == {31337}
    growing = texts(bot_api, "sendMessageDraft")
    assert all(later.startswith(earlier.rstrip(" …")) for earlier, later in zip(growing, growing[1:], strict=False))
    final = bot_api.calls_to("sendMessage")[0].params
    answer = Message.objects.get(role=Message.Role.ASSISTANT)
    second = answer.citations[0]["start_s"]
    assert f'href="https://www.youtube.com/watch?v=abcdefghijk&amp;t={int(second)}s"' in final["text"]
    shown = visible_text(final["text"])[0]
    plain = answer_block(markdown=answer.content, citations=citations_from_dicts(answer.citations),
                         confidence=answer.confidence)[1]  # fmt: skip
    assert shown.startswith(plain) and "fifty grams of flour" in shown  # the sentence with the amount asked for
    assert f"[1] Sourdough starter · {int(second) // 60}:{int(second) % 60:02d}" in shown
    assert "AI persona of Mira Bakes" in shown and answer.confidence_label in shown
    assert Conversation.objects.get().asker_ref == f"{shared_bot.pk}:{FAN}:{FAN}"


def test_a_duplicate_delivery_of_an_update_gets_one_answer(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    update = private_text(QUESTION)
    deliver(client, shared_bot, update, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, update, django_capture_on_commit_callbacks)
    assert Message.objects.filter(role=Message.Role.USER).count() == 1
    assert len(bot_api.calls_to("sendMessage")) == 1


def test_private_questions_continue_the_conversation_until_new(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    for text in (QUESTION, "And how often do I feed it?", "/new", "How fast does it double?"):
        deliver(client, shared_bot, private_text(text), django_capture_on_commit_callbacks)
    conversations = list(Conversation.objects.order_by("pk"))
    assert [c.messages.filter(role=Message.Role.USER).count() for c in conversations] == [2, 1]
    assert "Fresh start" in texts(bot_api, "sendMessage")[2]


def test_a_question_without_a_persona_asks_to_choose_one_and_costs_nothing(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    deliver(client, shared_bot, private_text(QUESTION), django_capture_on_commit_callbacks)
    assert "pick one with /channel" in texts(bot_api, "sendMessage")[0]
    assert not Message.objects.exists()


def test_start_says_what_the_persona_is_and_how_to_ask(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, private_text("/start"), django_capture_on_commit_callbacks)
    deliver(client, shared_bot, private_text("/help"), django_capture_on_commit_callbacks)
    start, help_text = texts(bot_api, "sendMessage")
    assert "AI persona of Mira Bakes" in start and "an AI built from Mira Bakes's YouTube videos" in start
    assert "send your question as a message" in start and "/connect <code>" in help_text


def test_media_and_edits_in_a_private_chat_get_a_short_text_only_reply(
    client, shared_bot, bot_api, django_capture_on_commit_callbacks
):
    voice = private_text("x")
    del voice["message"]["text"]
    voice["message"]["voice"] = {"file_id": "AwADBAADbXXXXXXXXXXXGBdhD2l6_XX", "duration": 5}
    edited = private_text("Edited text")
    edited["edited_message"] = edited.pop("message")
    deliver(client, shared_bot, voice, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, edited, django_capture_on_commit_callbacks)
    assert texts(bot_api, "sendMessage") == ["I answer text questions: send me your question as a message."] * 2


# --- groups -------------------------------------------------------------------------------------


@pytest.fixture
def group_on_bakery(client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks):
    admin = 4242
    bot_api.set_member(SHARED_TOKEN, chat_id=GROUP, user_id=admin, status="administrator")
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks, chat_id=GROUP, chat_type="supergroup",
           user_id=admin)  # fmt: skip
    bot_api.calls.clear()
    return admin


def test_in_a_group_the_bot_answers_only_when_mentioned_or_replied_to(
    client, shared_bot, bot_api, group_on_bakery, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    deliver(client, shared_bot, group_text(QUESTION), capture)
    assert bot_api.calls == [] and not Message.objects.exists()

    mention = group_text(QUESTION, mentioned=True)
    deliver(client, shared_bot, mention, capture)
    reply = group_text("and how often do I feed it?", reply_to_message={
        "message_id": 70, "from": {"id": 777000111, "is_bot": True, "first_name": "Yoppy"}})  # fmt: skip
    deliver(client, shared_bot, reply, capture)

    assert Message.objects.filter(role=Message.Role.USER).count() == 2
    assert Message.objects.filter(role=Message.Role.USER).first().content == QUESTION
    first_send = bot_api.calls_to("sendMessage")[0].params
    assert first_send["reply_parameters"]["message_id"] == mention["message"]["message_id"]
    assert not bot_api.calls_to("sendMessageDraft")  # drafts are for private chats only


def test_group_answers_stream_by_editing_one_reply_throttled(
    client, shared_bot, bot_api, group_on_bakery, settings, llm, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_DRAFT_INTERVAL_S = 0
    settings.TELEGRAM_GROUP_EDIT_INTERVAL_S = 0.2
    llm.answer(*[f"Feed it every day at the same time, part {n}. " for n in range(12)], stall_after=None)
    deliver(client, shared_bot, group_text(QUESTION, mentioned=True), django_capture_on_commit_callbacks)
    sends, edits = bot_api.calls_to("sendMessage"), bot_api.calls_to("editMessageText")
    assert len(sends) == 1 and edits, bot_api.methods()
    assert len({call.params["message_id"] for call in edits}) == 1  # one reply, edited in place
    times = [call.at for call in [*sends, *edits[:-1]]]
    assert all(later - earlier >= 0.19 for earlier, later in zip(times, times[1:], strict=False))
    assert "AI persona of Mira Bakes" in visible_text(edits[-1].params["text"])[0]


def test_only_a_group_admin_can_choose_the_groups_persona(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    bot_api.set_member(SHARED_TOKEN, chat_id=GROUP, user_id=4242, status="creator")
    deliver(client, shared_bot, group_text("/channel", user_id=FAN), capture)
    assert "Only a group admin" in texts(bot_api, "sendMessage")[0]
    assert "reply_markup" not in bot_api.calls_to("sendMessage")[0].params

    # A member pressing the admin's button changes nothing.
    choose(client, shared_bot, bakery, capture, chat_id=GROUP, chat_type="supergroup", user_id=FAN)
    assert "Only a group admin" in bot_api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert not Place.objects.filter(external_id=str(GROUP), default_channel__isnull=False).exists()

    deliver(client, shared_bot, group_text("/channel@yoppy_bot", user_id=4242), capture)
    keyboard = bot_api.calls_to("sendMessage")[-1].params["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [f"ch:{bakery.pk}", "np:1"]
    choose(client, shared_bot, bakery, capture, chat_id=GROUP, chat_type="supergroup", user_id=4242)
    assert Place.objects.get(external_id=str(GROUP)).default_channel == bakery
    statuses = [(c.params["chat_id"], c.params["user_id"]) for c in bot_api.calls_to("getChatMember")]
    assert statuses == [(GROUP, FAN), (GROUP, FAN), (GROUP, 4242), (GROUP, 4242)]


def test_a_private_channel_can_never_be_chosen(client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks):
    bakery.is_public = False
    bakery.save()
    deliver(client, shared_bot, private_text("/channel"), django_capture_on_commit_callbacks)
    assert "No public persona" in texts(bot_api, "sendMessage")[0]
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    assert bot_api.calls_to("answerCallbackQuery")[0].params["text"] == "That persona isn't available."
    assert Place.objects.get(external_id=str(FAN)).default_channel is None


def test_a_stale_button_gets_a_short_answer(client, shared_bot, bot_api, django_capture_on_commit_callbacks):
    deliver(client, shared_bot, callback("Data from button callback", chat_id=FAN), django_capture_on_commit_callbacks)
    assert bot_api.calls_to("answerCallbackQuery")[0].params["text"] == "That button is no longer active."
