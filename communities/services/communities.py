"""Writes of communities outside webhooks: the owner's shared channels and account link, staff
plan changes (audited), experiences learnt from Whop, and the sweep of uninstalled communities."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels_app.models import Channel
from chat.models import AskerKind, Conversation
from chat.services.conversations import conversation_delete
from communities.models import (
    Community,
    CommunityAuditEntry,
    CommunityChannel,
    CommunityExperience,
    CommunityPlan,
    WhopAccount,
    WhopWebhookDelivery,
)
from communities.whop.api import ExperienceInfo
from communities.whop.oauth import OAuthTokens
from yoppy import crypto

logger = logging.getLogger(__name__)


class SharingRefused(Exception):
    """The owner's choice of channels cannot be saved; the message says why (shown as is)."""


def member_ref(*, community: Community, whop_user_id: str) -> str:
    """A member's asker ref: their conversations are theirs within this community only."""
    return f"{community.pk}:{whop_user_id}"


@transaction.atomic
def community_experience_learn(*, info: ExperienceInfo) -> Community:
    """Remember which community an experience belongs to (asked of Whop once)."""
    Community.objects.bulk_create(
        [Community(company_id=info.company_id, name=info.company_title[:200])], ignore_conflicts=True
    )
    community = Community.objects.get(company_id=info.company_id)
    CommunityExperience.objects.bulk_create(
        [CommunityExperience(experience_id=info.experience_id, community=community)], ignore_conflicts=True
    )
    if not community.name and info.company_title:
        Community.objects.filter(pk=community.pk).update(name=info.company_title[:200])
    return CommunityExperience.objects.select_related("community").get(experience_id=info.experience_id).community


@transaction.atomic
def community_channels_set(*, community: Community, user, channel_ids: Iterable[int]) -> list[Channel]:
    """Share exactly these channels of ``user``'s (the linked owner's) with the community.

    Raises SharingRefused, saving nothing, for more channels than the plan allows or a channel
    that is not the user's. Preconditions: ``user`` is linked to a Whop admin of the community
    (the dashboard view checked both). The community row is locked, so two saves at once cannot
    together go over the plan's limit."""
    community = Community.objects.select_for_update().get(pk=community.pk)
    wanted = sorted(set(channel_ids))
    channels = list(Channel.objects.alive().owned_by(user).filter(pk__in=wanted))
    if len(channels) != len(wanted):
        raise SharingRefused("One of those channels is not in your Yoppy account.")
    limit = community.channel_limit
    if len(channels) > limit:
        plan = CommunityPlan(community.plan).label
        raise SharingRefused(
            f"The {plan} plan shares up to {limit} channel{'s' if limit != 1 else ''}; you picked {len(channels)}."
            if limit
            else "Choose a Yoppy plan in Whop (Basic 1, Pro 2, Rich 5 channels) to share channels."
        )
    CommunityChannel.objects.filter(community=community).exclude(channel__in=channels).delete()
    CommunityChannel.objects.bulk_create(
        [CommunityChannel(community=community, channel=channel) for channel in channels], ignore_conflicts=True
    )
    if community.owner_id != user.pk:
        community.owner = user
        community.save(update_fields=["owner", "updated_at"])
    return channels


@transaction.atomic
def whop_account_link(*, user, tokens: OAuthTokens) -> WhopAccount:
    """Link ``user`` to the Whop user the OAuth tokens belong to (once; linking again replaces
    the tokens). A Whop user linked to another Yoppy account before moves to this one: the
    sign-in just proved they control both."""
    WhopAccount.objects.filter(whop_user_id=tokens.whop_user_id).exclude(user=user).delete()
    account, _ = WhopAccount.objects.update_or_create(
        user=user,
        defaults={
            "whop_user_id": tokens.whop_user_id,
            "access_token": crypto.encrypt(tokens.access_token),
            "refresh_token": crypto.encrypt(tokens.refresh_token) if tokens.refresh_token else "",
        },
    )
    return account


@transaction.atomic
def community_plan_set_by_staff(*, community: Community, plan: str, actor, reason: str) -> Community:
    """Staff set (or, with "", clear) the plan that wins over the paid one; audited like the
    money actions (who, when, from what to what, why)."""
    if plan and plan not in CommunityPlan.values:
        raise ValueError(f"not a plan: {plan!r}")
    if not reason.strip():
        raise ValueError("a staff plan change needs a reason")
    community = Community.objects.select_for_update().get(pk=community.pk)
    before = {"staff_plan": community.staff_plan, "effective": community.plan}
    community.staff_plan = plan
    community.save(update_fields=["staff_plan", "updated_at"])
    CommunityAuditEntry.objects.create(
        actor=actor, action=CommunityAuditEntry.Action.PLAN_CHANGE, company_id=community.company_id,
        detail={"before": before, "after": {"staff_plan": plan, "effective": community.plan}}, reason=reason.strip(),
    )  # fmt: skip
    return community


def communities_sweep(*, now: dt.datetime | None = None) -> int:
    """Delete communities whose grace period after uninstalling is over (members, payments,
    shared channels, experiences, their members' conversations and webhook deliveries), and rows
    that events created for a company that never installed the app. Returns how many."""
    now = now or timezone.now()
    grace = dt.timedelta(days=settings.WHOP_DATA_GRACE_DAYS)
    expired = list(
        Community.objects.filter(installed=False, delete_after__lt=now)
        | Community.objects.filter(installed=False, installation_at__isnull=True, created_at__lt=now - grace)
    )
    for community in expired:
        with transaction.atomic():
            locked = Community.objects.select_for_update().filter(pk=community.pk, installed=False).first()
            if locked is None:
                continue  # reinstalled meanwhile
            conversations = Conversation.objects.filter(
                asker_kind=AskerKind.WHOP_MEMBER, asker_ref__startswith=f"{locked.pk}:"
            )
            for conversation in conversations:
                conversation_delete(conversation=conversation)
            WhopWebhookDelivery.objects.filter(company_id=locked.company_id).delete()
            locked.delete()
            logger.info("community %s deleted after its grace period", locked.company_id)
    return len(expired)
