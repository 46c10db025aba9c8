"""New-video posts: when a sync brings a new video, each place that opted in gets one short note
with its summary and link, once per video (VideoPost is unique per place and video).

``video_posts_create`` is idempotent (it inserts the missing rows only) and hands each new row
to the ``bots`` queue; ``video_post_send`` claims a pending row with a conditional UPDATE before
it sends, so two runs of the same job cannot both post.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bots.http import PlatformError
from bots.models import Bot, Place, VideoPost
from bots.platforms import platform_for
from channels_app.models import Video

logger = logging.getLogger(__name__)

SUMMARY_CHARS = 280


def video_post_text(*, video: Video) -> str:
    """The note: title, the first lines of its description, the link."""
    summary = " ".join((video.description or "").split())
    if len(summary) > SUMMARY_CHARS:
        summary = summary[: SUMMARY_CHARS - 1].rsplit(" ", 1)[0] + "…"
    lines = [f"New video from {video.channel.display_name}: {video.title}"]
    if summary:
        lines.append(summary)
    if video.watch_url:
        lines.append(video.watch_url)
    return "\n".join(lines)


def video_posts_create(*, video: Video) -> list[int]:
    """Create the posts of ``video`` for every opted-in place of an active bot that may ask its
    channel and has a room to post in; returns the ids of the posts still to send (a post already
    sent is never sent again). Enqueues their sending after commit."""
    from bots import tasks

    places = Place.objects.filter(
        bot__status=Bot.Status.ACTIVE, new_video_posts=True
    ).exclude(post_room_id="").filter(
        Q(bot__channel=video.channel_id) | Q(bot__channel__isnull=True, channels=video.channel_id)
    ).distinct()  # fmt: skip
    with transaction.atomic():
        VideoPost.objects.bulk_create([VideoPost(place=place, video=video) for place in places], ignore_conflicts=True)
        # Every pending post of this video: the ones just made, and any whose job was lost. The
        # send claims each row first, so one enqueued twice is still posted once.
        pending = list(
            VideoPost.objects.filter(video=video, status=VideoPost.Status.PENDING).values_list("pk", flat=True)
        )
        for post_id in pending:
            transaction.on_commit(lambda post_id=post_id: tasks.video_post_send.delay(post_id))
    return pending


def video_post_send(*, post_id: int) -> bool:
    """Send one pending post; True when this call sent it. A failure is recorded, not retried
    (a post that maybe went out must not go out twice)."""
    claimed = VideoPost.objects.filter(pk=post_id, status=VideoPost.Status.PENDING).update(
        status=VideoPost.Status.SENDING
    )
    if not claimed:
        return False
    post = VideoPost.objects.select_related("place__bot", "video__channel").get(pk=post_id)
    bot = post.place.bot
    try:
        platform_for(bot.platform).post_video(
            bot=bot, place=post.place, video=post.video, text=video_post_text(video=post.video)
        )
    except PlatformError as exc:
        logger.warning("new-video post %s failed: %s", post_id, exc)
        VideoPost.objects.filter(pk=post_id).update(status=VideoPost.Status.FAILED, error=str(exc)[:300])
        return False
    VideoPost.objects.filter(pk=post_id).update(status=VideoPost.Status.SENT, sent_at=timezone.now())
    return True
