"""Describe a channel for its persona: topics, a short summary and how the creator speaks.

Pure code, no Django, no network except through the LLM provider handed in. ``profile_build``
asks the LLM when one is given (``llm``) and falls back to the deterministic local analysis
(``local``) when the LLM fails or answers garbage, so ingest always ends with a usable profile.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from channels_app.persona.llm import profile_build_with_llm
from channels_app.persona.local import profile_build_local
from channels_app.persona.profile import (
    STYLE_KEYS,
    TOPIC_COUNT,
    VOCABULARY_LEVELS,
    ChannelProfile,
    ProfileLLMOutputError,
    passages_sample,
    style_prompt,
)

if TYPE_CHECKING:
    from yoppy.ai.llm import LLMProvider

logger = logging.getLogger(__name__)

__all__ = [
    "STYLE_KEYS", "TOPIC_COUNT", "VOCABULARY_LEVELS", "ChannelProfile", "ProfileLLMOutputError", "passages_sample",
    "profile_build", "profile_build_local", "profile_build_with_llm", "style_prompt",
]  # fmt: skip


def profile_build(
    *, channel_title: str, video_titles: list[str], passages: list[str], llm: LLMProvider | None = None
) -> ChannelProfile:
    """Return the LLM's profile when `llm` is given and answers usable JSON, else the local one.

    Falls back to `profile_build_local` (and logs why) on LLMError or an unusable answer;
    any other exception from the provider is a bug and propagates.
    """
    if llm is not None:
        # Imported here: yoppy.ai.llm loads the provider SDKs, which the local path never needs.
        from yoppy.ai.llm import LLMError

        try:
            return profile_build_with_llm(
                llm=llm, channel_title=channel_title, video_titles=video_titles, passages=passages
            )
        except (LLMError, ProfileLLMOutputError) as exc:
            logger.warning("LLM profile for %r failed, using the local analysis: %s", channel_title, exc)
    return profile_build_local(channel_title=channel_title, video_titles=video_titles, passages=passages)
