"""Reads of Communities: functions named <entity>_<action>."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from channels_app.models import Channel
from chat.models import Conversation, Message
from communities.models import Community, CommunityChannel, CommunityExperience, WhopAccount
from communities.pools import month_start, next_month_start


@dataclass(frozen=True)
class PoolStatus:
    used: int
    limit: int
    left: int
    refills_on: dt.date


def community_for_experience(*, experience_id: str) -> Community | None:
    """The community an experience belongs to, if Whop told us before."""
    row = CommunityExperience.objects.select_related("community").filter(experience_id=experience_id).first()
    return row.community if row else None


def community_for_company(*, company_id: str) -> Community | None:
    return Community.objects.filter(company_id=company_id).first()


def community_pool_status(*, community: Community, now: dt.datetime | None = None) -> PoolStatus:
    now = now or timezone.now()
    used = community.pool_used_in(month_start(now))
    limit = community.pool_limit
    return PoolStatus(used=used, limit=limit, left=max(0, limit - used), refills_on=next_month_start(now))


def community_shared_channels(*, community: Community) -> list[Channel]:
    """Every channel the owner shared, oldest share first (the dashboard's list)."""
    return [
        row.channel
        for row in CommunityChannel.objects.filter(community=community, channel__delete_requested_at__isnull=True)
        .select_related("channel")
        .order_by("created_at", "id")
    ]


def community_channels_for_members(*, community: Community) -> list[Channel]:
    """The channels members may ask: the shared ones, the oldest first, as many as the plan
    allows (after a downgrade, until the owner picks which stay)."""
    return community_shared_channels(community=community)[: community.channel_limit]


def whop_account_user(*, whop_user_id: str):
    """The Yoppy account linked to this Whop user, or None."""
    account = WhopAccount.objects.select_related("user").filter(whop_user_id=whop_user_id).first()
    return account.user if account else None


def owner_channels(*, user) -> list[Channel]:
    return list(Channel.objects.alive().owned_by(user).order_by("title"))


def member_conversation_get(*, asker, channel: Channel, pk: int) -> Conversation:
    """A member's own conversation with one of the community's channels, or 404. (chat's
    ``conversation_get_for_asker`` also wants the channel public or the asker's: a community
    shares its owner's private channels.)"""
    conversation = Conversation.objects.filter(
        pk=pk, asker_kind=asker.kind, asker_ref=asker.ref, channel=channel
    ).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def member_message_get(*, asker, pk: int) -> Message:
    """One of the member's own answers (to stream it), or 404."""
    message = (
        Message.objects.select_related("conversation")
        .filter(pk=pk, role=Message.Role.ASSISTANT, conversation__asker_kind=asker.kind, conversation__asker_ref=asker.ref)
        .first()
    )
    if message is None:
        raise Http404("No such answer.")
    return message
