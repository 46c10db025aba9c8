"""Update parsing on Telegram's own example updates (../shared/realdata, skipped when absent) and
on small group payloads shaped like them (mentions and replies are what those examples lack)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bots.telegram.updates import parse

REALDATA = Path("/work/shared/realdata/webhooks/telegram/official_webhook_test_updates")
BOT_ID, BOT = 777000111, "yoppy_bot"


def official(name: str) -> dict:
    path = REALDATA / f"{name}.json"
    if not path.exists():
        pytest.skip(f"{path} is not here (real data lives outside the repo)")
    return json.loads(path.read_text())


def group_message(text: str, **extra) -> dict:
    """A supergroup message in the shape of Telegram's examples (chat ids of groups are negative)."""
    return {
        "update_id": 20001,
        "message": {
            "message_id": 77, "date": 1441645532, "text": text,
            "chat": {"id": -1001234567890, "type": "supergroup", "title": "Bakers"},
            "from": {"id": 1111111, "is_bot": False, "first_name": "Test", "last_name": "Fan"},
            **extra,
        },
    }  # fmt: skip


@pytest.mark.parametrize(
    ("name", "kind", "command"),
    [
        ("message", "command", "start"),
        ("message_with_reply", "command", "start"),
        ("edited_message", "edited", ""),
        ("message_with_audio", "media", ""),
        ("message_with_document", "media", ""),
        ("voice_message", "media", ""),
        ("callback_query", "callback", ""),
        ("inline_query", "inline", ""),
        ("chosen_inline_query", "ignored", ""),
    ],
)
def test_it_reads_each_official_example_as_its_kind(name, kind, command):
    incoming = parse(official(name), bot_id=BOT_ID, bot_username=BOT)
    assert (incoming.kind, incoming.command, incoming.update_id) == (kind, command, 10000)


def test_it_treats_a_chat_without_a_type_as_private_when_its_id_is_a_users():
    incoming = parse(official("message"), bot_id=BOT_ID, bot_username=BOT)
    assert incoming.is_private and incoming.chat_id == 1111111 and incoming.user_name == "Test Test Lastname"


def test_a_forwarded_command_is_text_never_a_command():
    for name in ("forwarded_message", "forwarded_channel_message"):
        incoming = parse(official(name), bot_id=BOT_ID, bot_username=BOT)
        assert (incoming.kind, incoming.forwarded, incoming.text) == ("text", True, "/start")


def test_it_keeps_formatted_text_as_the_question():
    incoming = parse(official("message_with_entities"), bot_id=BOT_ID, bot_username=BOT)
    assert (incoming.kind, incoming.text, incoming.addressed) == ("text", "Bold and italics", False)


def test_it_reads_a_callback_without_a_message_and_a_numeric_inline_query_id():
    callback = parse(official("callback_query"), bot_id=BOT_ID, bot_username=BOT)
    assert (callback.callback_id, callback.callback_data, callback.chat_id) == (
        "4382bfdwdsb323b2d9", "Data from button callback", 0,
    )  # fmt: skip
    inline = parse(official("inline_query"), bot_id=BOT_ID, bot_username=BOT)
    assert (inline.inline_query_id, inline.text, inline.user_id) == ("134567890097", "inline query", 1111111)


def test_a_group_message_is_addressed_only_when_it_mentions_or_replies_to_the_bot():
    plain = parse(group_message("how long do I proof it?"), bot_id=BOT_ID, bot_username=BOT)
    mention = parse(
        group_message("@Yoppy_Bot how long do I proof it?", entities=[{"type": "mention", "offset": 0, "length": 10}]),
        bot_id=BOT_ID, bot_username=BOT,
    )  # fmt: skip
    other = parse(
        group_message("@someone_else how long?", entities=[{"type": "mention", "offset": 0, "length": 13}]),
        bot_id=BOT_ID, bot_username=BOT,
    )  # fmt: skip
    reply = parse(
        group_message("and in winter?", reply_to_message={"message_id": 70, "from": {"id": BOT_ID, "is_bot": True}}),
        bot_id=BOT_ID, bot_username=BOT,
    )  # fmt: skip
    reply_to_fan = parse(
        group_message("and in winter?", reply_to_message={"message_id": 70, "from": {"id": 42, "is_bot": False}}),
        bot_id=BOT_ID, bot_username=BOT,
    )  # fmt: skip
    assert [m.addressed for m in (plain, mention, other, reply, reply_to_fan)] == [False, True, False, True, False]
    assert mention.text == "how long do I proof it?" and mention.is_group


def test_mention_offsets_count_utf16_units_like_telegram():
    text = "🍞🍞 @yoppy_bot rye?"  # each emoji is two UTF-16 units
    incoming = parse(
        group_message(text, entities=[{"type": "mention", "offset": 5, "length": 10}]), bot_id=BOT_ID, bot_username=BOT
    )
    assert incoming.addressed and incoming.text == "🍞🍞 rye?"


def test_a_command_for_another_bot_is_ignored_and_one_naming_this_bot_is_addressed():
    ours = parse(group_message("/channel@yoppy_bot"), bot_id=BOT_ID, bot_username=BOT)
    theirs = parse(group_message("/channel@other_bot"), bot_id=BOT_ID, bot_username=BOT)
    assert (ours.kind, ours.command, ours.addressed) == ("command", "channel", True)
    assert theirs.kind == "ignored"
    connect = parse(group_message("/connect  AB12-CD34 "), bot_id=BOT_ID, bot_username=BOT)
    assert (connect.command, connect.text) == ("connect", "AB12-CD34")


@pytest.mark.parametrize(
    "update",
    [None, [], {"update_id": "x"}, {"update_id": 1, "message": "text"}, {"update_id": 1, "message": {"chat": 5}},
     {"update_id": 1, "message": {"chat": {"id": 5}, "from": {"id": 6, "is_bot": True}, "text": "hi"}},
     {"update_id": 1, "channel_post": {"text": "news"}}, {"update_id": 1, "inline_query": {"id": None, "from": []}}],
)  # fmt: skip
def test_odd_payloads_are_ignored_or_empty_never_an_exception(update):
    incoming = parse(update, bot_id=BOT_ID, bot_username=BOT)
    assert incoming.kind in {"ignored", "inline"} and not incoming.text
