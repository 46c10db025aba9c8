"""Django admin of Affiliates; actions call services.

The ledger and the audit log are read-only here. Payouts are read-only too, apart from the
three money actions (approve, reject with a reason, mark a hand-paid payout paid), each of which
goes through a service that writes an audit entry. Bank details are never shown: only the
masked destination, and the encrypted column is not even a form field.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse

from affiliates import services
from affiliates.models import AffiliateProfile, AuditEntry, Commission, Payout, Referral
from billing.money import format_minor


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AffiliateProfile)
class AffiliateProfileAdmin(ReadOnlyAdmin):
    list_display = ["user", "code", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__email", "code"]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["user", "referrer", "source", "touched_at", "created_at"]
    list_filter = ["source", "created_at"]
    list_select_related = ["user", "referrer"]
    search_fields = ["user__email", "referrer__email"]


@admin.register(Commission)
class CommissionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "creator", "kind", "amount", "rate", "payment", "refund", "occurred_at", "available_at"]
    list_filter = ["kind", "currency", "occurred_at"]
    list_select_related = ["creator", "payment", "refund"]
    search_fields = ["creator__email", "payment__gateway_payment_id", "refund__gateway_refund_id"]
    date_hierarchy = "occurred_at"

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Commission) -> str:
        return format_minor(obj.amount_minor, obj.currency)


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class ReferenceForm(forms.Form):
    reference = forms.CharField(max_length=100, help_text="The PayPal transaction id.")


class AuditInline(admin.TabularInline):
    model = AuditEntry
    fields = ["created_at", "actor", "action", "reason", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["pk", "creator", "amount", "method", "destination_masked", "status", "requested_at", "decided_by"]
    list_filter = ["status", "method", "currency", "requested_at"]
    list_select_related = ["creator", "decided_by"]
    search_fields = ["creator__email", "razorpay_payout_id", "paypal_item_id", "reference"]
    date_hierarchy = "requested_at"
    # Listed, not derived: the encrypted column must never appear, not even as ciphertext.
    fields = [
        "creator", "amount", "method", "destination_masked", "status", "requested_at", "decided_at",
        "decided_by", "rejection_reason", "razorpay_contact_id", "razorpay_fund_account_id",
        "razorpay_payout_id", "paypal_batch_id", "paypal_item_id", "gateway_status", "failure_reason",
        "reference", "paid_at",
    ]  # fmt: skip
    readonly_fields = fields
    inlines = [AuditInline]
    actions = ["approve", "reject", "mark_paid"]

    @admin.display(description="amount", ordering="amount_minor")
    def amount(self, obj: Payout) -> str:
        return format_minor(obj.amount_minor, obj.currency)

    def has_money_permission(self, request) -> bool:
        return request.user.has_perm("affiliates.change_payout")

    def _each(self, request, queryset, act, done: str) -> None:
        count = 0
        for payout in queryset:
            try:
                act(payout)
            except services.PayoutStateError as refused:
                self.message_user(request, str(refused), messages.WARNING)
            else:
                count += 1
        if count:
            self.message_user(request, f"{done} {count} payout(s).", messages.SUCCESS)

    @admin.action(description="Approve selected payouts", permissions=["money"])
    def approve(self, request, queryset):
        self._each(
            request, queryset, lambda payout: services.payout_approve(payout=payout, actor=request.user), "Approved"
        )

    def _with_form(self, request, queryset, form_class, action: str, title: str, act, done: str):
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            self._each(request, queryset, lambda payout: act(payout, form.cleaned_data), done)
            return None
        return TemplateResponse(
            request,
            "admin/affiliates/payout/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "payouts": queryset,
                "form": form,
                "action": action,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Reject selected payouts (with a reason)", permissions=["money"])
    def reject(self, request, queryset):
        return self._with_form(
            request, queryset, ReasonForm, "reject", "Reject payouts",
            lambda payout, data: services.payout_reject(payout=payout, actor=request.user, reason=data["reason"]),
            "Rejected",
        )  # fmt: skip

    @admin.action(description="Mark selected PayPal payouts paid (with the reference)", permissions=["money"])
    def mark_paid(self, request, queryset):
        return self._with_form(
            request, queryset, ReferenceForm, "mark_paid", "Mark payouts paid by hand",
            lambda payout, data: services.payout_mark_paid(
                payout=payout, actor=request.user, reference=data["reference"]
            ),
            "Marked paid",
        )  # fmt: skip


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor", "action", "target", "reason"]
    list_filter = ["action", "created_at"]
    list_select_related = ["actor"]
    search_fields = ["actor__email", "target", "reason"]
    date_hierarchy = "created_at"
    raw_id_fields = ["payout"]
