"""A question asked in Discord, answered by the bots queue: deferred, streamed into @original with
throttled edits, finished with the text and an embed of citations; 429s, long answers, quotas and
failures, all against the local Discord API (tests/bots/discord_server.py)."""

from __future__ import annotations

import re

import pytest
from allauth.socialaccount.models import SocialAccount

from billing.services import quota_consume
from bots.platforms import Ask, platform_for
from bots.services import relay
from chat.models import AskerKind, Conversation, Message
from tests.bots.conftest import APP_ID, MEMBER_ID, ask, post_interaction, run_bots_queue

QUESTION = "How much flour goes into a new starter?"
ORIGINAL = f"/webhooks/{APP_ID}/{{token}}/messages/@original"
FOLLOW_UP = f"/webhooks/{APP_ID}/{{token}}"


def asked(client, signing_key, captured, question: str = QUESTION, **kwargs):
    with captured(execute=True):
        response = post_interaction(client, ask(question, **kwargs), signing_key)
    assert response.json() == {"type": 5}
    run_bots_queue()


def test_a_full_ask_is_deferred_streamed_into_the_original_and_finished_with_cited_moments(
    client, guild, signing_key, discord, llm, django_capture_on_commit_callbacks
):
    llm.answer("Hi bakers! ", "Use fifty grams ", "of flour [1].")

    asked(client, signing_key, django_capture_on_commit_callbacks)

    edits = [call.json() for call in discord.calls_to("PATCH", ORIGINAL)]
    progress, final = edits[:-1], edits[-1]
    assert final["content"] == "Hi bakers! Use fifty grams of flour [1]."
    shown = [edit["content"].removesuffix(" …") for edit in progress]
    assert len(shown) >= 3 and shown[0] == "Hi bakers!" and shown[1] == "Hi bakers! Use fifty grams"
    assert all(final["content"].startswith(text) for text in shown) and shown == sorted(shown, key=len)
    assert all(edit["allowed_mentions"] == {"parse": []} for edit in edits)
    answer = Message.objects.get(role=Message.Role.ASSISTANT, status=Message.Status.COMPLETE)
    [embed] = final["embeds"]
    links = re.findall(r"\]\((https://www\.youtube\.com/watch\?v=[\w-]{11}&t=\d+s)\)", embed["description"])
    assert links == [answer.citations[0]["url"]]
    second = int(answer.citations[0]["start_s"])
    assert links[0].endswith(f"v=abcdefghijk&t={second}s") and second >= 60  # the starter talk starts at 1:00
    assert f"· {answer.citations[0]['timestamp']}" in embed["description"]
    assert "confidence" in embed["footer"]["text"].lower() and "AI persona of Mira Bakes" in embed["footer"]["text"]
    conversation = Conversation.objects.get()
    assert (conversation.asker_kind, conversation.asker_ref) == (AskerKind.DISCORD_MEMBER, f"{guild.external_id}:{MEMBER_ID}")


def test_the_next_question_continues_the_members_conversation(
    client, guild, signing_key, discord, django_capture_on_commit_callbacks
):
    asked(client, signing_key, django_capture_on_commit_callbacks)
    asked(client, signing_key, django_capture_on_commit_callbacks, "And how often do I feed it?")
    assert Conversation.objects.count() == 1 and Message.objects.filter(role=Message.Role.USER).count() == 2


def test_edits_are_throttled_to_the_platforms_interval(guild, discord, llm, settings):
    settings.BOTS_EDIT_INTERVAL_S = 1.0
    llm.answer(*[f"word{n} " for n in range(10)], "[1].")
    ticks = iter(n * 0.4 for n in range(100))  # each piece arrives 0.4 s after the last
    result = relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: next(ticks))
    assert result == "answered"
    progress = [c.json()["content"] for c in discord.calls_to("PATCH", ORIGINAL)][:-1]
    # 11 pieces over 4 s with at most one edit a second: pieces 1, 4, 7 and 10.
    assert [text.split()[-2] for text in progress] == ["word0", "word3", "word6", "word9"]


def _ask(guild, question: str = QUESTION, user_id: str = MEMBER_ID) -> Ask:
    return Ask(bot_id=guild.bot_id, place_id=guild.pk, room_id="1", user_id=user_id, user_name="Mason",
               question=question, reply={"application_id": APP_ID, "token": "tok"})  # fmt: skip


