"""The shape every messenger platform has. See bots/__init__.py for how a platform plugs in."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings

from chat.models import AskerKind

if TYPE_CHECKING:
    from bots.models import Bot, Place
    from channels_app.models import Channel, Video
    from chat.events import AnswerDone
    from chat.services.askers import QuotaPool


@dataclass(frozen=True)
class Ask:
    """A question someone asked a bot, in neutral terms, as the relay job receives it (JSON).

    ``room_id``: where inside the place it was asked (a Discord text channel, a Telegram chat);
    ``user_id``/``user_name``: the platform user; ``channel_id``: the persona they picked, if they
    picked one; ``reply``: whatever the platform needs to answer this ask (Discord: the
    interaction token; Telegram: chat id and message id). Only the platform reads ``reply``."""

    bot_id: int
    place_id: int
    room_id: str
    user_id: str
    user_name: str
    question: str
    channel_id: int | None = None
    reply: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ask:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


class Platform(ABC):
    """One messenger. Subclasses fill in the inside; the relay and the new-video posts only call
    these methods, so they work the same for every platform."""

    name: str  # a bots.models.PlatformName value
    asker_kind: AskerKind
    # The longest message the platform accepts; longer answers continue in further messages.
    max_message_chars: int = 2000

    @property
    def edit_interval_s(self) -> float:
        """Least time between two edits of a streaming reply."""
        return settings.BOTS_EDIT_INTERVAL_S

    # --- incoming -------------------------------------------------------------------------

    @abstractmethod
    def verify(self, *, bot: Bot, headers: Mapping[str, str], body: bytes) -> bool:
        """True when the request really comes from the platform for ``bot`` (signature, secret).
        Called on the raw body before anything is parsed; False means 401 and nothing queued."""

    def asker_ref(self, *, place: Place, user_id: str) -> str:
        """Whose conversations these are (chat.models.Conversation.asker_ref): by default one
        per member per place, so a member goes on where they left off in that place."""
        return f"{place.external_id}:{user_id}"

    def anonymous_pool(self, *, place: Place, user_id: str) -> QuotaPool | None:
        """What pays for an unlinked user's question in a place no account pays for (no linked
        account, no branded owner); None: such a place cannot ask (the default)."""
        return None

    # --- outgoing (called from the bots queue, never from the request) ----------------------

    @abstractmethod
    def reply_progress(self, *, bot: Bot, ask: Ask, text: str) -> None:
        """Show the answer so far (edit the reply). May raise bots.http.RateLimited."""

    @abstractmethod
    def reply_final(self, *, bot: Bot, ask: Ask, done: AnswerDone, channel: Channel) -> None:
        """Replace the reply with the final answer, its citations (``format_citations``), the
        confidence and the AI-persona line; split over several messages when too long."""

    @abstractmethod
    def reply_notice(self, *, bot: Bot, ask: Ask, text: str) -> None:
        """A short message only the asker sees where the platform allows it (a refusal, a quota
        used up, an error): it replaces the pending reply."""

    @abstractmethod
    def format_citations(self, done: AnswerDone) -> Any:
        """AnswerDone.citations in the platform's own format (a Discord embed, Telegram HTML)."""

    @abstractmethod
    def post_video(self, *, bot: Bot, place: Place, video: Video, text: str) -> None:
        """Post ``text`` (a new video's note, with its link) to the place's post room."""


def ai_persona_line(channel: Channel) -> str:
    """The line every bot answer ends with: this is an AI, not the creator."""
    return f"AI persona of {channel.display_name}, built from their videos — not the creator themselves."


def split_message(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at a paragraph, line or sentence
    end when one is in the second half of the piece, else at a space, else hard."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = -1
        for separator in ("\n\n", "\n", ". ", "! ", "? ", " "):
            at = window.rfind(separator)
            if at >= limit // 2:
                cut = at + len(separator.rstrip(" ")) if separator.strip() else at
                break
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces or [""]
