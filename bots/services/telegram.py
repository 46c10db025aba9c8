"""Telegram updates, handled on the ``bots`` queue after the webhook acknowledged them.

``telegram_update_handle`` turns a parsed update (bots.telegram.updates.Incoming) into its effect:
a question goes through the bots relay (answer core, streaming, quotas); the commands, the
``/channel`` buttons and inline queries are answered here. Setting bots up (the shared bot from
the environment, creators' branded bots) is here too.
"""

from __future__ import annotations

import logging
import re
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from bots.models import Bot, ConversationRestart, Place, PlatformName
from bots.platforms import Ask, platform_for
from bots.selectors import place_channel_for_ask, place_channels, platform_user_account
from bots.services import relay
from bots.services.link_codes import LinkCodeError, link_code_redeem
from bots.services.places import place_room_default_set, place_settings_update
from bots.telegram import formatting
from bots.telegram.client import BotApi, TelegramError, TelegramUnavailable
from bots.telegram.moments import moments_best
from bots.telegram.updates import Incoming
from channels_app.models import Channel
from chat.services.askers import _redis

logger = logging.getLogger(__name__)

ADMIN_STATUSES = {"creator", "administrator"}
CHANNEL_BUTTONS = 8
INLINE_RESULTS = 5
# Inline queries arrive as the user types: at most this many are searched per user per minute,
# and only the newest of a user's queries (older ones are stale by the time a worker gets them).
INLINE_PER_MINUTE = 20
INLINE_MIN_CHARS = 3
TEXT_ONLY = "I answer text questions: send me your question as a message."
TOKEN_SHAPE = re.compile(r"^\d{5,20}:[A-Za-z0-9_-]{30,80}$")


def _api(bot: Bot) -> BotApi:
    return BotApi(bot.token())


def _send(bot: Bot, incoming: Incoming, text_html: str, *, reply_markup: dict | None = None) -> None:
    _api(bot).send_message(
        chat_id=incoming.chat_id, text=text_html, reply_markup=reply_markup,
        reply_to=incoming.message_id if incoming.is_group else None,
    )  # fmt: skip


def telegram_place_for_chat(*, bot: Bot, incoming: Incoming) -> Place:
    """The place of this chat, made on first contact. A branded bot's chats are its owner's (they
    pay for unlinked members, under the bot's daily cap); the shared bot's belong to nobody
    (unlinked members ask on the free allowance)."""
    place, created = Place.objects.get_or_create(
        bot=bot, external_id=str(incoming.chat_id),
        defaults={"kind": incoming.chat_type, "title": (incoming.chat_title or incoming.user_name)[:200],
                  "account": None if bot.is_shared else bot.owner,
                  "member_daily_cap": settings.TELEGRAM_DAILY_CAP_PER_USER},
    )  # fmt: skip
    if not created and incoming.chat_title and place.title != incoming.chat_title[:200]:
        Place.objects.filter(pk=place.pk).update(title=incoming.chat_title[:200])
    return place


def _persona(place: Place, *, room_id: str) -> Channel | None:
    return place_channel_for_ask(place=place, room_id=room_id, channel_id=None)


# --- dispatch ----------------------------------------------------------------------------------


def telegram_update_handle(*, bot: Bot, incoming: Incoming) -> str:
    """Act on one update; returns what was done (for logs and tests). Telegram errors on the
    short replies are logged, not raised: the update was handled, a lost "help" is no reason to
    run it again."""
    handler = {
        "command": _command, "text": _text, "media": _not_text, "edited": _not_text,
        "callback": _callback, "inline": _inline,
    }.get(incoming.kind)  # fmt: skip
    if handler is None:
        return "ignored"
    try:
        return handler(bot, incoming)
    except TelegramUnavailable as exc:
        logger.warning("telegram bot %s: update %s: %s", bot.pk, incoming.update_id, exc)
        raise  # Telegram itself is down: the job fails and shows in the RQ console
    except TelegramError as exc:
        logger.warning("telegram bot %s: update %s: %s", bot.pk, incoming.update_id, exc)
        return "telegram-error"


def _not_text(bot: Bot, incoming: Incoming) -> str:
    if not incoming.is_private:
        return "ignored"  # a group's photos and edits are not for the bot
    _send(bot, incoming, formatting.escape(TEXT_ONLY))
    return "text-only"


def _text(bot: Bot, incoming: Incoming) -> str:
    if incoming.is_group and not incoming.addressed:
        return "ignored"
    if not (incoming.is_private or incoming.is_group):
        return "ignored"
    if not incoming.text:
        _send(bot, incoming, formatting.escape("Ask me a question about the videos."))
        return "empty"
    return _ask(bot, incoming, question=incoming.text)


