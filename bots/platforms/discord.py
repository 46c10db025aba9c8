"""Discord over HTTP interactions (no gateway connection).

Discord POSTs every interaction to /bots/discord/<application_id>/interactions/, signed with
Ed25519 over timestamp + raw body; we answer within 3 s: PONG to a PING, the choices of an
autocomplete, a short ephemeral message for /help and /channel, and for a question a deferred
response (type 5) while the bots queue answers it by editing ``@original`` and sending
follow-ups through the interaction webhook (no bot token needed there, valid 15 minutes).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from bots.http import request_json
from bots.models import PlatformName
from bots.platforms.base import Ask, Platform, ai_persona_line, split_message
from chat.models import AskerKind

if TYPE_CHECKING:
    from bots.models import Bot, Place
    from channels_app.models import Channel, Video
    from chat.events import AnswerDone

logger = logging.getLogger(__name__)

# Interaction types and response types (discord.com/developers/docs/interactions/receiving-and-responding).
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, AUTOCOMPLETE_RESULT = 1, 4, 5, 8
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
EPHEMERAL = 1 << 6
ADMINISTRATOR, MANAGE_GUILD = 1 << 3, 1 << 5
MAX_CHOICES = 25
EMBED_COLOUR = 0xE11D48
# What an answer may mention: nobody (an answer quoting "@everyone" must not ping a server).
NO_MENTIONS: dict[str, list] = {"parse": []}


@dataclass(frozen=True)
class Received:
    """What the endpoint answers Discord now, and the ask to queue, if any."""

    response: dict[str, Any]
    ask: Ask | None = None


def ephemeral(text: str) -> dict[str, Any]:
    return {"type": CHANNEL_MESSAGE, "data": {"content": text[:2000], "flags": EPHEMERAL, "allowed_mentions": NO_MENTIONS}}


def _escape(text: str) -> str:
    """Markdown-neutral text for a link label (a title with "]" or "*" must not break out)."""
    for char in "\\[]()*_`~|>#":
        text = text.replace(char, "\\" + char)
    return text


def _options(options: list[dict] | None) -> dict[str, dict]:
    return {option.get("name"): option for option in options or [] if isinstance(option, dict)}


def _user(payload: Mapping[str, Any]) -> dict[str, Any]:
    return (payload.get("member") or {}).get("user") or payload.get("user") or {}


def _permissions(payload: Mapping[str, Any]) -> int:
    try:
        return int((payload.get("member") or {}).get("permissions") or 0)
    except (TypeError, ValueError):
        return 0


def can_manage(payload: Mapping[str, Any]) -> bool:
    """The member may manage the server (Manage Server or Administrator), as Discord computed
    their permissions in this channel for this interaction."""
    permissions = _permissions(payload)
    return bool(permissions & (MANAGE_GUILD | ADMINISTRATOR))


HELP = (
    "I'm an AI persona built from a creator's YouTube videos. I answer from what they said, with "
    "links to the exact moments.\n"
    "• `/ask question:` ask (pick `channel:` to choose a persona)\n"
    "• Apps → Ask … on any message: ask that message as a question\n"
    "• `/channel` (server managers): set this channel's persona and new-video posts"
)


class DiscordPlatform(Platform):
    name = PlatformName.DISCORD
    asker_kind = AskerKind.DISCORD_MEMBER
    max_message_chars = 2000

    # --- incoming ---------------------------------------------------------------------------

    def verify(self, *, bot: Bot, headers: Mapping[str, str], body: bytes) -> bool:
        """Ed25519 over X-Signature-Timestamp + body with the application's public key, and a
        timestamp no older than DISCORD_INTERACTION_MAX_AGE_S (a replayed request is refused)."""
        signature = headers.get("X-Signature-Ed25519") or ""
        timestamp = headers.get("X-Signature-Timestamp") or ""
        if not signature or not timestamp or not bot.public_key:
            return False
        try:
            VerifyKey(bytes.fromhex(bot.public_key)).verify(timestamp.encode() + body, bytes.fromhex(signature))
        except (BadSignatureError, ValueError, TypeError):
            return False
        try:
            age = time.time() - float(timestamp)
        except ValueError:
            return False
        return abs(age) <= settings.DISCORD_INTERACTION_MAX_AGE_S

    def receive(self, *, bot: Bot, payload: Mapping[str, Any]) -> Received:
        """Turn a verified interaction into the immediate response and, for a question, an Ask."""
        from bots.services.places import discord_place_for_guild

        kind = payload.get("type")
        if kind == PING:
            return Received({"type": PONG})
        if kind not in {APPLICATION_COMMAND, AUTOCOMPLETE}:
            return Received(ephemeral("I only answer my commands: try /help."))
        guild_id = str(payload.get("guild_id") or "")
        place = discord_place_for_guild(bot=bot, guild_id=guild_id) if guild_id else None
        data = payload.get("data") or {}
        if kind == AUTOCOMPLETE:
            # Autocomplete must answer with choices (type 8), even when there are none to offer.
            return Received({"type": AUTOCOMPLETE_RESULT, "data": {"choices": self.choices(place=place, data=data)}})
        if not guild_id:
            return Received(ephemeral("Ask me in a server I'm installed in."))
        if place is None:
            return Received(ephemeral(
                "This server isn't linked to a Yoppy creator yet. A server manager can link it from "
                f"{settings.SITE_URL}/dashboard/discord/."
            ))  # fmt: skip
        if data.get("type") == MESSAGE_COMMAND:
            message = ((data.get("resolved") or {}).get("messages") or {}).get(str(data.get("target_id"))) or {}
            return self._ask(bot=bot, place=place, payload=payload, question=str(message.get("content") or ""))
        name = data.get("name")
        options = _options(data.get("options"))
        if name == "ask":
            question = str((options.get("question") or {}).get("value") or "")
            picked = str((options.get("channel") or {}).get("value") or "")
            return self._ask(bot=bot, place=place, payload=payload, question=question, picked=picked)
        if name == "channel":
            return Received(self._set_channel(place=place, payload=payload, options=options))
        if name == "help":
            return Received(ephemeral(HELP))
        return Received(ephemeral("I don't know that command: try /help."))

    def choices(self, *, place: Place | None, data: Mapping[str, Any]) -> list[dict[str, str]]:
        """At most 25 of the place's personas whose name contains what was typed."""
        from bots.selectors import place_channels

        if place is None:
            return []
        typed = ""
        for option in data.get("options") or []:
            if isinstance(option, dict) and option.get("focused"):
                typed = str(option.get("value") or "").strip()
        channels = place_channels(place=place)
        if typed:
            channels = channels.filter(title__icontains=typed)
        return [{"name": channel.display_name[:100], "value": str(channel.pk)} for channel in channels[:MAX_CHOICES]]

    def _pick(self, *, place: Place, picked: str) -> tuple[int | None, bool]:
        """The channel id a typed or chosen ``channel:`` value names; (None, False) when it
        names none of the place's channels."""
        from bots.selectors import place_channels

        if not picked:
            return None, True
        channels = place_channels(place=place)
        if picked.isdigit():
            channel = channels.filter(pk=int(picked)).first()
        else:
            channel = channels.filter(title__iexact=picked).first() or channels.filter(title__icontains=picked).first()
        return (channel.pk, True) if channel else (None, False)

    def _ask(self, *, bot: Bot, place: Place, payload: Mapping[str, Any], question: str, picked: str = "") -> Received:
        question = " ".join(question.split())
        if not question:
            return Received(ephemeral("That has no text to ask about. Try `/ask question:` with your question."))
        channel_id, known = self._pick(place=place, picked=picked)
        if not known:
            return Received(ephemeral("That persona isn't available in this server. Pick one from the list."))
        user = _user(payload)
        ask = Ask(
            bot_id=bot.pk, place_id=place.pk, room_id=str(payload.get("channel_id") or ""),
            user_id=str(user.get("id") or ""), user_name=str(user.get("global_name") or user.get("username") or ""),
            question=question, channel_id=channel_id,
            reply={"application_id": str(payload.get("application_id") or bot.external_id), "token": str(payload.get("token") or "")},
        )  # fmt: skip
        if not ask.user_id or not ask.reply["token"]:
            return Received(ephemeral("I couldn't read who asked. Please try again."))
        return Received({"type": DEFERRED_CHANNEL_MESSAGE}, ask=ask)

    def _set_channel(self, *, place: Place, payload: Mapping[str, Any], options: dict[str, dict]) -> dict[str, Any]:
        from bots.services.places import place_room_default_set

        if not can_manage(payload):
            return ephemeral("Only server managers (Manage Server) can choose this channel's persona.")
        picked = str((options.get("persona") or {}).get("value") or "")
        channel_id, known = self._pick(place=place, picked=picked)
        if channel_id is None or not known:
            return ephemeral("That persona isn't available in this server. Pick one from the list.")
        new_videos = (options.get("new_videos") or {}).get("value")
        channel = place_room_default_set(
            place=place, room_id=str(payload.get("channel_id") or ""), channel_id=channel_id,
            new_video_posts=new_videos if isinstance(new_videos, bool) else None,
        )  # fmt: skip
        text = f"This channel now asks {channel.display_name}."
        if new_videos is True:
            text += " New videos will be posted here."
        elif new_videos is False:
            text += " New-video posts are off."
        return ephemeral(text)

    # --- outgoing ---------------------------------------------------------------------------

    def _webhook(self, ask: Ask) -> str:
        return f"{settings.DISCORD_API_BASE}/webhooks/{ask.reply['application_id']}/{ask.reply['token']}"

    def _bot_headers(self, bot: Bot) -> dict[str, str]:
        return {"Authorization": f"Bot {bot.token()}"}

    def reply_progress(self, *, bot: Bot, ask: Ask, text: str) -> None:
        shown = split_message(text, self.max_message_chars - 2)[0] + " …"
        request_json("PATCH", f"{self._webhook(ask)}/messages/@original", json={"content": shown, "allowed_mentions": NO_MENTIONS})

    def format_citations(self, done: AnswerDone) -> dict[str, Any] | None:
        """One embed: each cited moment as "[n] title · 2:03" linked to watch?v=ID&t=123s."""
        lines = []
        for citation in done.citations:
            label = f"[{citation.number}] {_escape(citation.video_title or 'Video')} · {citation.timestamp}"
            lines.append(f"[{label}]({citation.url})" if citation.url else label)
        if not lines:
            return None
        description = ""
        for line in lines:  # an embed description holds 4,096 characters
            if len(description) + len(line) + 1 > 4096:
                break
            description += line + "\n"
        return {"title": "Sources", "description": description.rstrip(), "color": EMBED_COLOUR}

    def reply_final(self, *, bot: Bot, ask: Ask, done: AnswerDone, channel: Channel) -> None:
        footer = " · ".join(part for part in (done.confidence_label, ai_persona_line(channel)) if part)
        embed = self.format_citations(done) or {"color": EMBED_COLOUR}
        embed["footer"] = {"text": footer[:2048]}
        pieces = split_message(done.text, self.max_message_chars)
        for index, piece in enumerate(pieces):
            body: dict[str, Any] = {"content": piece, "allowed_mentions": NO_MENTIONS}
            if index == len(pieces) - 1:
                body["embeds"] = [embed]
            if index == 0:
                request_json("PATCH", f"{self._webhook(ask)}/messages/@original", json=body)
            else:
                request_json("POST", self._webhook(ask), json=body)

    def reply_notice(self, *, bot: Bot, ask: Ask, text: str) -> None:
        """The deferred reply was public; a refusal is for the asker only: the public placeholder
        goes and an ephemeral follow-up says what to do."""
        from bots.http import PlatformError

        try:
            request_json("DELETE", f"{self._webhook(ask)}/messages/@original")
        except PlatformError as exc:
            if exc.status == 429:
                raise
            logger.info("discord: @original could not be deleted: %s", exc)
        request_json(
            "POST", self._webhook(ask),
            json={"content": text[:2000], "flags": EPHEMERAL, "allowed_mentions": NO_MENTIONS},
        )  # fmt: skip

    def post_video(self, *, bot: Bot, place: Place, video: Video, text: str) -> None:
        request_json(
            "POST", f"{settings.DISCORD_API_BASE}/channels/{place.post_room_id}/messages",
            headers=self._bot_headers(bot), json={"content": text[:2000], "allowed_mentions": NO_MENTIONS},
        )  # fmt: skip

    # --- commands ---------------------------------------------------------------------------

    def commands(self, *, bot: Bot) -> list[dict[str, Any]]:
        """The application commands: /ask, /channel, /help and the "Ask <persona>" message command."""
        persona = bot.channel.display_name if bot.channel_id else "the persona"
        guild_only = {"contexts": [0], "integration_types": [0]}
        return [
            {
                "name": "ask", "type": CHAT_INPUT, **guild_only,
                "description": f"Ask {persona} a question"[:100],
                "options": [
                    {"type": 3, "name": "question", "description": "Your question", "required": True, "max_length": 2000},
                    {"type": 3, "name": "channel", "description": "Which persona (default: this channel's)", "autocomplete": True},
                ],
            },
            {
                "name": "channel", "type": CHAT_INPUT, **guild_only,
                "description": "Set this channel's persona and new-video posts (server managers)",
                "default_member_permissions": str(MANAGE_GUILD),
                "options": [
                    {"type": 3, "name": "persona", "description": "The persona", "required": True, "autocomplete": True},
                    {"type": 5, "name": "new_videos", "description": "Post this persona's new videos here"},
                ],
            },
            {"name": "help", "type": CHAT_INPUT, **guild_only, "description": "What this bot does and how to ask"},
            {"name": f"Ask {persona}"[:32], "type": MESSAGE_COMMAND, **guild_only},
        ]  # fmt: skip
