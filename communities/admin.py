"""Django admin of Communities: every community with its Whop company, plan, members, pool and
shared channels; webhook deliveries; staff plan changes go through a service and are audited."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html

from communities import selectors, services
from communities.models import (
    Community,
    CommunityAuditEntry,
    CommunityChannel,
    CommunityMember,
    CommunityPayment,
    CommunityPlan,
    WhopWebhookDelivery,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SharedChannelInline(ReadOnlyInline):
    model = CommunityChannel
    fields = ["channel", "created_at"]
    readonly_fields = fields


class MemberInline(ReadOnlyInline):
    model = CommunityMember
    fields = ["membership_id", "whop_user_id", "active", "state_at"]
    readonly_fields = fields
    max_num = 50


class PaymentInline(ReadOnlyInline):
    model = CommunityPayment
    fields = ["payment_id", "product_id", "plan", "state", "paid_at"]
    readonly_fields = fields


class StaffPlanForm(forms.Form):
    plan = forms.ChoiceField(
        choices=[("", "No staff plan (the paid plan applies)"), *CommunityPlan.choices], required=False
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Kept in the audit log.")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    """Webhooks write these rows; staff read them and change the plan only through the audited
    "Change plan" page (the fields are read-only here)."""

    list_display = [
        "company_id", "name", "installed", "plan_display", "active_members", "pool_used_display",
        "pool_left_display", "shared_count", "owner", "delete_after",
    ]  # fmt: skip
    list_filter = ["installed", "paid_plan", "staff_plan"]
    search_fields = ["company_id", "name", "owner__email"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = [
        "company_id", "name", "installed", "installation_at", "delete_after", "paid_plan", "staff_plan",
        "active_members", "pool_period", "pool_used", "owner", "created_at", "updated_at", "change_plan_link",
    ]  # fmt: skip
    inlines = [SharedChannelInline, MemberInline, PaymentInline]

    def has_add_permission(self, request) -> bool:
        return False  # communities come from Whop's installs

    @admin.display(description="plan")
    def plan_display(self, obj: Community) -> str:
        label = CommunityPlan(obj.plan).label
        return f"{label} (staff)" if obj.staff_plan else label

    @admin.display(description="pool used")
    def pool_used_display(self, obj: Community) -> int:
        return selectors.community_pool_status(community=obj).used

    @admin.display(description="pool left")
    def pool_left_display(self, obj: Community) -> str:
        status = selectors.community_pool_status(community=obj)
        return f"{status.left} of {status.limit}"

    @admin.display(description="shared channels")
    def shared_count(self, obj: Community) -> int:
        return obj.shared.count()

    @admin.display(description="plan change")
    def change_plan_link(self, obj: Community) -> str:
        url = reverse("admin:communities_community_plan", args=[obj.pk])
        return format_html('<a href="{}">Change plan (audited)</a>', url)

    def get_urls(self):
        return [
            path("<int:pk>/plan/", self.admin_site.admin_view(self.plan_view), name="communities_community_plan"),
            *super().get_urls(),
        ]

    def plan_view(self, request, pk: int):
        community = Community.objects.filter(pk=pk).first()
        if community is None or not self.has_change_permission(request, community):
            return redirect("admin:communities_community_changelist")
        form = StaffPlanForm(request.POST or None, initial={"plan": community.staff_plan})
        if request.method == "POST" and form.is_valid():
            services.community_plan_set_by_staff(
                community=community, plan=form.cleaned_data["plan"], actor=request.user, reason=form.cleaned_data["reason"]
            )
            self.message_user(request, "Plan changed; the change is in the audit log.", messages.SUCCESS)
            return redirect("admin:communities_community_change", pk)
        context = {**self.admin_site.each_context(request), "title": f"Change the plan of {community}",
                   "form": form, "community": community, "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/communities/community_plan.html", context)


@admin.register(WhopWebhookDelivery)
class WhopWebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["webhook_id", "event_type", "company_id", "occurred_at", "received_at", "applied_at", "outcome", "needs_attention"]
    list_filter = ["event_type", "needs_attention"]
    search_fields = ["webhook_id", "company_id"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CommunityAuditEntry)
class CommunityAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "company_id", "reason"]
    list_filter = ["action"]
    search_fields = ["company_id", "actor__email"]
    list_select_related = ["actor"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
