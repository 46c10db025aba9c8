from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Plan(models.Model):
    """A subscription plan and its limits. Staff create custom plans in the admin; they live in
    the database (the original kept admin-made plans in memory and lost them on restart)."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=200, blank=True)
    price_usd = models.DecimalField("price (USD / month)", max_digits=8, decimal_places=2, default=0)
    price_inr = models.DecimalField("price (INR / month)", max_digits=10, decimal_places=2, default=0)
    channel_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Channels a user may add. Empty means unlimited."
    )
    monthly_query_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Questions per calendar month. Empty means unlimited."
    )
    max_answer_tokens = models.PositiveIntegerField(
        default=600, help_text="Longest answer the persona may write, in tokens."
    )
    max_videos_per_channel = models.PositiveIntegerField(
        default=50, help_text="Newest long-form videos ingested per channel."
    )
    is_default = models.BooleanField(
        default=False, help_text="Given to every new user. Exactly one plan is the default."
    )
    is_public = models.BooleanField(default=True, help_text="Listed on the landing page.")
    sort_order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sort_order", "price_usd"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="billing_plan_one_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.price_usd == 0 and self.price_inr == 0


class UserPlan(models.Model):
    """The plan a user is on now. Every user has one (Free by default), created with the user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_assignment"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="assignments")
    since = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "plan assignment"

    def __str__(self) -> str:
        return f"{self.user} on {self.plan}"


class Usage(models.Model):
    """Questions asked by a user in one calendar month (UTC), counted by ``quota_consume``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="usages")
    period_start = models.DateField(help_text="First day of the month this row counts.")
    queries_used = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "usage"
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period_start"], name="billing_usage_one_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.period_start:%Y-%m}: {self.queries_used}"
