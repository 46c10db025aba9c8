"""Inline mode, long answers, Telegram's 429s and new-video posts."""

from __future__ import annotations

from billing.models import Usage
from bots.models import Place, VideoPost
from bots.services.posts import video_posts_create
from channels_app.models import Video
from chat.models import Message
from tests.bots.telegram.bot_api_server import visible_text
from tests.bots.telegram.conftest import (
    FAN,
    GROUP,
    SHARED_TOKEN,
    _update_ids,
    callback,
    deliver,
    private_text,
    run_jobs,
)
from tests.bots.telegram.test_conversations import QUESTION, choose


def inline_query(text: str, *, query_id: str | None = None, user_id: int = FAN) -> dict:
    """An inline query shaped like Telegram's example (realdata inline_query.json)."""
    return {
        "update_id": next(_update_ids),
        "inline_query": {"id": query_id or str(next(_update_ids)), "from": {"id": user_id, "first_name": "Test"},
                         "query": text, "offset": ""},
    }  # fmt: skip


def test_an_inline_query_offers_the_personas_best_moments_with_links_and_charges_nothing(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, inline_query("how much flour and water for a starter"), django_capture_on_commit_callbacks)

    params = bot_api.calls_to("answerInlineQuery")[0].params
    results = params["results"]
    assert 1 <= len(results) <= 5 and params["is_personal"] is True
    first = results[0]
    assert first["type"] == "article" and first["url"].startswith("https://www.youtube.com/watch?v=abcdefghijk&t=")
    second = first["url"].rsplit("&t=", 1)[1].rstrip("s")
    assert first["title"].startswith("Sourdough starter · ") and second.isdigit()
    shown = visible_text(first["input_message_content"]["message_text"])[0]
    assert first["description"] in shown and "AI persona of Mira Bakes" in shown
    assert any("fifty grams of flour" in r["description"] for r in results)
    assert len({r["id"] for r in results}) == len(results)
    assert not Message.objects.exists() and not Usage.objects.filter(queries_used__gt=0).exists()


def test_an_inline_query_without_a_persona_or_words_offers_a_button_not_results(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    deliver(client, shared_bot, inline_query("flour"), django_capture_on_commit_callbacks)
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, inline_query("fl"), django_capture_on_commit_callbacks)
    first, second = (call.params for call in bot_api.calls_to("answerInlineQuery"))
    assert first["results"] == [] and first["button"]["text"] == "Choose a persona first"
    assert second["results"] == [] and "Type a question" in second["button"]["text"]


def test_only_the_newest_inline_query_of_a_user_is_searched(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    from tests.bots.telegram.conftest import post

    with django_capture_on_commit_callbacks(execute=True):
        post(client, shared_bot, inline_query("how much flo", query_id="q-old"))
        post(client, shared_bot, inline_query("how much flour for a starter", query_id="q-new"))
    run_jobs()
    assert [call.params["inline_query_id"] for call in bot_api.calls_to("answerInlineQuery")] == ["q-new"]


def test_a_long_answer_is_sent_as_several_messages_split_at_sentences(
    client, shared_bot, bot_api, bakery, llm, settings, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_DRAFT_INTERVAL_S = 10  # the final messages are what this test reads
    sentence = "Feed the starter with equal weights of flour and water every single day [1]. "
    llm.answer(*([sentence] * 130))  # about 10,000 characters
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, private_text(QUESTION), django_capture_on_commit_callbacks)

    sent = [visible_text(call.params["text"]) for call in bot_api.calls_to("sendMessage")]
    assert len(sent) == 3 and all(not error for _, error in sent)
    texts = [text for text, _ in sent]
    assert all(len(text.encode("utf-16-le")) // 2 <= 4096 for text in texts)
    assert all(text.rstrip().endswith("[1].") for text in texts[:2])
    assert "AI persona of Mira Bakes" in texts[-1] and "AI persona" not in texts[0]
    first = bot_api.calls_to("sendMessage")[0].params
    assert first["reply_parameters"]["message_id"] and "reply_parameters" not in bot_api.calls_to("sendMessage")[1].params


def test_a_final_message_hit_by_429_is_sent_after_retry_after_and_only_once(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    bot_api.fail("sendMessage", error_code=429, description="Too Many Requests: retry after 1", retry_after=1)
    deliver(client, shared_bot, private_text(QUESTION), django_capture_on_commit_callbacks)
    tries = bot_api.calls_to("sendMessage")
    assert len(tries) == 2 and tries[1].at - tries[0].at >= 1.0
    assert tries[0].params["text"] == tries[1].params["text"]
    assert Message.objects.get(role=Message.Role.ASSISTANT).status == Message.Status.COMPLETE


def test_a_429_while_streaming_in_a_group_pauses_edits_for_retry_after(
    client, shared_bot, bot_api, bakery, llm, settings, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_DRAFT_INTERVAL_S = 0
    settings.TELEGRAM_GROUP_EDIT_INTERVAL_S = 0
    bot_api.set_member(SHARED_TOKEN, chat_id=GROUP, user_id=4242, status="administrator")
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks, chat_id=GROUP, chat_type="supergroup", user_id=4242)
    bot_api.calls.clear()
    llm.answer(*[f"Stir it well, step {n}. " for n in range(40)])
    bot_api.fail("editMessageText", error_code=429, description="Too Many Requests: retry after 1", retry_after=1)
    from tests.bots.telegram.conftest import group_text

    deliver(client, shared_bot, group_text(QUESTION, mentioned=True), django_capture_on_commit_callbacks)
    edits = bot_api.calls_to("editMessageText")
    limited, after = edits[0], edits[1:]
    # Nothing is sent to the group until Telegram's wait is over, the final edit included.
    assert after and all(call.at - limited.at >= 1.0 for call in after)
    assert len(bot_api.calls_to("sendMessage")) == 1
    assert "AI persona of Mira Bakes" in visible_text(edits[-1].params["text"])[0]


def test_a_new_video_is_posted_once_to_groups_that_opted_in(
    client, shared_bot, bot_api, bakery, django_capture_on_commit_callbacks
):
    bot_api.set_member(SHARED_TOKEN, chat_id=GROUP, user_id=4242, status="creator")
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks, chat_id=GROUP, chat_type="supergroup", user_id=4242)
    deliver(client, shared_bot, callback("np:1", chat_id=GROUP, chat_type="supergroup", user_id=4242),
            django_capture_on_commit_callbacks)  # fmt: skip
    place = Place.objects.get(external_id=str(GROUP))
    assert place.new_video_posts and place.post_room_id == str(GROUP)
    bot_api.calls.clear()

    video = Video.objects.create(channel=bakery, youtube_id="newvideo123", title="Rye <bread> & more", status="ready")
    with django_capture_on_commit_callbacks(execute=True):
        video_posts_create(video=video)
        video_posts_create(video=video)  # the sync's hook running twice
    run_jobs()
    run_jobs()

    posts = bot_api.calls_to("sendMessage")
    assert len(posts) == 1 and posts[0].params["chat_id"] == GROUP
    text, error = visible_text(posts[0].params["text"])
    assert not error and "Rye <bread> & more" in text and "https://www.youtube.com/watch?v=newvideo123" in text
    assert VideoPost.objects.get().status == VideoPost.Status.SENT
