"""Telegram over its Bot API webhook (core.telegram.org/bots/api).

Telegram POSTs every update to /bots/telegram/<bot id>/webhook/ with the ``secret_token`` given
to ``setWebhook`` in ``X-Telegram-Bot-Api-Secret-Token``; the endpoint answers at once and the
``bots`` queue does the rest (bots.services.telegram). Answers stream as drafts in private chats
(``sendMessageDraft``, Bot API 9.5+, then a final ``sendMessage``) and, in groups, as edits of one
reply throttled to TELEGRAM_GROUP_EDIT_INTERVAL_S (Telegram allows about 20 messages a minute per
group). The client, the update parser and the HTML formatting live in bots/telegram/.

``Ask.reply`` for Telegram: ``chat_id``, ``message_id`` (the question, replied to), ``private``,
``draft_id``; the platform adds its progress to it (``sent_id``: the group reply being edited,
``parts_sent``: final messages already out, so a final retried after a 429 sends nothing twice).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from bots.models import ConversationRestart, PlatformName
from bots.platforms.base import Ask, Platform
from bots.telegram import formatting
from bots.telegram.client import BotApi, RateLimited, TelegramError
from chat.models import AskerKind
from chat.services.askers import QuestionRefused, _redis
from yoppy.crypto import DecryptionError

if TYPE_CHECKING:
    from bots.models import Bot, Place
    from channels_app.models import Channel, Video
    from chat.events import AnswerDone

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)


def api_for(bot: Bot) -> BotApi:
    return BotApi(bot.token())


def _free_counter(*, user_id: str, day: dt.datetime) -> str:
    return f"yoppy:bots:telegram-free:{day:%Y%m%d}:{user_id}"


def telegram_allowance_give_back(*, ref: str, taken_at: dt.datetime) -> None:
    """An answer that never came gives the Telegram user the day's question back (never below 0)."""
    counters = _redis(settings.REDIS_URL)
    key = _free_counter(user_id=ref, day=taken_at.astimezone(dt.UTC))
    if int(counters.get(key) or 0) > 0:
        counters.decr(key)


@dataclass(frozen=True)
class TelegramAllowance:
    """The shared bot's free questions for a Telegram user with no linked account: the same
    daily allowance as an anonymous web visitor (ANON_QUESTIONS_PER_SESSION), per Telegram user
    across every chat, in Redis (INCR is atomic; a refused question is given back)."""

    user_id: str

    @property
    def receipt(self) -> str:
        return f"telegram-free:{self.user_id}"

    def take(self) -> None:
        counters = _redis(settings.REDIS_URL)
        key = _free_counter(user_id=self.user_id, day=timezone.now())
        pipe = counters.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)
        if pipe.execute()[0] > settings.ANON_QUESTIONS_PER_SESSION:
            counters.decr(key)
            raise QuestionRefused(
                "You've used today's free questions. Sign up free, then send /connect with the code "
                "from your dashboard to keep asking:",
                sign_up=True,
            )


