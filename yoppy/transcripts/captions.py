"""Caption furniture: what caption files hold that is not speech."""

from __future__ import annotations

import re

# "[Music]", "(laughs)" and ">>" speaker changes are caption furniture, not speech.
CAPTION_TAG = re.compile(r"\[[^\]]{0,40}\]|\((?:music|applause|laughter|laughs|inaudible)\)|&gt;&gt;|>>", re.I)


def without_caption_tags(text: str) -> str:
    """``text`` with its caption furniture replaced by spaces (words on either side stay apart)."""
    return CAPTION_TAG.sub(" ", text)