def _ask(bot: Bot, incoming: Incoming, *, question: str) -> str:
    place = telegram_place_for_chat(bot=bot, incoming=incoming)
    room_id = str(incoming.chat_id)
    if _persona(place, room_id=room_id) is None:
        who = "a group admin" if incoming.is_group else "you"
        _send(bot, incoming, formatting.escape(f"No persona is chosen for this chat yet: {who} can pick one with /channel."))
        return "no-persona"
    ask = Ask(
        bot_id=bot.pk, place_id=place.pk, room_id=room_id, user_id=str(incoming.user_id),
        user_name=incoming.user_name, question=question,
        reply={"chat_id": incoming.chat_id, "message_id": incoming.message_id, "private": incoming.is_private,
               # Non-zero and stable for this question: redelivered drafts animate the same bubble.
               "draft_id": incoming.update_id or 1},
    )  # fmt: skip
    return relay.ask_answer(platform=platform_for(PlatformName.TELEGRAM), ask=ask)


# --- commands ----------------------------------------------------------------------------------


def _command(bot: Bot, incoming: Incoming) -> str:
    if incoming.is_group and not incoming.addressed and incoming.command not in {"channel", "help", "new", "start"}:
        return "ignored"
    handler = {
        "start": _start, "help": _help, "new": _new, "connect": _connect, "channel": _channel,
    }.get(incoming.command)  # fmt: skip
    if handler is None:
        if incoming.is_private:
            _send(bot, incoming, formatting.escape("I don't know that command. Send /help to see what I do."))
            return "unknown-command"
        return "ignored"
    return handler(bot, incoming)


def _about(bot: Bot, place: Place | None, *, room_id: str) -> str:
    channel = _persona(place, room_id=room_id) if place is not None else None
    if channel is not None:
        name = formatting.escape(channel.display_name)
        return (f"I'm the AI persona of <b>{name}</b>: an AI built from {name}'s YouTube videos, not {name} "
                "themselves. I answer from what they said, with links to the exact moments.")  # fmt: skip
    return ("I'm a Yoppy AI persona: an AI built from a YouTube creator's videos. I answer from what they "
            "said, with links to the exact moments. Pick whose videos to ask with /channel.")  # fmt: skip


def _how_to(incoming: Incoming, bot: Bot) -> str:
    mention = f"@{formatting.escape(bot.username)}" if bot.username else "me"
    if incoming.is_group:
        ask = f"Mention {mention} with your question, or reply to one of my answers."
    else:
        ask = "Just send your question as a message."
    return (f"{ask}\n\n/channel: choose the persona\n/new: start a fresh conversation\n"
            "/connect &lt;code&gt;: link your Yoppy account (the code is on your Yoppy dashboard)\n"
            f"/help: this message\n\nIn any chat, type {mention} and a question to share a cited moment.")  # fmt: skip


def _start(bot: Bot, incoming: Incoming) -> str:
    if incoming.is_private and incoming.text:
        # t.me/<bot>?start=<code>, the dashboard's link, arrives as "/start <code>".
        return _connect(bot, incoming)
    place = telegram_place_for_chat(bot=bot, incoming=incoming)
    _send(bot, incoming, _about(bot, place, room_id=str(incoming.chat_id)) + "\n\n" + _how_to(incoming, bot))
    return "start"


def _help(bot: Bot, incoming: Incoming) -> str:
    _send(bot, incoming, _how_to(incoming, bot))
    return "help"


def _new(bot: Bot, incoming: Incoming) -> str:
    place = telegram_place_for_chat(bot=bot, incoming=incoming)
    with transaction.atomic():
        restart, created = ConversationRestart.objects.get_or_create(
            place=place, external_user_id=str(incoming.user_id), defaults={"number": 1}
        )
        if not created:
            ConversationRestart.objects.filter(pk=restart.pk).update(number=F("number") + 1)
    _send(bot, incoming, formatting.escape("Fresh start: your next question begins a new conversation."))
    return "new"


def _connect(bot: Bot, incoming: Incoming) -> str:
    if not incoming.is_private:
        _send(bot, incoming, formatting.escape("Send /connect in a private chat with me: the code is yours alone."))
        return "connect-in-group"
    try:
        user = link_code_redeem(platform=PlatformName.TELEGRAM, code=incoming.text, external_user_id=str(incoming.user_id))
    except LinkCodeError as exc:
        _send(bot, incoming, formatting.escape(str(exc)))
        return "connect-refused"
    _send(bot, incoming, formatting.escape(
        f"Linked to your Yoppy account ({user.email}). Your questions now count on your own plan."
    ))  # fmt: skip
    return "connected"


