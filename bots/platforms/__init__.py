"""The messenger platforms, one class each with the shape of bots.platforms.base.Platform."""

from __future__ import annotations

from functools import cache

from bots.platforms.base import Ask, Platform


@cache
def platform_for(name: str) -> Platform:
    """The platform class for a bots.models.PlatformName value; KeyError for an unknown one."""
    from bots.platforms.discord import DiscordPlatform
    from bots.platforms.telegram import TelegramPlatform

    platforms: dict[str, type[Platform]] = {"discord": DiscordPlatform, "telegram": TelegramPlatform}
    return platforms[name]()


__all__ = ["Ask", "Platform", "platform_for"]
