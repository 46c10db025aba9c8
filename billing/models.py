from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.money import format_minor


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
    affiliate_commission_rate = models.DecimalField(
        max_digits=4, decimal_places=3, default=0,
        help_text="Share of each payment for this plan paid to the referring creator (0.400 = 40 %).",
    )  # fmt: skip
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


class Provider(models.TextChoices):
    RAZORPAY = "razorpay", "Razorpay"
    PAYPAL = "paypal", "PayPal"


class GatewayPlan(models.Model):
    """A plan as a gateway knows it. Razorpay plans have one currency each, so Personal has an INR
    and a USD plan id; every id maps to its plan here (the original mapped only the INR ids and
    silently gave USD subscribers the Free plan)."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    gateway_plan_id = models.CharField(max_length=64, help_text="plan_… (Razorpay) or P-… (PayPal)")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="gateway_plans")
    currency = models.CharField(max_length=3, choices=[("INR", "INR"), ("USD", "USD")])
    is_active = models.BooleanField(default=True, help_text="Offered to new subscribers.")

    class Meta:
        verbose_name = "gateway plan"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "gateway_plan_id"], name="billing_gatewayplan_unique_id"
            ),
            models.UniqueConstraint(
                fields=["provider", "plan", "currency"],
                condition=Q(is_active=True),
                name="billing_gatewayplan_one_active_per_currency",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.gateway_plan_id} → {self.plan} ({self.currency})"


class Subscription(models.Model):
    """A subscription at a gateway, as its webhooks describe it.

    Webhooks arrive late, twice, or out of order, so the status is not "whatever came last": it is
    the status of the greatest event by (final?, event time, rank), see ``billing.services``.
    The same set of events therefore gives the same row in any order of delivery.
    """

    class Status(models.TextChoices):
        CREATED = "created", "Awaiting checkout"
        AUTHENTICATED = "authenticated", "Authorised, first charge pending"
        ACTIVE = "active", "Active"
        PENDING = "pending", "Payment retrying"
        HALTED = "halted", "Halted after failed payments"
        SUSPENDED = "suspended", "Suspended"
        CANCELLED = "cancelled", "Cancelled"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"

    # Money records outlive a deleted account (accounting); they then belong to nobody.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="subscriptions"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    gateway_subscription_id = models.CharField(max_length=64)
    currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CREATED)
    # Time and rank of the event that set the status; an event only wins over a greater one.
    status_at = models.DateTimeField(null=True, blank=True)
    status_rank = models.PositiveSmallIntegerField(default=0)
    plan_at = models.DateTimeField(null=True, blank=True, help_text="Time of the event that set the plan.")
    current_period_end = models.DateTimeField(null=True, blank=True, help_text="Paid until / renews on.")
    cancel_at_period_end = models.BooleanField(default=False)
    checkout_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "gateway_subscription_id"], name="billing_subscription_unique_gateway_id"
            )
        ]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} {self.gateway_subscription_id} ({self.status})"


class Payment(models.Model):
    """Money received: one row per gateway payment, however many events mention it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, related_name="payments", null=True, blank=True
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=16, choices=Provider.choices)
    gateway_payment_id = models.CharField(max_length=64)
    amount_minor = models.PositiveBigIntegerField(help_text="Paise or cents.")
    currency = models.CharField(max_length=3)
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-paid_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "gateway_payment_id"], name="billing_payment_unique_gateway_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway_payment_id}: {format_minor(self.amount_minor, self.currency)}"


class Refund(models.Model):
    """Money given back on a payment: a refund, or a chargeback the buyer's bank forced."""

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund"
        CHARGEBACK = "chargeback", "Chargeback"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REFUND)
    provider = models.CharField(max_length=16, choices=Provider.choices)
    gateway_refund_id = models.CharField(max_length=64)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    refunded_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-refunded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "gateway_refund_id"], name="billing_refund_unique_gateway_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.gateway_refund_id}: {format_minor(self.amount_minor, self.currency)}"


class WebhookDelivery(models.Model):
    """One verified webhook event, inserted in the same transaction as its effect: a second
    delivery of the same (provider, event id) finds the row and changes nothing."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    event_id = models.CharField(max_length=128)
    event_type = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(
        max_length=200, blank=True, help_text="What the event did, or why it did nothing."
    )
    needs_attention = models.BooleanField(default=False, help_text="Verified but could not be applied.")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    payload = models.JSONField()
    # SHA-256 of the signed raw body. Unique too: a signed body replayed under a new (unsigned)
    # event id is the same delivery. Empty for rows from before it was recorded.
    body_sha256 = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="billing_webhookdelivery_once"),
            models.UniqueConstraint(
                fields=["provider", "body_sha256"],
                condition=~models.Q(body_sha256=""),
                name="billing_webhookdelivery_body_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id}"