def _is_admin(bot: Bot, *, chat_id: int, user_id: int) -> bool:
    return _api(bot).chat_member_status(chat_id=chat_id, user_id=user_id) in ADMIN_STATUSES


def _choices(bot: Bot, place: Place, *, search: str) -> list[Channel]:
    if bot.channel_id:
        return list(place_channels(place=place))
    channels = Channel.objects.visible_to(None).filter(status__in=[Channel.Status.READY, Channel.Status.READY_WITH_ERRORS])
    if search:
        channels = channels.filter(title__icontains=search)
    return list(channels.order_by("-chunks_count", "title", "pk")[:CHANNEL_BUTTONS])


def _keyboard(channels: list[Channel], *, place: Place, group: bool) -> dict:
    rows = [[{"text": channel.display_name[:60], "callback_data": f"ch:{channel.pk}"}] for channel in channels]
    if group:
        state = "on" if place.new_video_posts else "off"
        flip = "0" if place.new_video_posts else "1"
        rows.append([{"text": f"New-video posts here: {state} (tap to switch)", "callback_data": f"np:{flip}"}])
    return {"inline_keyboard": rows}


def _channel(bot: Bot, incoming: Incoming) -> str:
    if incoming.is_group and not _is_admin(bot, chat_id=incoming.chat_id, user_id=incoming.user_id):
        _send(bot, incoming, formatting.escape("Only a group admin can choose this group's persona."))
        return "not-admin"
    place = telegram_place_for_chat(bot=bot, incoming=incoming)
    channels = _choices(bot, place, search=incoming.text)
    current = _persona(place, room_id=str(incoming.chat_id))
    if bot.channel_id and not incoming.is_group:
        name = formatting.escape(current.display_name) if current else "its creator"
        _send(bot, incoming, f"This bot answers as the AI persona of <b>{name}</b>.")
        return "channel-branded"
    if not channels:
        found = f' matching "{formatting.escape(incoming.text)}"' if incoming.text else ""
        _send(bot, incoming, f"No public persona{found} is ready yet.")
        return "channel-none"
    now = f"Now: <b>{formatting.escape(current.display_name)}</b>. " if current else ""
    hint = "" if incoming.text or bot.channel_id else " (or /channel &lt;name&gt; to search)"
    _send(bot, incoming, f"{now}Choose whose videos to ask{hint}:",
          reply_markup=_keyboard(channels, place=place, group=incoming.is_group))  # fmt: skip
    return "channel-menu"


def _callback(bot: Bot, incoming: Incoming) -> str:
    api = _api(bot)
    kind, _, value = incoming.callback_data.partition(":")
    if kind not in {"ch", "np"} or not incoming.chat_id or not value.isdigit():
        api.answer_callback_query(callback_query_id=incoming.callback_id, text="That button is no longer active.")
        return "callback-stale"
    group = incoming.is_group
    # Anyone in a group can press a button under the admin's /channel: the presser is checked.
    if group and not _is_admin(bot, chat_id=incoming.chat_id, user_id=incoming.user_id):
        api.answer_callback_query(callback_query_id=incoming.callback_id, text="Only a group admin can change this.")
        return "not-admin"
    place = telegram_place_for_chat(bot=bot, incoming=incoming)
    if kind == "np":
        if not group:
            api.answer_callback_query(callback_query_id=incoming.callback_id)
            return "callback-stale"
        on = value == "1"
        telegram_place_settings_update(place=place, new_video_posts=on)
        api.answer_callback_query(
            callback_query_id=incoming.callback_id, text="New videos will be posted here." if on else "No more new-video posts here."
        )  # fmt: skip
        return "posts-on" if on else "posts-off"
    channel = _pickable(bot, place, channel_id=int(value))
    if channel is None:
        api.answer_callback_query(callback_query_id=incoming.callback_id, text="That persona isn't available.")
        return "channel-unavailable"
    if not bot.channel_id:
        place.channels.add(channel)
    place_room_default_set(place=place, room_id=str(incoming.chat_id), channel_id=channel.pk)
    api.answer_callback_query(callback_query_id=incoming.callback_id, text=f"Now answering as {channel.display_name}")
    if incoming.message_id:
        api.edit_message_text(
            chat_id=incoming.chat_id, message_id=incoming.message_id,
            text=f"This chat now asks the AI persona of <b>{formatting.escape(channel.display_name)}</b>. Ask away!",
        )  # fmt: skip
    return "channel-set"


