"""RQ jobs of Bots, all on the ``bots`` queue: take ids (or the neutral Ask), reload, stop if
stale, call a service (STYLE.md §4)."""

from __future__ import annotations

from django_rq import job

from bots.platforms import Ask, platform_for
from bots.services import posts, relay


@job("bots", timeout=300)
def ask_answer(platform: str, ask: dict) -> str:
    return relay.ask_answer(platform=platform_for(platform), ask=Ask.from_dict(ask))


@job("bots", timeout=300)
def video_posts_create(video_id: int) -> int:
    from channels_app.models import Video

    video = Video.objects.filter(pk=video_id, status=Video.Status.READY).select_related("channel").first()
    if video is None:
        return 0
    return len(posts.video_posts_create(video=video))


@job("bots", timeout=120)
def video_post_send(post_id: int) -> bool:
    return posts.video_post_send(post_id=post_id)


@job("bots", timeout=300)
def bot_profile_sync(bot_id: int) -> bool:
    from bots.models import Bot
    from bots.services import discord_setup

    bot = Bot.objects.filter(pk=bot_id, status=Bot.Status.ACTIVE, channel__isnull=False).select_related("channel").first()
    if bot is None or bot.platform != "discord":
        return False
    return discord_setup.discord_bot_profile_sync(bot=bot)


@job("bots", timeout=300)
def telegram_update(bot_id: int, update: dict) -> str:
    """One Telegram update the webhook took (bots.telegram_views.telegram_webhook)."""
    from bots.models import Bot
    from bots.services.telegram import telegram_update_handle
    from bots.telegram.updates import parse

    bot = Bot.objects.filter(pk=bot_id, platform="telegram", status=Bot.Status.ACTIVE).select_related("channel", "owner").first()
    if bot is None:
        return "stale"  # revoked since the update arrived
    return telegram_update_handle(bot=bot, incoming=parse(update, bot_id=int(bot.external_id), bot_username=bot.username))
