"""Bots' reactions to channels_app's signals (connected in BotsConfig.ready)."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver

from channels_app.signals import channel_profile_changed, video_ready


@receiver(video_ready, dispatch_uid="bots-video-ready")
def video_ready_posts(sender, *, video, by_sync: bool, **kwargs) -> None:
    """A video that came with a sync is announced in the places that opted in; the first
    ingestion of a channel is not news."""
    if not by_sync:
        return
    from bots import tasks

    transaction.on_commit(lambda: tasks.video_posts_create.delay(video.pk))


@receiver(channel_profile_changed, dispatch_uid="bots-channel-profile")
def channel_profile_sync(sender, *, channel, **kwargs) -> None:
    """A branded bot takes its channel's new name and avatar."""
    from bots import tasks
    from bots.models import Bot

    for bot_id in Bot.objects.filter(channel=channel, status=Bot.Status.ACTIVE).values_list("pk", flat=True):
        transaction.on_commit(lambda bot_id=bot_id: tasks.bot_profile_sync.delay(bot_id))
