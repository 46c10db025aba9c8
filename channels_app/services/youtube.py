"""The YouTube client: resolve a channel, list its videos, fetch a video's captions.

yt-dlp does the talking to YouTube; its one call lives in `YouTubeClient._extract_info`, the
network boundary tests replace with recorded info dicts. Caption files are downloaded with httpx.
Transient trouble (HTTP 429, 5xx, network errors) is retried with exponential backoff and jitter;
whatever is left surfaces as `YouTubeError`, whose `retryable` tells the caller whether a later
attempt may succeed.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import yt_dlp
from django.conf import settings
from yt_dlp.utils import DownloadError
from yt_dlp.utils.networking import random_user_agent

from channels_app.services.youtube_urls import YouTubeTarget
from yoppy.transcripts import is_youtube_video_id

logger = logging.getLogger(__name__)

T = TypeVar("T")

# YouTube Shorts may be up to 3 minutes long since October 2024; the original's 61-second rule let
# the 1-3 minute ones through as if they were long-form videos.
SHORTS_MAX_S = 180
# Caption formats we can parse, best first: json3 has word timing, vtt is universal. (YouTube
# offers both beside srv3/ttml for every track; captions.py does not read the XML formats.)
CAPTION_FORMATS = ("json3", "vtt")
SOCKET_TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 30.0
# A Retry-After longer than this is not waited for in-process: the job-level retry takes over.
RETRY_AFTER_CAP_S = 60.0
# Listing reads `limit` entries plus this margin for skipped ones, then more only if needed.
LISTING_MARGIN = 20
# Never page further than this into a tab looking for ingestible videos.
LISTING_MAX_ENTRIES = 2000

_UNAVAILABLE_TITLES = {
    "[private video]": "This video is private.",
    "[deleted video]": "This video was deleted.",
    "[unavailable video]": "This video is unavailable.",
}
_RESTRICTED = {
    "subscriber_only": "Members-only video.",
    "premium_only": "YouTube Premium video.",
    "needs_auth": "Needs a signed-in viewer (age-restricted or members-only).",
}

# yt-dlp error text (lower-cased) → (retryable, message for the creator). First match wins, so
# rate limits come first: YouTube words some of them "Video unavailable ... try again later".
_DOWNLOAD_ERRORS: tuple[tuple[str, bool, str], ...] = (
    ("http error 429", True, "YouTube is rate-limiting requests (HTTP 429)."),
    ("too many requests", True, "YouTube is rate-limiting requests (HTTP 429)."),
    ("rate-limited", True, "YouTube is rate-limiting requests."),
    ("try again later", True, "YouTube asked us to try again later."),
    ("not a bot", True, "YouTube asked us to prove we are not a bot; we will try again later."),
    ("private video", False, "This video is private."),
    ("members-only", False, "This video is for channel members only."),
    ("channel's members", False, "This video is for channel members only."),
    ("confirm your age", False, "This video is age-restricted: YouTube wants a signed-in viewer."),
    ("live event will begin", False, "This live stream has not started yet."),
    ("premieres in", False, "This premiere has not started yet."),
    ("video unavailable", False, "This video is unavailable (removed, private or blocked)."),
    ("has been removed", False, "This video has been removed."),
    ("does not exist", False, "YouTube says this channel, playlist or video does not exist."),
    ("http error 404", False, "YouTube says this channel, playlist or video does not exist."),
    ("http error 5", True, "YouTube had a server error."),
    ("timed out", True, "The connection to YouTube timed out."),
    ("transporterror", True, "Could not reach YouTube."),
    ("connection", True, "Could not reach YouTube."),
    ("name resolution", True, "Could not reach YouTube."),
    ("incomplete", True, "YouTube sent an incomplete answer."),
    ("unable to download", True, "Could not download from YouTube."),
)


@dataclass(frozen=True)
class ChannelInfo:
    youtube_channel_id: str
    title: str  # the channel's name; for a playlist, the playlist's title
    handle: str  # "@name", or "" when YouTube gave none
    avatar_url: str  # "" for playlists and single videos (yt-dlp does not fetch the owner's page)
    description: str
    url: str  # the owning channel's page; Channel.source_url keeps what the creator pasted


@dataclass(frozen=True)
class VideoListing:
    youtube_id: str
    title: str
    description: str
    # Aware, UTC. In channel listings this is YouTube's relative date ("3 weeks ago") turned into
    # a time, so it is approximate; a single video's is its exact upload date.
    published_at: datetime | None
    duration_s: int | None
    thumbnail_url: str
    skip_reason: str  # "" when the video should be ingested; else why not, in words for the creator


@dataclass(frozen=True)
class CaptionTrack:
    language: str
    source: Literal["manual", "auto"]
    fmt: str  # "json3" or "vtt"
    url: str


@dataclass(frozen=True)
class FetchedCaptions:
    track: CaptionTrack
    data: bytes


class YouTubeError(Exception):
    """YouTube could not give what was asked; str() is fit to show the creator.

    `retryable` is True when trying again later may succeed (rate limits, network trouble).
    """

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


class _MissingTab(YouTubeError):
    """The channel has no such tab (no /streams for a channel that never streamed)."""


class _TryAgain(Exception):
    """One attempt failed in a way the next may not; `retry_after` is YouTube's wish, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class YouTubeClient:
    """Talks to YouTube through yt-dlp (metadata) and httpx (caption files).

    Defaults come from settings (YOUTUBE_MAX_ATTEMPTS, YOUTUBE_BACKOFF_BASE_S,
    YOUTUBE_COOKIES_FILE); `sleep` is injectable so tests do not wait.
    """

    def __init__(
        self,
        *,
        max_attempts: int | None = None,
        backoff_base_s: float | None = None,
        cookies_file: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        http_timeout_s: float = HTTP_TIMEOUT_S,
    ) -> None:
        self.max_attempts = max(1, max_attempts or settings.YOUTUBE_MAX_ATTEMPTS)
        self.backoff_base_s = settings.YOUTUBE_BACKOFF_BASE_S if backoff_base_s is None else backoff_base_s
        self.cookies_file = settings.YOUTUBE_COOKIES_FILE if cookies_file is None else cookies_file
        self.sleep = sleep
        self.http_timeout_s = http_timeout_s

    # ----------------------------------------------------------------------------------------
    # Public API

    def channel_info(self, target: YouTubeTarget) -> ChannelInfo:
        """Who owns `target`: the channel itself, a playlist's owner (with the playlist's title
        and description), or a single video's channel. Never resolved by search."""
        if target.kind == "video":
            info = self._extract(target.canonical_url, flat=False)
            return ChannelInfo(
                youtube_channel_id=info.get("channel_id") or "",
                title=info.get("channel") or info.get("uploader") or "",
                handle=_handle(info),
                avatar_url="",
                description="",
                url=info.get("channel_url") or info.get("uploader_url") or "",
            )
        # playlist_items "0": the page's metadata only, no entries (and no extra channel tabs).
        info = self._extract(target.canonical_url, flat=True, playlist_items="0")
        if target.kind == "playlist":
            return ChannelInfo(
                youtube_channel_id=info.get("channel_id") or "",
                title=info.get("title") or "",
                handle=_handle(info),
                avatar_url="",
                description=info.get("description") or "",
                url=info.get("channel_url") or info.get("uploader_url") or target.canonical_url,
            )
        channel_id = info.get("channel_id") or ""
        return ChannelInfo(
            youtube_channel_id=channel_id,
            # "title" of a channel page can carry the tab ("Name - Videos"); "channel" never does.
            title=info.get("channel") or info.get("uploader") or info.get("title") or "",
            handle=_handle(info) or (target.value if target.value.startswith("@") else ""),
            avatar_url=_avatar_url(info),
            description=info.get("description") or "",
            url=info.get("channel_url")
            or (f"https://www.youtube.com/channel/{channel_id}" if channel_id else target.canonical_url),
        )

    def list_videos(
        self, target: YouTubeTarget, *, include_live: bool = False, limit: int = 50
    ) -> list[VideoListing]:
        """The newest videos of `target` up to `limit` ingestible ones, with the skipped videos
        met on the way (Shorts, live, upcoming, members-only, private...) and their reason.

        A channel's /videos tab (and /streams when `include_live`) newest first; a playlist's
        entries in its own order; a single video alone (`limit` does not apply to it).
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if target.kind == "video":
            info = self._extract(target.canonical_url, flat=False)
            return [_listing(info, include_live=include_live, from_shorts=False)]
        if target.kind == "playlist":
            listings = self._tab_listings(target.canonical_url, include_live=include_live, limit=limit)
            return _first_ingestible(listings, limit)

        listings = self._tab_listings(
            f"{target.canonical_url}/videos", include_live=include_live, limit=limit
        )
        if include_live:
            listings += self._tab_listings(
                f"{target.canonical_url}/streams", include_live=include_live, limit=limit
            )
            # Each tab is newest first; merge them by date. Stable, so entries of equal date keep
            # their tab order; undated ones go last.
            listings.sort(key=lambda v: v.published_at or datetime.min.replace(tzinfo=UTC), reverse=True)
        return _first_ingestible(listings, limit)

    def video_captions(self, youtube_id: str, *, preferred_language: str = "") -> FetchedCaptions | None:
        """Download the best caption track of a video, or None when it has none.

        Which track: see `caption_track_pick`. Raises YouTubeError when the video or the file
        cannot be fetched (private, members-only, rate-limited after every attempt...).
        """
        if not is_youtube_video_id(youtube_id):
            raise ValueError(f"Not a YouTube video id: {youtube_id!r}")
        info = self._extract(f"https://www.youtube.com/watch?v={youtube_id}", flat=False)
        track = caption_track_pick(info, preferred_language=preferred_language)
        if track is None:
            return None
        return FetchedCaptions(track=track, data=self._download(track.url))

    # ----------------------------------------------------------------------------------------
    # yt-dlp

    def _extract_info(self, url: str, *, flat: bool, playlist_items: str = "") -> dict[str, Any]:
        """yt-dlp's info dict for `url`, nothing downloaded: the network boundary.

        `flat` lists a playlist's or tab's entries without visiting each video's page;
        `playlist_items` ("1:70", "0" for metadata only) bounds how many are listed.
        """
        options: dict[str, Any] = {
            "quiet": True,
            "no_warnings": False,  # warnings go to our logger below, never to stdout
            "logger": _YtDlpLogger(),
            "noprogress": True,
            "skip_download": True,
            "noplaylist": True,  # a watch URL carrying &list= is that one video
            "socket_timeout": SOCKET_TIMEOUT_S,
            # An upcoming or live-now video has no downloadable formats; we still want its info.
            "ignore_no_formats_error": True,
            # Flat channel listings carry dates only this way ("3 weeks ago" made a timestamp);
            # merging /videos with /streams needs them.
            "extractor_args": {"youtubetab": {"approximate_date": [""]}},
        }
        if flat:
            options["extract_flat"] = "in_playlist"
        if playlist_items:
            options["playlist_items"] = playlist_items
        if self.cookies_file:
            options["cookiefile"] = self.cookies_file
        with yt_dlp.YoutubeDL(options) as ydl:
            return ydl.extract_info(url, download=False)

    def _extract(self, url: str, *, flat: bool, playlist_items: str = "") -> dict[str, Any]:
        """`_extract_info` with retries on transient errors, yt-dlp's errors as YouTubeError."""

        def attempt() -> dict[str, Any]:
            try:
                info = self._extract_info(url, flat=flat, playlist_items=playlist_items)
            except DownloadError as exc:
                raise _error_for(exc) from exc
            if not isinstance(info, dict):
                raise YouTubeError("YouTube gave no information for this link.", retryable=False)
            return info

        return self._with_retries("Reading YouTube", attempt)

    def _tab_listings(self, url: str, *, include_live: bool, limit: int) -> list[VideoListing]:
        """Entries of a tab or playlist, reading further while fewer than `limit` are ingestible."""
        wanted = limit + LISTING_MARGIN
        while True:
            try:
                info = self._extract(url, flat=True, playlist_items=f"1:{wanted}")
            except _MissingTab:
                return []
            from_shorts = (info.get("webpage_url") or url).rstrip("/").endswith("/shorts")
            entries = [e for e in info.get("entries") or [] if _is_video_entry(e)]
            listings = [_listing(e, include_live=include_live, from_shorts=from_shorts) for e in entries]
            ingestible = sum(1 for v in listings if not v.skip_reason)
            exhausted = len(info.get("entries") or []) < wanted
            if ingestible >= limit or exhausted or wanted >= LISTING_MAX_ENTRIES:
                return listings
            # Re-read from the start: yt-dlp pages through the tab from the top anyway.
            wanted = min(wanted * 2, LISTING_MAX_ENTRIES)

    # ----------------------------------------------------------------------------------------
    # Caption download

    def _download(self, url: str) -> bytes:
        def attempt() -> bytes:
            try:
                with httpx.Client(
                    timeout=self.http_timeout_s,
                    follow_redirects=True,
                    headers={"User-Agent": random_user_agent()},
                ) as http:
                    response = http.get(url)
            except httpx.TransportError as exc:
                raise _TryAgain(f"network error: {exc}") from exc
            status = response.status_code
            if status == 429 or status >= 500:
                raise _TryAgain(f"HTTP {status}", retry_after=_retry_after_s(response))
            if status != 200:
                raise YouTubeError(f"YouTube refused the caption download (HTTP {status}).", retryable=False)
            if not response.content.strip():
                # Seen when YouTube wants a proof-of-origin token we do not have: asking again
                # gives the same empty answer.
                raise YouTubeError("YouTube sent an empty caption file.", retryable=False)
            return response.content

        return self._with_retries("Downloading captions", attempt)

    # ----------------------------------------------------------------------------------------
    # Retries

    def _with_retries(self, what: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` up to max_attempts times while it raises _TryAgain, sleeping between."""
        for number in range(self.max_attempts):
            try:
                return attempt()
            except _TryAgain as exc:
                problem = exc
                if number + 1 < self.max_attempts:
                    delay = exc.retry_after if exc.retry_after is not None else self._backoff_s(number)
                    logger.info("%s failed (%s); attempt %d in %.1f s", what, exc, number + 2, delay)
                    self.sleep(delay)
        raise YouTubeError(f"{what} failed {self.max_attempts} times: {problem}", retryable=True) from problem

    def _backoff_s(self, attempt: int) -> float:
        """base * 2**attempt plus up to one base of jitter, so delays grow strictly and workers
        hitting the same limit do not retry in step."""
        return self.backoff_base_s * 2**attempt + random.random() * self.backoff_base_s  # noqa: S311


# --------------------------------------------------------------------------------------------
# Caption track choice (pure)


def caption_track_pick(info: dict[str, Any], *, preferred_language: str = "") -> CaptionTrack | None:
    """The caption track to ingest from a yt-dlp video info dict, or None when there is none.

    In order: the creator's track in `preferred_language` (else the video's own language); the
    auto-generated track in that language if it is the original speech, not a machine
    translation; any creator track (the video's language first); the original auto track in
    whatever language it is. "en" matches "en", "en-US", "en-GB"... Formats: json3, then vtt.
    """
    manual: dict[str, list[dict[str, Any]]] = info.get("subtitles") or {}
    auto: dict[str, list[dict[str, Any]]] = info.get("automatic_captions") or {}
    video_language = info.get("language") or ""
    language = preferred_language or video_language

    if language:
        track = _manual_track(manual, language) or _auto_original_track(auto, language)
        if track:
            return track
    if video_language and (track := _manual_track(manual, video_language)):
        return track
    for key in manual:
        if track := _track(manual[key], key, "manual"):
            return track
    # Not in the spec's list, on purpose: a video whose only captions are its own speech
    # recognised in another language still has captions; "no captions" would be wrong.
    return _auto_original_track(auto, "")


def _manual_track(manual: dict[str, list[dict[str, Any]]], language: str) -> CaptionTrack | None:
    for key in _matching_keys(manual, language):
        if track := _track(manual[key], key, "manual"):
            return track
    return None


def _auto_original_track(auto: dict[str, list[dict[str, Any]]], language: str) -> CaptionTrack | None:
    """The auto track of the spoken language: yt-dlp marks it with an "-orig" key (since 2024);
    older dicts only tell it apart by a URL without `tlang=` (the ~150 others are translations)."""
    keys = _matching_keys(auto, language) if language else list(auto)
    untranslated = {key: [f for f in _caption_files(auto[key]) if not _is_translation(f)] for key in keys}
    originals = [k for k in keys if k.endswith("-orig")] or [k for k in keys if untranslated[k]]
    for key in originals:
        if track := _track(untranslated[key], key.removesuffix("-orig"), "auto"):
            return track
    return None


def _matching_keys(tracks: dict[str, Any], language: str) -> list[str]:
    """Keys for `language`, exact match first, then same primary subtag ("en" ~ "en-US")."""
    wanted = language.lower()
    primary = wanted.split("-")[0]
    exact = [k for k in tracks if k.lower() == wanted]
    close = [k for k in tracks if k not in exact and k.lower().split("-")[0] == primary]
    return exact + close


def _is_translation(fmt: dict[str, Any]) -> bool:
    return "tlang" in parse_qs(urlsplit(fmt.get("url") or "").query)


def _caption_files(formats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The formats that are a file to GET: some tracks also come as an HLS playlist
    (protocol m3u8_native, no tlang in its URL), which is not a caption file."""
    return [f for f in formats if f.get("url") and f.get("protocol") in (None, "http", "https")]


def _track(
    formats: list[dict[str, Any]], language: str, source: Literal["manual", "auto"]
) -> CaptionTrack | None:
    """The best parseable format of one language's track list."""
    usable = {f.get("ext"): f["url"] for f in _caption_files(formats)}
    for fmt in CAPTION_FORMATS:
        if fmt in usable:
            return CaptionTrack(language=language, source=source, fmt=fmt, url=usable[fmt])
    return None


# --------------------------------------------------------------------------------------------
# Listings (pure)


def _listing(entry: dict[str, Any], *, include_live: bool, from_shorts: bool) -> VideoListing:
    duration = entry.get("duration")
    return VideoListing(
        youtube_id=entry["id"],
        title=entry.get("title") or "",
        description=entry.get("description") or "",
        published_at=_published_at(entry),
        duration_s=round(duration) if duration is not None else None,
        thumbnail_url=_thumbnail_url(entry),
        skip_reason=_skip_reason(entry, include_live=include_live, from_shorts=from_shorts),
    )


def _skip_reason(entry: dict[str, Any], *, include_live: bool, from_shorts: bool) -> str:
    """Why this video must not be ingested, or "" when it should be."""
    title = (entry.get("title") or "").strip().lower()
    if title in _UNAVAILABLE_TITLES:
        return _UNAVAILABLE_TITLES[title]
    availability = entry.get("availability")
    if availability == "private":
        return "This video is private."
    if availability in _RESTRICTED:
        return _RESTRICTED[availability]

    live_status = entry.get("live_status")
    if live_status == "is_upcoming":
        return "Upcoming premiere or live stream: not published yet."
    if live_status == "is_live":
        return "Live right now."
    if live_status in ("was_live", "post_live") and not include_live:
        return "Past live stream (live-stream replays are not included)."

    if (
        from_shorts
        or "/shorts/" in (entry.get("url") or "")
        or "/shorts/" in (entry.get("webpage_url") or "")
    ):
        return "YouTube Short."
    duration = entry.get("duration")
    # Unknown duration is not a reason to skip: flat listings sometimes carry none (a lockup
    # without a time badge, a premiere that just ended). Wrongly skipping a real video loses it
    # for good, while ingesting a Short by mistake costs one caption download.
    if duration is not None and duration <= SHORTS_MAX_S and not _is_landscape(entry):
        return f"Short video ({round(duration)} s; {SHORTS_MAX_S // 60} minutes or less counts as a Short)."
    return ""


def _is_landscape(entry: dict[str, Any]) -> bool:
    """Shorts are vertical or square: a full info dict that says landscape is not a Short.

    Flat listings carry no aspect ratio, so there the duration rule alone decides.
    """
    ratio = entry.get("aspect_ratio")
    return ratio is not None and ratio > 1


def _first_ingestible(listings: list[VideoListing], limit: int) -> list[VideoListing]:
    """`listings` up to and including the `limit`-th ingestible one."""
    kept: list[VideoListing] = []
    ingestible = 0
    for listing in listings:
        if ingestible >= limit:
            break
        kept.append(listing)
        if not listing.skip_reason:
            ingestible += 1
    return kept


def _is_video_entry(entry: Any) -> bool:
    # A tab may hold nested playlists; yt-dlp leaves None for entries it failed on.
    return isinstance(entry, dict) and bool(entry.get("id")) and entry.get("ie_key") in (None, "Youtube")


def _published_at(entry: dict[str, Any]) -> datetime | None:
    timestamp = entry.get("timestamp") or entry.get("release_timestamp")
    if timestamp is not None:
        return datetime.fromtimestamp(timestamp, tz=UTC)
    upload_date = entry.get("upload_date")  # "YYYYMMDD"
    if upload_date:
        try:
            return datetime.strptime(upload_date, "%Y%m%d").replace(tzinfo=UTC)
        except ValueError:
            return None
    return None


def _thumbnail_url(entry: dict[str, Any]) -> str:
    if entry.get("thumbnail"):
        return entry["thumbnail"]
    thumbnails = [t for t in entry.get("thumbnails") or [] if t.get("url")]
    if not thumbnails:
        return ""
    return max(thumbnails, key=lambda t: (t.get("width") or 0) * (t.get("height") or 0))["url"]


def _avatar_url(info: dict[str, Any]) -> str:
    """The channel's avatar among a channel page's thumbnails (which also hold its banners)."""
    thumbnails = [t for t in info.get("thumbnails") or [] if t.get("url")]
    for thumbnail in thumbnails:
        if thumbnail.get("id") == "avatar_uncropped":
            return thumbnail["url"]
    squares = [t for t in thumbnails if t.get("width") and t.get("width") == t.get("height")]
    return max(squares, key=lambda t: t["width"])["url"] if squares else ""


def _handle(info: dict[str, Any]) -> str:
    uploader_id = info.get("uploader_id") or ""
    return uploader_id if uploader_id.startswith("@") else ""


# --------------------------------------------------------------------------------------------
# Errors


def _error_for(exc: DownloadError) -> Exception:
    """A yt-dlp error as _TryAgain (transient) or YouTubeError (not worth retrying now)."""
    text = str(exc).removeprefix("ERROR: ")
    lowered = text.lower()
    if "does not have a" in lowered and "tab" in lowered:
        return _MissingTab(text, retryable=False)
    for needle, retryable, message in _DOWNLOAD_ERRORS:
        if needle in lowered:
            return _TryAgain(message) if retryable else YouTubeError(message, retryable=False)
    return YouTubeError(f"YouTube: {text}", retryable=False)


def _retry_after_s(response: httpx.Response) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), capped; None when absent or unreadable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP_S)


class _YtDlpLogger:
    """yt-dlp's output into logging, never stdout. Errors arrive as DownloadError anyway."""

    def debug(self, message: str) -> None:
        logger.debug(message)

    def info(self, message: str) -> None:
        logger.debug(message)

    def warning(self, message: str) -> None:
        logger.warning(message)

    def error(self, message: str) -> None:
        logger.debug(message)