class TelegramPlatform(Platform):
    name = PlatformName.TELEGRAM
    asker_kind = AskerKind.TELEGRAM_CHAT
    max_message_chars = formatting.MESSAGE_LIMIT

    @property
    def edit_interval_s(self) -> float:
        """Drafts in private chats; group edits are throttled further in ``reply_progress``."""
        return settings.TELEGRAM_DRAFT_INTERVAL_S

    # --- incoming ---------------------------------------------------------------------------

    def verify(self, *, bot: Bot, headers: Mapping[str, str], body: bytes) -> bool:
        """The secret token Yoppy gave setWebhook for this bot, compared in constant time."""
        given = headers.get(SECRET_HEADER) or ""
        try:
            expected = bot.webhook_secret()
        except DecryptionError:
            logger.error("telegram bot %s: webhook secret does not decrypt (FIELD_ENCRYPTION_KEYS?)", bot.pk)
            return False
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

    def asker_ref(self, *, place: Place, user_id: str) -> str:
        """One conversation per member per chat, restarted by ``/new`` (its number joins the ref)."""
        number = (
            ConversationRestart.objects.filter(place=place, external_user_id=user_id)
            .values_list("number", flat=True)
            .first()
        )
        base = f"{place.bot_id}:{place.external_id}:{user_id}"
        return f"{base}:{number}" if number else base

    def anonymous_pool(self, *, place: Place, user_id: str) -> TelegramAllowance:
        return TelegramAllowance(user_id=str(user_id))

    # --- outgoing ---------------------------------------------------------------------------

    def reply_progress(self, *, bot: Bot, ask: Ask, text: str) -> None:
        reply = ask.reply
        draft = formatting.draft_text(text)
        if not draft:
            return
        api = api_for(bot)
        if reply.get("private") and not reply.get("no_drafts"):
            try:
                api.send_message_draft(chat_id=reply["chat_id"], draft_id=reply["draft_id"], text=draft)
            except TelegramError as exc:
                if exc.error_code in {400, 404} and "retry" not in exc.description.lower():
                    # A Bot API server older than 9.5 (or a chat that takes no drafts): the
                    # answer arrives whole with the final message instead.
                    reply["no_drafts"] = True
                    return
                raise
            return
        if reply.get("private"):
            return
        now = time.monotonic()
        if now - reply.get("last_edit", float("-inf")) < settings.TELEGRAM_GROUP_EDIT_INTERVAL_S:
            return
        reply["last_edit"] = now
        try:
            if not reply.get("sent_id"):
                sent = api.send_message(
                    chat_id=reply["chat_id"], text=draft, reply_to=reply.get("message_id"), wait_on_429=False
                )
                reply["sent_id"] = sent["message_id"]
            else:
                api.edit_message_text(chat_id=reply["chat_id"], message_id=reply["sent_id"], text=draft)
        except RateLimited as limited:
            # The relay skips edits until then; the final message waits for it too (_send_all).
            reply["quiet_until"] = time.monotonic() + limited.retry_after
            raise

    def reply_final(self, *, bot: Bot, ask: Ask, done: AnswerDone, channel: Channel) -> None:
        messages = formatting.answer_messages(
            text=done.text, citations=done.citations, confidence_label=done.confidence_label,
            persona_name=channel.display_name,
        )  # fmt: skip
        self._send_all(bot=bot, ask=ask, messages=messages)

    def reply_notice(self, *, bot: Bot, ask: Ask, text: str) -> None:
        self._send_all(bot=bot, ask=ask, messages=[formatting.escape(text)])

    def _send_all(self, *, bot: Bot, ask: Ask, messages: list[str]) -> None:
        """Send ``messages`` in order; the first replaces the group reply being edited. Safe to
        call again after a 429: the messages already sent are skipped."""
        reply = ask.reply
        api = api_for(bot)
        wait = reply.get("quiet_until", 0) - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, settings.TELEGRAM_MAX_RETRY_AFTER_S))  # Telegram asked for this pause
        for index, message in enumerate(messages):
            if index < reply.get("parts_sent", 0):
                continue
            if index == 0 and reply.get("sent_id"):
                api.edit_message_text(chat_id=reply["chat_id"], message_id=reply["sent_id"], text=message)
            else:
                api.send_message(
                    chat_id=reply["chat_id"], text=message,
                    reply_to=reply.get("message_id") if index == 0 else None, wait_on_429=False,
                )  # fmt: skip
            reply["parts_sent"] = index + 1

    def format_citations(self, done: AnswerDone) -> str:
        return "\n".join(formatting.citation_lines(done.citations))

    def post_video(self, *, bot: Bot, place: Place, video: Video, text: str) -> None:
        api_for(bot).send_message(chat_id=int(place.post_room_id or place.external_id), text=formatting.escape(text))