def _pickable(bot: Bot, place: Place, *, channel_id: int) -> Channel | None:
    """A persona this chat may choose: a branded bot's own channel, or for the shared bot any
    public channel that is ready (never a private one, whoever asks)."""
    if bot.channel_id:
        return place_channels(place=place).filter(pk=channel_id).first()
    return (
        Channel.objects.visible_to(None)
        .filter(pk=channel_id, status__in=[Channel.Status.READY, Channel.Status.READY_WITH_ERRORS])
        .first()
    )


# --- inline mode -------------------------------------------------------------------------------


def _inline_key(bot: Bot, user_id: int) -> str:
    return f"yoppy:bots:telegram-inline:{bot.pk}:{user_id}"


def inline_query_note(*, bot: Bot, user_id: int, inline_query_id: str) -> None:
    """Called by the webhook: this is the user's newest inline query (older ones go stale)."""
    _redis(settings.REDIS_URL).set(_inline_key(bot, user_id), inline_query_id, ex=120)


def _inline_persona(bot: Bot, user_id: int) -> Channel | None:
    if bot.channel_id:
        return Channel.objects.visible_to(None).filter(pk=bot.channel_id).first() or (
            Channel.objects.alive().filter(pk=bot.channel_id, owner=bot.owner).first()
        )
    place = Place.objects.filter(bot=bot, external_id=str(user_id)).select_related("bot", "account").first()
    return _persona(place, room_id=str(user_id)) if place is not None else None


def _inline(bot: Bot, incoming: Incoming) -> str:
    api = _api(bot)
    counters = _redis(settings.REDIS_URL)
    newest = counters.get(_inline_key(bot, incoming.user_id))
    if newest is not None and newest.decode() != incoming.inline_query_id:
        return "inline-stale"
    persona = _inline_persona(bot, incoming.user_id)
    if persona is None:
        api.answer_inline_query(
            inline_query_id=incoming.inline_query_id, results=[], cache_time=10,
            button={"text": "Choose a persona first", "start_parameter": "choose"},
        )  # fmt: skip
        return "inline-no-persona"
    if len(incoming.text) < INLINE_MIN_CHARS:
        api.answer_inline_query(
            inline_query_id=incoming.inline_query_id, results=[], cache_time=60,
            button={"text": f"Type a question for {persona.display_name[:40]}", "start_parameter": "help"},
        )  # fmt: skip
        return "inline-short"
    key = f"yoppy:bots:telegram-inline-count:{bot.pk}:{incoming.user_id}"
    pipe = counters.pipeline()
    pipe.incr(key)
    pipe.expire(key, 60)
    if pipe.execute()[0] > INLINE_PER_MINUTE:
        return "inline-throttled"
    moments = moments_best(question=incoming.text, channel=persona, limit=INLINE_RESULTS)
    results = [_inline_result(moment, persona=persona) for moment in moments]
    button = None if results else {"text": "Not in the videos: ask in a private chat", "start_parameter": "ask"}
    # Results depend only on the persona and the words: Telegram may reuse them for 5 minutes.
    api.answer_inline_query(inline_query_id=incoming.inline_query_id, results=results, cache_time=300, button=button)
    return "inline-answered" if results else "inline-nothing"


def _inline_result(moment, *, persona: Channel) -> dict:
    citation = moment.citation
    quote = moment.quote if len(moment.quote) <= 600 else moment.quote[:599].rsplit(" ", 1)[0] + "…"
    title = f"{citation.video_title} · {citation.timestamp}"
    text = (
        f"“{formatting.escape(quote)}”\n— <a href=\"{formatting.escape(citation.url).replace(chr(34), '&quot;')}\">"
        f"{formatting.escape(title)}</a>\n\n{formatting.persona_line(persona.display_name)}"
    )
    return {
        "type": "article", "id": f"{citation.video_id}-{citation.second}"[:64], "title": title[:100],
        "description": quote[:200], "url": citation.url,
        "input_message_content": {"message_text": text, "parse_mode": "HTML",
                                  "link_preview_options": {"is_disabled": True}},
    }  # fmt: skip


# --- bots: the shared one and creators' branded ones --------------------------------------------


class BotSetupError(Exception):
    """A bot could not be set up; the message is for the creator, as is."""


def webhook_url(bot_external_id: str) -> str:
    return settings.SITE_URL + reverse("bots:telegram-webhook", args=[bot_external_id])


