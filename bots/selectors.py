"""Reads of Bots: which account a platform user is, which personas a place may ask."""

from __future__ import annotations

from django.db.models import QuerySet

from bots.models import Bot, Place, PlatformName, PlatformUserLink, RoomDefault
from channels_app.models import Channel


def bot_get_active(*, platform: str, external_id: str) -> Bot | None:
    return Bot.objects.filter(platform=platform, external_id=external_id, status=Bot.Status.ACTIVE).first()


def platform_user_account(*, platform: str, external_user_id: str):
    """The Yoppy account a platform user linked, or None: a PlatformUserLink, or for Discord a
    Discord log-in through allauth (its uid is the Discord user id)."""
    link = PlatformUserLink.objects.select_related("user").filter(
        platform=platform, external_user_id=external_user_id, user__is_active=True
    ).first()
    if link is not None:
        return link.user
    if platform == PlatformName.DISCORD:
        from allauth.socialaccount.models import SocialAccount

        social = SocialAccount.objects.select_related("user").filter(
            provider="discord", uid=external_user_id, user__is_active=True
        ).first()
        if social is not None:
            return social.user
    return None


def place_channels(*, place: Place) -> QuerySet[Channel]:
    """The personas ``place`` may ask: a branded bot's one channel, or those the linked account
    chose for the shared bot. Only alive channels the account may still see (their own, or
    public), so a deleted or since-hidden channel drops out at once."""
    bot = place.bot
    account = place.account or bot.owner
    if account is None and not bot.is_shared:
        return Channel.objects.none()
    # No account (a Telegram chat with the shared bot, whose members pick any public persona):
    # only public channels, so a private one is never reachable through a bot.
    visible = Channel.objects.visible_to(account)
    if bot.channel_id:
        return visible.filter(pk=bot.channel_id)
    return visible.filter(pk__in=place.channels.values("pk")).order_by("title", "pk")


def place_channel_for_ask(*, place: Place, room_id: str, channel_id: int | None) -> Channel | None:
    """The persona an ask goes to: the one picked, else the room's default, else the place's,
    else its first channel; None when the pick is not one of the place's channels."""
    channels = place_channels(place=place)
    if channel_id is not None:
        return channels.filter(pk=channel_id).first()
    room_default = RoomDefault.objects.filter(place=place, room_id=room_id).values_list("channel_id", flat=True).first()
    for candidate in (room_default, place.default_channel_id):
        if candidate is not None:
            channel = channels.filter(pk=candidate).first()
            if channel is not None:
                return channel
    return channels.first()


def places_for_account(*, user) -> QuerySet[Place]:
    """The places linked to ``user`` or answered by their branded bots (their dashboard)."""
    from django.db.models import Q

    return (
        Place.objects.filter(Q(account=user) | Q(bot__owner=user))
        .select_related("bot", "default_channel")
        .prefetch_related("channels")
        .distinct()
    )


def bot_shared_active(*, platform: str) -> Bot | None:
    return Bot.objects.filter(platform=platform, is_shared=True, status=Bot.Status.ACTIVE).first()


def places_of_bots(*, bots: QuerySet[Bot]) -> QuerySet[Place]:
    """The chats and servers ``bots`` answer in, the most recently active first."""
    return Place.objects.filter(bot__in=bots).select_related("bot", "default_channel").order_by(
        "-last_activity_at", "-created_at"
    )


def platform_links_of(*, user, platform: str) -> QuerySet[PlatformUserLink]:
    return PlatformUserLink.objects.filter(platform=platform, user=user)


def bots_for_owner(*, user, platform: str) -> QuerySet[Bot]:
    return Bot.objects.filter(owner=user, platform=platform).select_related("channel").order_by("-created_at")
