from __future__ import annotations

from django.contrib import admin

from billing.models import Plan, Usage, UserPlan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "name", "slug", "price_usd", "price_inr", "channel_limit", "monthly_query_limit",
        "max_answer_tokens", "is_default", "is_public", "sort_order",
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
