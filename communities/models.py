"""Tables of Communities: Whop communities that installed the Yoppy app.

Every row that webhooks write is keyed by Whop's own ids (company, membership, payment) and keeps
the time of the event that set it, so events applied in any order, any number of times, leave
the same rows (communities.services.webhooks).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from affiliates.models import AppendOnlyModel


class CommunityPlan(models.TextChoices):
    NONE = "none", "No plan"
    BASIC = "basic", "Basic"
    PRO = "pro", "Pro"
    RICH = "rich", "Rich"


# Channels a community may share, per plan (sold as Whop products, settings.WHOP_PLAN_PRODUCTS).
CHANNEL_LIMITS = {CommunityPlan.NONE: 0, CommunityPlan.BASIC: 1, CommunityPlan.PRO: 2, CommunityPlan.RICH: 5}


class Community(models.Model):
    """A Whop company (biz_...) with the app: its install state, plan, members' pool and owner.

    The pool: ``settings.WHOP_QUESTIONS_PER_MEMBER`` x ``active_members`` questions per calendar
    month (UTC); ``pool_used`` counts the questions of ``pool_period`` and starts again at 0 in a
    new month (communities.pools.CommunityPool.take)."""

    company_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    installed = models.BooleanField(default=False)
    # Time of the install/uninstall event that set ``installed`` (the latest one wins).
    installation_at = models.DateTimeField(null=True, blank=True)
    # Uninstalled: the data is kept until then, then the sweep deletes the community.
    delete_after = models.DateTimeField(null=True, blank=True)
    paid_plan = models.CharField(max_length=8, choices=CommunityPlan.choices, default=CommunityPlan.NONE)
    # Set by staff in the admin (audited); wins over the paid plan while set.
    staff_plan = models.CharField(max_length=8, choices=CommunityPlan.choices, blank=True)
    active_members = models.PositiveIntegerField(default=0)
    pool_period = models.DateField(null=True, blank=True, help_text="First day of the month pool_used counts.")
    pool_used = models.PositiveIntegerField(default=0)
    # The Yoppy account whose channels the community shares (linked through Whop OAuth).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="communities"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "communities"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.company_id

    @property
    def plan(self) -> str:
        return self.staff_plan or self.paid_plan

    @property
    def channel_limit(self) -> int:
        return CHANNEL_LIMITS[CommunityPlan(self.plan)]

    @property
    def pool_limit(self) -> int:
        return settings.WHOP_QUESTIONS_PER_MEMBER * self.active_members

    def pool_used_in(self, period) -> int:
        """Questions taken in ``period`` (a month's first day): none yet in a new month."""
        return self.pool_used if self.pool_period == period else 0


class CommunityExperience(models.Model):
    """An experience (exp_...) of the app inside a community, learnt from Whop's API once."""

    experience_id = models.CharField(max_length=64, unique=True)
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="experiences")

    def __str__(self) -> str:
        return self.experience_id


class CommunityMember(models.Model):
    """One Whop membership (mem_...) of the community: active or not, as of ``state_at``."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="members")
    membership_id = models.CharField(max_length=64)
    whop_user_id = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=False)
    state_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["community", "membership_id"], name="communities_member_once"),
        ]

    def __str__(self) -> str:
        return self.membership_id


class CommunityPayment(models.Model):
    """A Whop payment (pay_...) for a Yoppy plan product. Its state only moves up: failed <
    succeeded < refunded, so late or repeated events cannot undo a refund."""

    class State(models.TextChoices):
        FAILED = "failed", "Failed"
        SUCCEEDED = "succeeded", "Succeeded"
        REFUNDED = "refunded", "Refunded"

    RANK = {State.FAILED: 0, State.SUCCEEDED: 1, State.REFUNDED: 2}

    # Empty until the payment's own event arrives: a refund can be delivered before it.
    community = models.ForeignKey(Community, on_delete=models.CASCADE, null=True, blank=True, related_name="payments")
    payment_id = models.CharField(max_length=64, unique=True)
    product_id = models.CharField(max_length=64, blank=True)
    plan = models.CharField(max_length=8, choices=CommunityPlan.choices, blank=True)
    state = models.CharField(max_length=12, choices=State.choices)
    paid_at = models.DateTimeField(null=True, blank=True, help_text="When Whop created the payment: the latest paid one sets the plan.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.payment_id


class CommunityChannel(models.Model):
    """A channel of the owner's Yoppy account shared with the community's members."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="shared")
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="communities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["community", "channel"], name="communities_channel_once"),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.channel_id}"


class WhopAccount(models.Model):
    """A Yoppy account linked to a Whop user through Whop OAuth (PKCE). Tokens are encrypted
    with yoppy.crypto (Fernet, FIELD_ENCRYPTION_KEYS)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="whop_account")
    whop_user_id = models.CharField(max_length=64, unique=True)
    access_token = models.TextField(blank=True, help_text="Encrypted.")
    refresh_token = models.TextField(blank=True, help_text="Encrypted.")
    linked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.whop_user_id


class WhopWebhookDelivery(models.Model):
    """Each verified Whop webhook, once per ``webhook-id`` (a redelivery changes nothing). The
    web request stores it and queues ``communities.tasks.whop_webhook_apply``."""

    webhook_id = models.CharField(max_length=100, unique=True)
    event_type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(null=True, blank=True)
    company_id = models.CharField(max_length=64, blank=True, db_index=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    needs_attention = models.BooleanField(default=False)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "Whop webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event_type} {self.webhook_id}"


class CommunityAuditEntry(AppendOnlyModel):
    """Who changed a community's plan in the admin, when, and why. Written once, never changed;
    it outlives the community."""

    class Action(models.TextChoices):
        PLAN_CHANGE = "plan_change", "Plan changed by staff"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    # No foreign key: the community may be deleted by the sweep, the audit row stays (and a
    # SET_NULL would have to update this append-only table).
    company_id = models.CharField(max_length=64, db_index=True)
    detail = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "community audit entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.company_id}"
