"""Places (Discord servers, Telegram chats): linking them to an account, their personas,
defaults, caps and new-video posts."""

from __future__ import annotations

from django.db import transaction

from bots.models import Bot, Place, RoomDefault
from bots.selectors import place_channels
from channels_app.models import Channel


def discord_place_for_guild(*, bot: Bot, guild_id: str) -> Place | None:
    """The place of ``guild_id`` for ``bot``. The shared bot answers only in servers a creator
    linked (the install link); a branded bot answers for its channel wherever it was added, so
    its place is made on first use, linked to its owner."""
    place = Place.objects.filter(bot=bot, external_id=guild_id).first()
    if place is not None:
        place.bot = bot  # the caller's, so asking place_channels() costs no second read of it
    if place is not None or bot.is_shared:
        return place
    place, _ = Place.objects.get_or_create(
        bot=bot, external_id=guild_id, defaults={"kind": "guild", "account": bot.owner}
    )
    return place


@transaction.atomic
def place_link(*, bot: Bot, external_id: str, account, kind: str = "", title: str = "") -> Place:
    """Link a place to ``account`` (who installed the bot there). A place linked to another
    account moves to this one only through this call, after the platform confirmed the install;
    its chosen channels, which were the other account's, are cleared."""
    place, created = Place.objects.select_for_update().get_or_create(
        bot=bot, external_id=external_id, defaults={"account": account, "kind": kind, "title": title[:200]}
    )
    if not created:
        if place.account_id != account.pk:
            place.channels.clear()
            place.default_channel = None
            RoomDefault.objects.filter(place=place).delete()
        place.account = account
        place.title = title[:200] or place.title
        place.save()
    return place


def place_channels_set(*, place: Place, channel_ids: list[int]) -> list[Channel]:
    """The personas the place may ask: only the linked account's own alive channels."""
    channels = list(Channel.objects.owned_by(place.account).filter(pk__in=channel_ids)) if place.account else []
    place.channels.set(channels)
    if place.default_channel_id and place.default_channel_id not in {c.pk for c in channels}:
        place.default_channel = None
        place.save(update_fields=["default_channel"])
    return channels


def place_settings_update(
    *, place: Place, member_daily_cap: int | None = None, new_video_posts: bool | None = None
) -> Place:
    fields = []
    if member_daily_cap is not None:
        place.member_daily_cap = max(0, int(member_daily_cap))
        fields.append("member_daily_cap")
    if new_video_posts is not None:
        place.new_video_posts = new_video_posts
        fields.append("new_video_posts")
    if fields:
        place.save(update_fields=fields)
    return place


@transaction.atomic
def place_room_default_set(
    *, place: Place, room_id: str, channel_id: int, new_video_posts: bool | None = None
) -> Channel:
    """Set the persona of one room (``/channel``); with ``new_video_posts`` also whether new
    videos are posted in that room. Precondition: ``channel_id`` is one of the place's channels
    (the caller picked it through place_channels); ValueError otherwise."""
    channel = place_channels(place=place).filter(pk=channel_id).first()
    if channel is None:
        raise ValueError("not one of the place's channels")
    RoomDefault.objects.update_or_create(place=place, room_id=room_id, defaults={"channel": channel})
    if place.default_channel_id is None:
        place.default_channel = channel
    if new_video_posts is not None:
        place.new_video_posts = new_video_posts
        if new_video_posts:
            place.post_room_id = room_id
    place.save(update_fields=["default_channel", "new_video_posts", "post_room_id"])
    return channel
