"""The bots themselves: the shared bot from the environment, revoking."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bots.models import Bot, PlatformName


def bot_shared_discord_ensure() -> Bot | None:
    """The shared Discord bot's row, made or brought up to date from DISCORD_APPLICATION_ID and
    DISCORD_PUBLIC_KEY (its token stays in the environment); None when it is not configured."""
    if not settings.DISCORD_BOT_ENABLED:
        return None
    bot, created = Bot.objects.get_or_create(
        platform=PlatformName.DISCORD, external_id=settings.DISCORD_APPLICATION_ID,
        defaults={"is_shared": True, "public_key": settings.DISCORD_PUBLIC_KEY, "name": "Yoppy"},
    )  # fmt: skip
    if not created and (bot.public_key != settings.DISCORD_PUBLIC_KEY or not bot.is_shared):
        bot.public_key, bot.is_shared = settings.DISCORD_PUBLIC_KEY, True
        bot.save(update_fields=["public_key", "is_shared", "updated_at"])
    return bot


@transaction.atomic
def bot_revoke(*, bot: Bot) -> Bot:
    """Stop a bot at once: its endpoint refuses everything, queued answers stop, and a branded
    bot's token is erased (the creator pastes a new one to set it up again)."""
    bot.status = Bot.Status.REVOKED
    bot.revoked_at = timezone.now()
    if not bot.is_shared:
        bot.token_encrypted = ""
        bot.webhook_secret_encrypted = ""
    bot.save(update_fields=["status", "revoked_at", "token_encrypted", "webhook_secret_encrypted", "updated_at"])
    return bot
