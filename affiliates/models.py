"""Tables of Affiliates: referral codes, referrals, the commission ledger, payouts, the audit log.

Money is in minor units (paise, cents) of one currency per row. Balances are never stored: they
are sums over ``Commission`` (earned, append-only) minus sums over ``Payout`` (paid or on its
way), so a balance can always be recomputed and explained row by row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q

from billing.money import format_minor
from yoppy import crypto


class AppendOnlyError(Exception):
    """Ledger and audit rows are written once: corrections are new rows, never edits."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be updated")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class AffiliateProfile(models.Model):
    """A creator's referral code, created the first time it is needed.

    Also the row payout requests lock (``select_for_update``): the available balance is
    computed and spent under that lock, so two requests cannot both spend it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliate_profile"
    )
    code = models.SlugField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.code})"


class Referral(models.Model):
    """Who brought a user to Yoppy. Set once, when the account is created."""

    class Source(models.TextChoices):
        PAGE = "page", "Public creator page"
        CODE = "code", "Referral link"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral",
        help_text="The referred user.",
    )  # fmt: skip
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referrals_made"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    touched_at = models.DateTimeField(help_text="First visit that carried the referral.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When the account was created.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(user=models.F("referrer")), name="affiliates_referral_not_self")
        ]

    def __str__(self) -> str:
        return f"{self.user} referred by {self.referrer}"


class Commission(AppendOnlyModel):
    """One line of a creator's ledger: earned on a payment (positive) or taken back by a refund
    or chargeback of that payment (negative). Never updated or deleted.

    The unique constraints make recording idempotent: a payment earns once, a refund reverses
    once, however often the webhook is delivered."""

    class Kind(models.TextChoices):
        EARNING = "earning", "Earning"
        REVERSAL = "reversal", "Reversal"

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="commissions")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    payment = models.ForeignKey("billing.Payment", on_delete=models.PROTECT, related_name="commissions")
    refund = models.OneToOneField(
        "billing.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="commission"
    )
    amount_minor = models.BigIntegerField(help_text="Paise or cents; negative for reversals.")
    currency = models.CharField(max_length=3)
    rate = models.DecimalField(max_digits=4, decimal_places=3, help_text="The plan's rate when earned.")
    base_amount_minor = models.PositiveBigIntegerField(
        help_text="The payment (earning) or refund (reversal) amount the commission was computed from."
    )
    occurred_at = models.DateTimeField(help_text="When the payment or refund happened.")
    available_at = models.DateTimeField(help_text="When this line counts towards the available balance.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="earning"), name="affiliates_commission_one_per_payment"
            ),
            models.CheckConstraint(
                condition=(Q(kind="earning", refund__isnull=True, amount_minor__gte=0)
                           | Q(kind="reversal", refund__isnull=False, amount_minor__lte=0)),
                name="affiliates_commission_sign_matches_kind",
            ),  # fmt: skip
        ]
        indexes = [models.Index(fields=["creator", "currency", "available_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_minor} {self.currency} for {self.creator}"


@dataclass(frozen=True)
class PayoutDestination:
    """Where a payout goes: a bank account (INR, through RazorpayX) or a PayPal email (through
    PayPal Payouts when PayPal is configured, else paid by hand).

    Its repr is the masked form, so the clear details never reach a log line or a traceback
    by way of ``repr()``."""

    account_number: str = ""
    ifsc: str = ""
    holder_name: str = ""
    paypal_email: str = ""

    @property
    def is_bank(self) -> bool:
        return bool(self.account_number)

    @property
    def masked(self) -> str:
        if self.is_bank:
            return f"Bank account ••••{self.account_number[-4:]} ({self.ifsc[:4]})"
        return f"PayPal {mask_email(self.paypal_email)}"

    def __repr__(self) -> str:
        return f"PayoutDestination({self.masked})"

    __str__ = __repr__

    def to_json(self) -> str:
        return json.dumps(
            {"account_number": self.account_number, "ifsc": self.ifsc, "holder_name": self.holder_name,
             "paypal_email": self.paypal_email}
        )  # fmt: skip

    @classmethod
    def from_json(cls, text: str) -> PayoutDestination:
        return cls(**json.loads(text))


def mask_email(email: str) -> str:
    """"alice@gmail.com" → "a***@g***.com": enough to recognise, not enough to contact."""
    local, _, domain = email.partition("@")
    name, dot, tld = domain.rpartition(".")
    if not dot:
        name, tld = domain, ""
    masked_domain = f"{name[:1]}***" + (f".{tld}" if tld else "")
    return f"{local[:1]}***@{masked_domain}"


class Payout(models.Model):
    """A creator's request to be paid, and what became of it.

    Counts against the available balance unless it ended rejected, failed or reversed: money
    of a payout that did not arrive is available again, without any ledger row."""

    class Method(models.TextChoices):
        BANK = "bank", "Bank transfer (RazorpayX)"
        PAYPAL = "paypal", "PayPal"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved, sending"
        PROCESSING = "processing", "Sent, awaiting confirmation"
        MANUAL = "manual", "Approved, to pay by hand"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"
        FAILED = "failed", "Failed"
        REVERSED = "reversed", "Reversed after sending"

    # Statuses whose amount is not (or no longer) owed to the creator's balance.
    RELEASED = frozenset({Status.REJECTED, Status.FAILED, Status.REVERSED})
    FINAL = frozenset({Status.PAID, Status.REJECTED, Status.FAILED, Status.REVERSED})

    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=8, choices=Method.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    # Fernet token of PayoutDestination.to_json(); only ``destination_masked`` is ever shown.
    destination_encrypted = models.TextField(editable=False)
    destination_masked = models.CharField(max_length=80, editable=False)

    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rejection_reason = models.CharField(max_length=500, blank=True)
    razorpay_contact_id = models.CharField(max_length=40, blank=True)
    razorpay_fund_account_id = models.CharField(max_length=40, blank=True)
    razorpay_payout_id = models.CharField(max_length=40, blank=True, db_index=True)
    paypal_batch_id = models.CharField(max_length=40, blank=True)
    paypal_item_id = models.CharField(max_length=40, blank=True, db_index=True)
    gateway_status = models.CharField(
        max_length=20, blank=True, help_text="Last status RazorpayX or PayPal reported."
    )
    failure_reason = models.CharField(max_length=500, blank=True)
    reference = models.CharField(max_length=100, blank=True, help_text="UTR, or the PayPal transaction id.")
    paid_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["creator", "currency", "status"])]

    def __str__(self) -> str:
        return f"Payout #{self.pk}: {format_minor(self.amount_minor, self.currency)} to {self.creator}"

    @property
    def reference_id(self) -> str:
        """Our id at RazorpayX and PayPal (reference, idempotency key, PayPal's sender batch and
        item id): the same for every retry."""
        return f"yoppy-payout-{self.pk}"

    @property
    def destination(self) -> PayoutDestination:
        return PayoutDestination.from_json(crypto.decrypt(self.destination_encrypted))

    def set_destination(self, destination: PayoutDestination) -> None:
        self.destination_encrypted = crypto.encrypt(destination.to_json())
        self.destination_masked = destination.masked


class AuditEntry(AppendOnlyModel):
    """Who did what with money in the admin, when, and why. Written once, never changed."""

    class Action(models.TextChoices):
        PAYOUT_APPROVE = "payout_approve", "Payout approved"
        PAYOUT_REJECT = "payout_reject", "Payout rejected"
        PAYOUT_MARK_PAID = "payout_mark_paid", "Payout marked paid"
        PLAN_RATE_CHANGE = "plan_rate_change", "Commission rate changed"

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices)
    target = models.CharField(max_length=200, help_text="What was acted on, e.g. “Payout #12”.")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="audit")
    detail = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target} by {self.actor}"
