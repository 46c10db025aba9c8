"""Text helpers of the answer code alone: attributes, names and markdown escaping. The transcript
helpers it shares with the rest of the project (caption tags, stop words, stems, fencing) live in
``yoppy.transcripts``."""

from __future__ import annotations

import re

from yoppy.transcripts import fenceable

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def _attribute(text: str) -> str:
    return fenceable(text).replace('"', "\u201d")[:200]


def _name(creator_name: str) -> str:
    return fenceable(creator_name)[:100] or "the creator"


def _markdown_text(text: str) -> str:
    """``text`` escaped so markdown shows it as written (and "[3]" in a transcript is no marker)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)
