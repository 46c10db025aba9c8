from __future__ import annotations

from django.contrib import admin

from billing.models import GatewayPlan, Payment, Plan, Refund, Subscription, Usage, UserPlan, WebhookDelivery


class GatewayPlanInline(admin.TabularInline):
    model = GatewayPlan
    extra = 0
    fields = ["provider", "gateway_plan_id", "currency", "is_active"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    inlines = [GatewayPlanInline]
    list_display = [
        "name", "slug", "price_usd", "price_inr", "channel_limit", "monthly_query_limit",
        "max_answer_tokens", "affiliate_commission_rate", "is_default", "is_public", "sort_order",
    ]  # fmt: skip
    list_editable = ["sort_order", "is_public"]
    list_filter = ["is_public", "is_default"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "affiliate_commission_rate" in form.changed_data:
            # Commission rates are money decisions: the affiliates audit log records who changed them.
            from affiliates.services import plan_rate_change_record

            plan_rate_change_record(
                plan=obj, actor=request.user, old_rate=form.initial.get("affiliate_commission_rate")
            )


@admin.register(UserPlan)
class UserPlanAdmin(admin.ModelAdmin):
    list_display = ["user", "plan", "since", "updated_at"]
    list_filter = ["plan"]
    list_select_related = ["user", "plan"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]


@admin.register(Usage)
class UsageAdmin(admin.ModelAdmin):
    list_display = ["user", "period_start", "queries_used", "updated_at"]
    list_filter = ["period_start"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
    date_hierarchy = "period_start"


class UserPlanInline(admin.StackedInline):
    model = UserPlan
    can_delete = False
    extra = 0


class UsageInline(admin.TabularInline):
    model = Usage
    extra = 0
    fields = ["period_start", "queries_used"]
    ordering = ["-period_start"]
    max_num = 12


class ReadOnlyAdmin(admin.ModelAdmin):
    """Money records come from the gateways' signed webhooks; staff read them, never edit them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["gateway_subscription_id", "user", "plan", "provider", "status", "current_period_end",
                    "cancel_at_period_end", "created_at"]  # fmt: skip
    list_filter = ["provider", "status", "plan", "cancel_at_period_end"]
    list_select_related = ["user", "plan"]
    search_fields = ["gateway_subscription_id", "user__email"]
    date_hierarchy = "created_at"


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    can_delete = False
    fields = ["kind", "gateway_refund_id", "amount_minor", "currency", "refunded_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["gateway_payment_id", "user", "plan", "amount_minor", "currency", "provider", "paid_at"]
    list_filter = ["provider", "currency", "plan"]
    list_select_related = ["user", "plan"]
    search_fields = ["gateway_payment_id", "user__email", "subscription__gateway_subscription_id"]
    date_hierarchy = "paid_at"
    inlines = [RefundInline]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["gateway_refund_id", "kind", "payment", "amount_minor", "currency", "refunded_at"]
    list_filter = ["provider", "kind", "currency"]
    list_select_related = ["payment"]
    search_fields = ["gateway_refund_id", "payment__gateway_payment_id", "payment__user__email"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "provider", "event_type", "event_id", "needs_attention", "outcome"]
    list_filter = ["needs_attention", "provider", "event_type"]
    search_fields = ["event_id", "outcome", "subscription__gateway_subscription_id"]
    date_hierarchy = "received_at"