def _webhook_register(*, api: BotApi, bot: Bot) -> None:
    """A fresh random secret_token, given to setWebhook and kept encrypted on the bot."""
    secret = secrets.token_urlsafe(48)  # A-Z a-z 0-9 _ -: the alphabet Telegram allows, 64 chars
    try:
        api.set_webhook(url=webhook_url(bot.external_id), secret_token=secret)
    except TelegramUnavailable:
        raise BotSetupError("Telegram could not be reached to set the webhook. Try again in a minute.") from None
    except TelegramError as exc:
        raise BotSetupError(f"Telegram refused the webhook: {exc.description or exc.error_code}.") from None
    bot.set_webhook_secret(secret)
    bot.save(update_fields=["webhook_secret_encrypted", "updated_at"])


def telegram_shared_bot_setup() -> Bot:
    """The shared bot from TELEGRAM_BOT_TOKEN: checked with getMe, its row made or updated and
    its webhook set (``manage.py telegram_webhook``). Raises BotSetupError."""
    token = settings.TELEGRAM_BOT_TOKEN
    if not token:
        raise BotSetupError("TELEGRAM_BOT_TOKEN is not set.")
    api = BotApi(token)
    me = _get_me(api)
    bot, _ = Bot.objects.update_or_create(
        platform=PlatformName.TELEGRAM, external_id=str(me.id),
        defaults={"is_shared": True, "name": me.first_name[:100], "username": me.username[:100],
                  "status": Bot.Status.ACTIVE},
    )  # fmt: skip
    _webhook_register(api=api, bot=bot)
    return bot


def _get_me(api: BotApi):
    try:
        return api.get_me()
    except TelegramUnavailable:
        raise BotSetupError("Telegram could not be reached to check the token. Try again in a minute.") from None
    except TelegramError as exc:
        if exc.unauthorized:
            raise BotSetupError("Telegram rejected this token. Copy it again from @BotFather (/token).") from None
        raise BotSetupError(f"Telegram refused the token check: {exc.description or exc.error_code}.") from None


def telegram_branded_bot_setup(*, owner, channel: Channel, token: str) -> Bot:
    """A creator's own bot for ``channel``: the token checked with getMe, stored encrypted, the
    webhook set with a random secret. Pasting a new token for the same bot replaces the old one.
    Precondition: ``channel`` is ``owner``'s. Raises BotSetupError with what to do."""
    token = token.strip()
    if not TOKEN_SHAPE.match(token):
        raise BotSetupError("That doesn't look like a bot token: it is a number, a colon and about 35 letters, from @BotFather.")
    if token == settings.TELEGRAM_BOT_TOKEN:
        raise BotSetupError("That is Yoppy's own bot. Create your own bot with @BotFather and paste its token.")
    api = BotApi(token)
    me = _get_me(api)
    existing = Bot.objects.filter(platform=PlatformName.TELEGRAM, external_id=str(me.id)).first()
    if existing is not None and (existing.is_shared or existing.owner_id != owner.pk):
        raise BotSetupError("This bot is already set up on Yoppy by another account.")
    with transaction.atomic():
        bot = existing or Bot(platform=PlatformName.TELEGRAM, external_id=str(me.id), owner=owner)
        bot.channel = channel
        bot.name, bot.username = me.first_name[:100], me.username[:100]
        bot.status, bot.revoked_at = Bot.Status.ACTIVE, None
        bot.set_token(token)
        bot.save()
    _webhook_register(api=api, bot=bot)
    return bot


def telegram_place_settings_update(
    *, place: Place, member_daily_cap: int | None = None, new_video_posts: bool | None = None
) -> Place:
    """A chat's daily cap and new-video posts; the posts go to the chat itself (a Telegram place
    is one chat), so switching them on or off sets where they are posted."""
    place = place_settings_update(place=place, member_daily_cap=member_daily_cap, new_video_posts=new_video_posts)
    if new_video_posts is not None:
        place.post_room_id = place.external_id if new_video_posts else ""
        place.save(update_fields=["post_room_id"])
    return place


def telegram_bot_revoke(*, bot: Bot) -> Bot:
    """Stop a Telegram bot: Telegram is told to stop sending (best effort), then the core revokes
    it (token and secret erased for a branded bot)."""
    from bots.services.bots import bot_revoke

    try:
        if bot.token():
            _api(bot).delete_webhook()
    except TelegramError as exc:
        logger.warning("telegram bot %s: deleteWebhook failed on revoke: %s", bot.pk, exc)
    return bot_revoke(bot=bot)


def telegram_account_for(*, external_user_id: str):
    return platform_user_account(platform=PlatformName.TELEGRAM, external_user_id=external_user_id)
