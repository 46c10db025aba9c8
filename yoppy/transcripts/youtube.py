"""What a YouTube video id looks like: checked wherever one reaches a URL, an API or the page."""

from __future__ import annotations

import re

YOUTUBE_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")


def is_youtube_video_id(value: str | None) -> bool:
    """True when ``value`` is exactly an 11-character video id (nothing before or after it)."""
    return bool(YOUTUBE_VIDEO_ID.fullmatch(value or ""))