def test_a_rate_limited_edit_is_skipped_until_retry_after_and_the_final_message_is_retried(
    guild, discord, llm, settings
):
    settings.BOTS_EDIT_INTERVAL_S = 0.35
    llm.answer("one ", "two ", "three ", "four [1].")
    discord.answer("PATCH", ORIGINAL,
                   (429, {"message": "You are being rate limited.", "retry_after": 0.3, "global": False}),
                   (200, {}), (429, {"message": "You are being rate limited.", "retry_after": 0.2, "global": False}),
                   (200, {}))  # fmt: skip
    ticks = iter([0.0, 0.1, 0.5] + [0.6] * 10)

    assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: next(ticks)) == "answered"

    calls = discord.calls_to("PATCH", ORIGINAL)
    contents = [call.json()["content"] for call in calls]
    # "one" got 429 (wait 0.3 s): "two" at 0.1 s is not sent; "three" at 0.5 s is; what comes at
    # 0.6 s is within the 0.35 s interval. The final message's first try gets 429 and it is sent
    # again 0.2 s later.
    assert contents == ["one …", "one two three …", "one two three four [1].", "one two three four [1]."]
    assert calls[3].at - calls[2].at >= 0.2
    assert "embeds" in calls[3].json()


def test_an_answer_over_2000_characters_continues_in_follow_up_messages(guild, discord, llm):
    sentence = "A healthy starter doubles in size within six hours of a feeding. "
    llm.answer(sentence * 40, "[1].")
    relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0)
    final = discord.calls_to("PATCH", ORIGINAL)[-1].json()
    follow_ups = [c.json() for c in discord.calls_to("POST", FOLLOW_UP)]
    pieces = [final["content"]] + [f["content"] for f in follow_ups]
    assert len(pieces) == 2 and all(len(p) <= 2000 for p in pieces)
    assert pieces[0].endswith("feeding.")  # cut at a sentence end
    assert " ".join(pieces) == Message.objects.get(role="assistant", status="complete").content.strip()
    assert "embeds" not in final and "embeds" in follow_ups[-1]


# --- who pays ---------------------------------------------------------------------------------


def _notice(discord) -> str:
    [deleted] = discord.calls_to("DELETE", ORIGINAL)
    [notice] = discord.calls_to("POST", FOLLOW_UP)
    assert notice.json()["flags"] == 64 and deleted.at <= notice.at
    return notice.json()["content"]


def test_an_unlinked_member_asks_on_the_owners_plan_up_to_the_daily_cap(guild, discord, alice):
    guild.member_daily_cap = 2
    guild.save()
    from billing.models import Usage

    for _ in range(2):
        assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0) == "answered"
    assert sum(Usage.objects.filter(user=alice).values_list("queries_used", flat=True)) == 2

    assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0) == "refused"
    assert "2 questions a member may ask here today" in _notice(discord)
    assert sum(Usage.objects.filter(user=alice).values_list("queries_used", flat=True)) == 2  # nothing taken
    other = relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild, user_id="999"), clock=lambda: 0.0)
    assert other == "answered"  # the cap is per member


def test_when_the_owners_plan_is_used_up_an_unlinked_member_is_told_to_try_later(guild, discord, alice):
    while quota_consume(user=alice).allowed:
        pass
    assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0) == "refused"
    text = _notice(discord)
    assert "answered all the questions its plan allows" in text and not Message.objects.exists()
    from bots.services.askers import member_questions_today

    assert member_questions_today(place_id=guild.pk, member=MEMBER_ID) == 0  # the cap was given back


def test_a_member_who_linked_their_yoppy_account_asks_on_their_own_plan(guild, discord, alice, charlie):
    SocialAccount.objects.create(user=charlie, provider="discord", uid=MEMBER_ID)
    from billing.models import Usage

    assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0) == "answered"
    assert Usage.objects.filter(user=charlie).get().queries_used == 1
    assert not Usage.objects.filter(user=alice).exists()

    while quota_consume(user=charlie).allowed:
        pass
    assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0) == "refused"
    assert "Upgrade" in (text := _notice(discord)) and "/billing/" in text


def test_a_failed_answer_becomes_a_short_ephemeral_message(guild, discord, llm):
    llm.fail(500, times=2)
    result = relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0)
    assert result == "failed"
    assert _notice(discord) == "The AI provider had an internal error."  # the core's AnswerFailed, as is


def test_a_revoked_bot_drops_its_queued_questions(guild, discord):
    from bots.services.bots import bot_revoke

    bot_revoke(bot=guild.bot)
    assert relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0) == "stale"
    assert discord.calls == []


@pytest.mark.parametrize("hostile", ["@everyone look", "<@&123> ping"])
def test_an_answer_can_mention_nobody(guild, discord, llm, hostile):
    llm.answer(hostile, " [1].")
    relay.ask_answer(platform=platform_for("discord"), ask=_ask(guild), clock=lambda: 0.0)
    assert all(c.json()["allowed_mentions"] == {"parse": []} for c in discord.calls_to("PATCH", ORIGINAL))
