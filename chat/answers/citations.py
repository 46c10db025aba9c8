"""Citations: the numbered moments of videos an answer quotes, and the [n] markers that point at them.

Pure functions, no database. A citation's number is what "[n]" in the answer refers to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from yoppy.transcripts import is_youtube_video_id

if TYPE_CHECKING:
    from chat.retrieval import Passage


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: a moment of a video. ``number`` is what [n] refers to."""

    number: int
    video_id: int
    video_title: str
    youtube_id: str
    start_s: float
    end_s: float
    thumbnail_url: str = ""

    @property
    def second(self) -> int:
        """Whole second the moment starts at; links, the player and the label all use this one."""
        return max(0, int(self.start_s))

    @classmethod
    def of(cls, passage: Passage, *, number: int, start_s: float, end_s: float) -> Citation:
        """The moment start_s..end_s of ``passage``'s video as citation ``number``."""
        return cls(
            number=number, video_id=passage.video_id, video_title=passage.video_title,
            youtube_id=passage.youtube_id, start_s=float(start_s), end_s=float(end_s),
            thumbnail_url=passage.thumbnail_url or "",
        )  # fmt: skip

    @property
    def player_id(self) -> str:
        """The YouTube id the page's player may load, or "" when the stored one is not a valid id
        (the page writes it into an attribute: only a checked id gets there)."""
        return _youtube_id(self.youtube_id)

    @property
    def url(self) -> str:
        """The moment on YouTube, or "" when the video has no (valid) YouTube id."""
        if not _youtube_id(self.youtube_id):
            return ""
        return f"https://www.youtube.com/watch?v={_youtube_id(self.youtube_id)}&t={self.second}s"

    @property
    def embed_url(self) -> str:
        """The privacy-enhanced embed, starting at the moment and playing; "" without an id."""
        if not _youtube_id(self.youtube_id):
            return ""
        return f"https://www.youtube-nocookie.com/embed/{_youtube_id(self.youtube_id)}?start={self.second}&autoplay=1"

    @property
    def timestamp(self) -> str:
        """The moment as "2:03", or "1:02:03" from an hour on."""
        return _clock(self.second)

    def as_dict(self) -> dict[str, Any]:
        """JSON for the final SSE event and for ``Message.citations``; read back by
        ``citations_from_dicts`` and by templates/chat/_message.html and static/js/chat.js."""
        return {
            "number": self.number,
            "video_id": self.video_id,
            "video_title": self.video_title,
            "youtube_id": self.youtube_id,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "thumbnail_url": self.thumbnail_url,
            "url": self.url,
            "embed_url": self.embed_url,
            "timestamp": self.timestamp,
        }


def _youtube_id(value: str) -> str:
    """``value`` when it is a YouTube video id, else "": the id goes into URLs and attributes."""
    return value if is_youtube_video_id(value) else ""


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def citations_for(passages: Sequence[Passage]) -> list[Citation]:
    """One citation per passage, numbered 1..n in passage order (the numbers the prompt uses)."""
    return [
        Citation.of(passage, number=number, start_s=passage.start_s, end_s=passage.end_s)
        for number, passage in enumerate(passages, start=1)
    ]


def citations_from_dicts(items: Iterable[Mapping[str, Any]] | None) -> list[Citation]:
    """Citations back from stored ``as_dict()`` JSON; entries that are not usable are skipped."""
    citations = []
    for item in items or []:
        try:
            citations.append(
                Citation(
                    number=int(item["number"]),
                    video_id=int(item["video_id"]),
                    video_title=str(item.get("video_title") or ""),
                    youtube_id=str(item.get("youtube_id") or ""),
                    start_s=float(item.get("start_s") or 0),
                    end_s=float(item.get("end_s") or 0),
                    thumbnail_url=str(item.get("thumbnail_url") or ""),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return citations


# --- citation markers ------------------------------------------------------------------------

# "[3]" or "[1, 2]"; at most two digits so "[2024]" stays text. An escaped "\[3]" is not a marker.
_MARKER_BODY = r"\[(?P<numbers>\d{1,2}(?:[ \t]*,[ \t]*\d{1,2})*)\]"
# The run of spaces before a marker is matched from its start only ((?<![ \t])), which keeps a
# long run of spaces linear rather than quadratic.
_MARKER = re.compile(r"(?<![ \t])(?P<space>[ \t]*)(?<!\\)" + _MARKER_BODY)
_MARKER_AT = re.compile(_MARKER_BODY)
_LINK_DESTINATION = re.compile(r"\([ \t]*[^\s()]*(?:\([^\s()]*\)[^\s()]*)*[ \t]*(?:\"[^\"\n]*\"[ \t]*)?\)")


def _numbers(group: str) -> list[int]:
    return [int(part) for part in group.split(",")]


def strip_unknown_citations(text: str, count: int) -> str:
    """``text`` without the markers that name no passage (n < 1 or n > count).

    Models invent numbers. In a group ("[2, 9]") only the unknown numbers go; a marker left empty
    goes with the spaces before it, so "as I said [9]." becomes "as I said.".
    """

    def keep_known(match: re.Match[str]) -> str:
        numbers = _numbers(match["numbers"])
        known = [n for n in numbers if 1 <= n <= count]
        if known == numbers:
            return match.group(0)
        if not known:
            return ""
        return match["space"] + "[" + ", ".join(str(n) for n in known) + "]"

    return _MARKER.sub(keep_known, text)
