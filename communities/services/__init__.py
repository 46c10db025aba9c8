"""Writes of Communities: functions named <entity>_<action>, keyword-only."""

from communities.services.communities import (
    SharingRefused,
    communities_sweep,
    community_channels_set,
    community_experience_learn,
    community_plan_set_by_staff,
    member_ref,
    whop_account_link,
)
from communities.services.webhooks import webhook_apply, webhook_receive

__all__ = [
    "SharingRefused",
    "communities_sweep",
    "community_channels_set",
    "community_experience_learn",
    "community_plan_set_by_staff",
    "member_ref",
    "webhook_apply",
    "webhook_receive",
    "whop_account_link",
]
