"""Telegram ``Update`` objects (core.telegram.org/bots/api#update) turned into one neutral value.

Pure code, no database or network: the webhook stores the raw update, the job parses it here and
acts on ``Incoming.kind``. Payloads from outside are untrusted: every field is read defensively,
so a missing or oddly typed field makes an update ``ignored``, never an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["command", "text", "media", "edited", "callback", "inline", "member", "ignored"]

# A message with any of these and no text is media: the bot answers text questions only.
_MEDIA_KEYS = (
    "audio", "document", "photo", "sticker", "video", "video_note", "voice", "animation", "contact",
    "location", "venue", "poll", "dice",
)  # fmt: skip
_COMMAND = re.compile(r"^/(?P<name>[A-Za-z0-9_]{1,32})(?:@(?P<bot>[A-Za-z0-9_]{3,64}))?(?:\s+(?P<args>.*))?$", re.S)


@dataclass(frozen=True)
class Incoming:
    """What an update asks of the bot. ``text`` is the question or the command's arguments, with
    the bot's mention taken out."""

    update_id: int
    kind: Kind
    chat_id: int = 0
    chat_type: str = ""  # private, group, supergroup, channel
    chat_title: str = ""
    user_id: int = 0
    user_name: str = ""
    message_id: int = 0
    text: str = ""
    command: str = ""  # lower case, without "/" and "@bot"
    addressed: bool = False  # in a group: the bot was mentioned, replied to, or named in a command
    forwarded: bool = False
    callback_id: str = ""
    callback_data: str = ""
    inline_query_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_private(self) -> bool:
        return self.chat_type == "private"

    @property
    def is_group(self) -> bool:
        return self.chat_type in {"group", "supergroup"}


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value):
        return int(value)
    return 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _user_name(user: dict) -> str:
    return " ".join(part for part in (_str(user.get("first_name")), _str(user.get("last_name"))) if part)


def _chat_type(chat: dict) -> str:
    # Telegram's own early examples omit the type; a private chat's id is the user's (positive),
    # a group's is negative.
    kind = _str(chat.get("type"))
    if kind:
        return kind
    return "private" if _int(chat.get("id")) > 0 else "group"


def parse(update: Any, *, bot_id: int, bot_username: str) -> Incoming:
    """The update as an ``Incoming``; ``bot_id``/``bot_username`` tell mentions of this bot apart
    from mentions of anyone else."""
    update = _dict(update)
    update_id = _int(update.get("update_id"))
    if "message" in update:
        return _message(update_id, _dict(update["message"]), bot_id=bot_id, bot_username=bot_username)
    if "edited_message" in update:
        base = _message(update_id, _dict(update["edited_message"]), bot_id=bot_id, bot_username=bot_username)
        return Incoming(**{**base.__dict__, "kind": "edited" if base.kind != "ignored" else "ignored"})
    if "callback_query" in update:
        query = _dict(update["callback_query"])
        sender = _dict(query.get("from"))
        message = _dict(query.get("message"))
        chat = _dict(message.get("chat"))
        return Incoming(
            update_id=update_id, kind="callback", chat_id=_int(chat.get("id")),
            chat_type=_chat_type(chat) if chat else "", user_id=_int(sender.get("id")),
            user_name=_user_name(sender), message_id=_int(message.get("message_id")),
            callback_id=_str(query.get("id")) or str(_int(query.get("id")) or ""),
            callback_data=_str(query.get("data")),
        )  # fmt: skip
    if "inline_query" in update:
        query = _dict(update["inline_query"])
        sender = _dict(query.get("from"))
        # Telegram sends the id as a string; its own old examples as a number.
        query_id = query.get("id")
        return Incoming(
            update_id=update_id, kind="inline", user_id=_int(sender.get("id")), user_name=_user_name(sender),
            text=" ".join(_str(query.get("query")).split()), inline_query_id=_str(query_id) or str(_int(query_id) or ""),
        )  # fmt: skip
    if "my_chat_member" in update:
        member = _dict(update["my_chat_member"])
        chat = _dict(member.get("chat"))
        status = _str(_dict(member.get("new_chat_member")).get("status"))
        return Incoming(
            update_id=update_id, kind="member", chat_id=_int(chat.get("id")), chat_type=_chat_type(chat),
            chat_title=_str(chat.get("title")), user_id=_int(_dict(member.get("from")).get("id")),
            extra={"status": status},
        )  # fmt: skip
    return Incoming(update_id=update_id, kind="ignored")


