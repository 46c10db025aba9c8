"""Turn what a creator pastes into a YouTube channel, playlist or video target.

Pure functions, no Django: the result is rebuilt from validated parts, so
nothing the user typed (query strings, fragments, odd hosts) reaches yt-dlp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from yoppy.transcripts import is_youtube_video_id

MAX_INPUT_LENGTH = 2000

TargetKind = Literal["channel", "playlist", "video"]

_CHANNEL_ID = re.compile(r"UC[A-Za-z0-9_-]{22}")
# YouTube's rule: 3-30 letters, digits, underscores, hyphens and periods.
# Only ASCII here; non-Latin handles (allowed by YouTube since 2023) are rejected.
_HANDLE = re.compile(r"@[A-Za-z0-9_.-]{3,30}")
# Legacy /c/ and /user/ names are ASCII words.
_LEGACY_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# PL + 16 or 32, UU + 22, OLAK5uy_ + 33, RD + video id: 13 to 41 in practice.
# Two-letter private lists (WL, LL) are too short and rejected on purpose.
_PLAYLIST_ID = re.compile(r"[A-Za-z0-9_-]{12,64}")
# "javascript:", "mailto:", "data:" ... but not "youtube.com:443".
_OTHER_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(?!\d)")

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"}
_SHORT_HOSTS = {"youtu.be", "www.youtu.be"}
_NOCOOKIE_HOSTS = {"youtube-nocookie.com", "www.youtube-nocookie.com"}
_CHANNEL_TABS = {"videos", "streams", "featured", "shorts"}
_VIDEO_PATHS = {"shorts", "live", "embed", "v"}

_BASE = "https://www.youtube.com"


class InvalidYouTubeUrl(ValueError):
    """The text is not a YouTube channel, playlist or video link; str() is shown to the user."""


@dataclass(frozen=True)
class YouTubeTarget:
    kind: TargetKind
    value: str
    canonical_url: str


def parse_youtube_url(text: str) -> YouTubeTarget:
    """Return the channel, playlist or video that `text` points to.

    Raises InvalidYouTubeUrl, with a message fit for the user, for anything else.
    """
    if not isinstance(text, str):
        raise InvalidYouTubeUrl("Paste a YouTube link as text.")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidYouTubeUrl(f"That is too long for a YouTube link (over {MAX_INPUT_LENGTH} characters).")
    text = text.strip()
    if not text:
        raise InvalidYouTubeUrl("Paste a YouTube channel, playlist or video link.")
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidYouTubeUrl("A YouTube link cannot contain spaces or control characters.")

    if text.startswith("@"):
        return _channel_from_handle(text)

    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise InvalidYouTubeUrl("Only http and https YouTube links are accepted.")
    elif _OTHER_SCHEME.match(text):
        raise InvalidYouTubeUrl("Only http and https YouTube links are accepted.")
    else:
        text = "https://" + text

    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unbalanced "[" in the host
        raise InvalidYouTubeUrl("That does not look like a valid link.") from None
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        raise InvalidYouTubeUrl("That does not look like a YouTube link.")

    segments = [s for s in parts.path.split("/") if s]
    query = parse_qs(parts.query)

    if host in _SHORT_HOSTS:
        if len(segments) == 1:
            return _video(segments[0])
        raise InvalidYouTubeUrl("A youtu.be link must look like https://youtu.be/VIDEO_ID.")
    if host in _NOCOOKIE_HOSTS:
        if len(segments) == 2 and segments[0] == "embed":
            return _video(segments[1])
        raise InvalidYouTubeUrl("Only embed links are accepted from youtube-nocookie.com.")
    if host not in _YOUTUBE_HOSTS:
        shown = host[:60] or "no site"
        raise InvalidYouTubeUrl(f"That is not a YouTube link (it points to {shown}).")
    return _from_youtube_path(segments, query)


def _from_youtube_path(segments: list[str], query: dict[str, list[str]]) -> YouTubeTarget:
    if not segments:
        raise InvalidYouTubeUrl("That is YouTube's home page: paste a channel, playlist or video link.")
    first, rest = segments[0], segments[1:]

    if first == "watch" and not rest:
        # A watch link that names a video is that video, even inside a playlist.
        if "v" in query:
            return _video(query["v"][0])
        if "list" in query:
            return _playlist(query["list"][0])
        raise InvalidYouTubeUrl("This watch link has no video id (v=...).")
    if first == "playlist" and not rest:
        if "list" in query:
            return _playlist(query["list"][0])
        raise InvalidYouTubeUrl("This playlist link has no playlist id (list=...).")
    if first in _VIDEO_PATHS and len(rest) == 1:
        return _video(rest[0])

    if first.startswith("@"):
        channel_rest = rest
        target = _channel_from_handle(first)
    elif first == "channel" and rest:
        channel_rest = rest[1:]
        if not _CHANNEL_ID.fullmatch(rest[0]):
            raise InvalidYouTubeUrl(
                "That channel id is not valid (it should be UC followed by 22 characters)."
            )
        target = YouTubeTarget("channel", rest[0], f"{_BASE}/channel/{rest[0]}")
    elif first in ("c", "user") and rest:
        channel_rest = rest[1:]
        if not _LEGACY_NAME.fullmatch(rest[0]):
            raise InvalidYouTubeUrl("That channel name is not valid.")
        value = f"{first}/{rest[0]}"
        target = YouTubeTarget("channel", value, f"{_BASE}/{value}")
    else:
        raise InvalidYouTubeUrl("That YouTube link is not a channel, playlist or video.")

    if len(channel_rest) > 1 or (channel_rest and channel_rest[0] not in _CHANNEL_TABS):
        raise InvalidYouTubeUrl("Paste the channel's main link, or its Videos, Streams or Shorts tab.")
    return target


def _channel_from_handle(handle: str) -> YouTubeTarget:
    if not _HANDLE.fullmatch(handle):
        raise InvalidYouTubeUrl(
            "That handle is not valid: YouTube handles are @ followed by 3-30 letters, "
            "digits, underscores, hyphens or periods."
        )
    return YouTubeTarget("channel", handle, f"{_BASE}/{handle}")


def _video(video_id: str) -> YouTubeTarget:
    if not is_youtube_video_id(video_id):
        raise InvalidYouTubeUrl("That video id is not valid (YouTube video ids are 11 characters).")
    return YouTubeTarget("video", video_id, f"{_BASE}/watch?v={video_id}")


def _playlist(playlist_id: str) -> YouTubeTarget:
    if not _PLAYLIST_ID.fullmatch(playlist_id):
        raise InvalidYouTubeUrl("That playlist id is not valid.")
    return YouTubeTarget("playlist", playlist_id, f"{_BASE}/playlist?list={playlist_id}")


def parse_video_ref(text: str) -> str:
    """The video id in a YouTube video link or a bare 11-character id.

    Raises InvalidYouTubeUrl, with a message fit for the user, for anything else (a channel or
    playlist link included: a caption file belongs to one video).
    """
    text = (text or "").strip()
    if is_youtube_video_id(text):
        return text
    target = parse_youtube_url(text)
    if target.kind != "video":
        raise InvalidYouTubeUrl("That is a channel or playlist link: give the link of the one video these captions are for.")
    return target.value


# yt-dlp's default output template is "%(title)s [%(id)s].%(ext)s", subtitles adding the
# language: "Title [dQw4w9WgXcQ].en.vtt". youtube-dl's was "%(title)s-%(id)s.%(ext)s".
_BRACKETED_ID = re.compile(r"\[([A-Za-z0-9_-]{11})\]")
_TRAILING_ID = re.compile(r"(?:^|.*[-_ ])([A-Za-z0-9_-]{11})$", re.S)
# A language suffix yt-dlp adds before the extension: ".en", ".en-US", ".en-orig", ".live_chat".
_LANGUAGE_SUFFIX = re.compile(r"\.(?:[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*|live_chat)$")


def caption_filename_stem(filename: str) -> str:
    """The file name without folders, extension and yt-dlp's language suffix:
    "Title [dQw4w9WgXcQ].en.vtt" -> "Title [dQw4w9WgXcQ]"."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return _LANGUAGE_SUFFIX.sub("", stem)


