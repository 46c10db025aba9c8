"""The Bot API client against the local Bot API server: results, Telegram's errors, 429 waits."""

from __future__ import annotations

import logging
import time

import pytest

from bots.telegram.client import BotApi, RateLimited, TelegramError, TelegramUnavailable
from tests.bots.telegram.conftest import SHARED_TOKEN


def test_it_reads_the_bot_from_get_me(bot_api):
    me = BotApi(SHARED_TOKEN).get_me()
    assert (me.id, me.username, me.supports_inline_queries) == (777000111, "yoppy_bot", True)
    assert bot_api.calls_to("getMe")[0].token == SHARED_TOKEN


def test_a_rejected_token_is_unauthorized_and_the_error_never_shows_it(bot_api):
    token = "123456:wrong-token-that-botfather-never-gave-out"
    with pytest.raises(TelegramError) as error:
        BotApi(token).get_me()
    assert error.value.unauthorized and "wrong-token" not in str(error.value) and "wrong-token" not in repr(BotApi(token))


def test_an_unreachable_api_is_unavailable_without_the_url_in_the_message(settings):
    settings.TELEGRAM_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(TelegramUnavailable) as error:
        BotApi(SHARED_TOKEN).get_me()
    assert SHARED_TOKEN.split(":")[1] not in str(error.value) and "127.0.0.1" not in str(error.value)


def test_a_final_message_waits_out_a_429_as_long_as_telegram_asks(bot_api):
    bot_api.fail("sendMessage", error_code=429, description="Too Many Requests: retry after 1", retry_after=1)
    started = time.monotonic()
    message = BotApi(SHARED_TOKEN).send_message(chat_id=42, text="Hello")
    calls = bot_api.calls_to("sendMessage")
    assert message["message_id"] and len(calls) == 2
    assert calls[1].at - calls[0].at >= 1.0 and time.monotonic() - started < 3


def test_a_streaming_edit_is_not_waited_for_it_raises_rate_limited_at_once(bot_api):
    bot_api.fail("editMessageText", error_code=429, description="Too Many Requests: retry after 7", retry_after=7)
    started = time.monotonic()
    with pytest.raises(RateLimited) as limited:
        BotApi(SHARED_TOKEN).edit_message_text(chat_id=-100, message_id=5, text="partial")
    assert limited.value.retry_after == 7 and time.monotonic() - started < 1


def test_a_wait_longer_than_the_cap_is_not_waited(bot_api, settings):
    settings.TELEGRAM_MAX_RETRY_AFTER_S = 5
    bot_api.fail("sendMessage", error_code=429, description="Too Many Requests: retry after 60", retry_after=60)
    with pytest.raises(RateLimited):
        BotApi(SHARED_TOKEN).send_message(chat_id=42, text="Hello")
    assert len(bot_api.calls_to("sendMessage")) == 1


def test_an_unchanged_edit_is_not_an_error(bot_api):
    api = BotApi(SHARED_TOKEN)
    sent = api.send_message(chat_id=42, text="Same")
    api.edit_message_text(chat_id=42, message_id=sent["message_id"], text="Same")  # Telegram: "not modified"
    assert bot_api.methods() == ["sendMessage", "editMessageText"]


def test_messages_go_in_html_parse_mode_without_link_previews(bot_api):
    BotApi(SHARED_TOKEN).send_message(chat_id=42, text="<b>x</b>", reply_to=9)
    params = bot_api.calls_to("sendMessage")[0].params
    assert params["parse_mode"] == "HTML" and params["link_preview_options"] == {"is_disabled": True}
    assert params["reply_parameters"]["message_id"] == 9


def test_httpxs_request_log_never_shows_the_token(bot_api, caplog):
    with caplog.at_level(logging.DEBUG):
        BotApi(SHARED_TOKEN).get_me()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "getMe" in logged and SHARED_TOKEN.split(":")[1] not in logged
