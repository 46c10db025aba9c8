from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from billing.admin import UsageInline, UserPlanInline
from yoppy.users import services
from yoppy.users.models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["-date_joined"]
    # Short columns: beside the admin's navigation and the filters, the list has ~630 px at 1280.
    list_display = ["email", "name", "current_plan", "staff", "active", "joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "plan_assignment__plan"]
    list_select_related = ["plan_assignment__plan"]
    search_fields = ["email", "name"]
    readonly_fields = ["last_login", "date_joined"]
    inlines = [UserPlanInline, UsageInline]
    actions = ["delete_with_everything_owned"]
    fieldsets = [
        (None, {"fields": ["email", "password", "name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    @admin.display(description="plan", ordering="plan_assignment__plan__sort_order")
    def current_plan(self, user: User) -> str:
        assignment = getattr(user, "plan_assignment", None)
        return assignment.plan.name if assignment else "—"

    @admin.display(description="staff", boolean=True, ordering="is_staff")
    def staff(self, user: User) -> bool:
        return user.is_staff

    @admin.display(description="active", boolean=True, ordering="is_active")
    def active(self, user: User) -> bool:
        return user.is_active

    @admin.display(description="joined", ordering="date_joined")
    def joined(self, user: User):
        return user.date_joined.date()

    @admin.action(description="Delete selected users and everything they own", permissions=["delete"])
    def delete_with_everything_owned(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            if user.pk == request.user.pk:
                self.message_user(request, "You cannot delete your own account here.", messages.ERROR)
                continue
            email = user.email
            try:
                summary = services.user_delete(user=user)
            except services.UserDeleteRefused as exc:
                self.message_user(request, str(exc), messages.ERROR)
                continue
            details = ", ".join(f"{n} {name}" for name, n in summary.items())
            self.message_user(request, f"Deleted {email}: {details}.", messages.SUCCESS)