def _looks_like_video_id(text: str) -> bool:
    # An id in brackets is yt-dlp's and always taken. An unbracketed 11-character word is taken
    # only when it mixes upper case, lower case and digits as random ids do, so a file named
    # "sourdough12.srt" or "Episode_One.vtt" is not mistaken for a video.
    return (
        is_youtube_video_id(text)
        and any(ch.isupper() for ch in text)
        and any(ch.islower() for ch in text)
        and any(ch.isdigit() for ch in text)
    )


def video_id_from_filename(filename: str) -> str:
    """The YouTube video id a caption file's name holds, as yt-dlp names files, else "".

    "Title [dQw4w9WgXcQ].en.vtt", "dQw4w9WgXcQ.en.vtt" and "Title-dQw4w9WgXcQ.srt" all give
    "dQw4w9WgXcQ"; "captions.srt" gives "".
    """
    stem = caption_filename_stem(filename)
    bracketed = _BRACKETED_ID.findall(stem)
    if bracketed:
        return bracketed[-1]
    trailing = _TRAILING_ID.match(stem)
    if trailing and _looks_like_video_id(trailing[1]):
        return trailing[1]
    return ""


# Words that name what a file is, not what a video is about: "captions.srt", "subtitles (1).vtt"
# and "transcript-final.txt" carry no title.
_GENERIC_NAME_WORDS = {
    "caption", "captions", "subtitle", "subtitles", "sub", "subs", "transcript", "transcripts",
    "transcription", "cc", "track", "video", "file", "untitled", "output", "download", "downloaded",
    "text", "copy", "final", "new", "auto", "generated", "orig", "original", "default", "en",
}  # fmt: skip
_NAME_WORD = re.compile(r"[^\W_]+")


def caption_filename_title(filename: str) -> str:
    """The video title a caption file's name holds, or "" when it holds none.

    "Sourdough basics [dQw4w9WgXcQ].en.vtt" -> "Sourdough basics"; "Lamination.srt" ->
    "Lamination"; "captions.srt", "dQw4w9WgXcQ.en.vtt" and "subtitles (2).vtt" -> "".
    """
    stem = caption_filename_stem(filename)
    video_id = video_id_from_filename(filename)
    if video_id:
        bracket = stem.rfind(f"[{video_id}]")
        stem = stem[:bracket] if bracket >= 0 else stem[: -len(video_id)]
    title = " ".join(stem.strip(" -_.").split())
    words = [word.lower() for word in _NAME_WORD.findall(title)]
    if all(word.isdigit() or word in _GENERIC_NAME_WORDS for word in words):
        return ""
    return title