def _message(update_id: int, message: dict, *, bot_id: int, bot_username: str) -> Incoming:
    chat = _dict(message.get("chat"))
    sender = _dict(message.get("from"))
    if not chat or not sender or sender.get("is_bot") is True:
        return Incoming(update_id=update_id, kind="ignored")  # channel posts, other bots
    base = {
        "update_id": update_id, "chat_id": _int(chat.get("id")), "chat_type": _chat_type(chat),
        "chat_title": _str(chat.get("title")), "user_id": _int(sender.get("id")), "user_name": _user_name(sender),
        "message_id": _int(message.get("message_id")),
        "forwarded": any(key in message for key in ("forward_origin", "forward_from", "forward_from_chat", "forward_date")),
    }  # fmt: skip
    text = _str(message.get("text"))
    if not text:
        return Incoming(**base, kind="media" if any(key in message for key in _MEDIA_KEYS) else "ignored")
    entities = [e for e in message.get("entities") or [] if isinstance(e, dict)]
    reply_from = _dict(_dict(message.get("reply_to_message")).get("from"))
    replied_to_bot = bool(bot_id) and _int(reply_from.get("id")) == bot_id
    mentioned, text_without = _mentions(text, entities, bot_id=bot_id, bot_username=bot_username)
    command = _COMMAND.match(text.strip())
    if command and not base["forwarded"]:
        # A command names a bot ("/channel@yoppy_bot") or none; one naming another bot is not ours.
        named = command["bot"]
        if named and named.lower() != bot_username.lower():
            return Incoming(**base, kind="ignored")
        return Incoming(
            **base, kind="command", command=command["name"].lower(), text=" ".join((command["args"] or "").split()),
            addressed=bool(named) or mentioned or replied_to_bot,
        )  # fmt: skip
    return Incoming(
        **base, kind="text", text=" ".join(text_without.split()), addressed=mentioned or replied_to_bot,
    )  # fmt: skip


def _utf16_slice(text: str, offset: int, length: int) -> tuple[int, int]:
    """Python indexes of the entity at UTF-16 ``offset``/``length`` (how Telegram counts)."""
    units = 0
    start = end = None
    for index, char in enumerate(text):
        if units == offset and start is None:
            start = index
        units += 2 if ord(char) > 0xFFFF else 1
        if units == offset + length:
            end = index + 1
            break
    if start is None:
        start = len(text)
    return start, end if end is not None else len(text)


def _mentions(text: str, entities: list[dict], *, bot_id: int, bot_username: str) -> tuple[bool, str]:
    """Whether the bot is mentioned (``@username`` or a text mention of its id), and the text
    without those mentions (the question)."""
    spans = []
    for entity in entities:
        start, end = _utf16_slice(text, _int(entity.get("offset")), _int(entity.get("length")))
        kind = entity.get("type")
        by_name = kind == "mention" and bool(bot_username) and text[start:end].lower() == f"@{bot_username.lower()}"
        by_id = kind == "text_mention" and bool(bot_id) and _int(_dict(entity.get("user")).get("id")) == bot_id
        if by_name or by_id:
            spans.append((start, end))
    if not spans and not entities and bot_username:
        # No entities at all (hand-written payloads): a plain "@username" still counts.
        found = re.search(rf"(?<!\w)@{re.escape(bot_username)}\b", text, re.I)
        if found:
            spans.append(found.span())
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return bool(spans), text
