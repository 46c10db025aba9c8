from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from widgets import selectors, services
from widgets.models import Widget, WidgetDailyStat, WidgetOrigin
from widgets.origins import OriginError, origin_normalise


class WidgetOriginForm(forms.ModelForm):
    class Meta:
        model = WidgetOrigin
        fields = ["origin"]

    def clean_origin(self) -> str:
        # Stored as browsers send Origin, or it would never match a request.
        try:
            return origin_normalise(self.cleaned_data["origin"])
        except OriginError as error:
            raise forms.ValidationError(str(error)) from None


class WidgetOriginInline(admin.TabularInline):
    model = WidgetOrigin
    form = WidgetOriginForm
    extra = 0
    readonly_fields = ["created_at"]


@admin.register(Widget)
class WidgetAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "owner", "public_key", "mode", "origin_list", "created_at"]
    list_select_related = ["channel", "channel__owner"]
    list_filter = ["mode", "created_at"]
    search_fields = ["name", "public_key", "channel__title", "channel__owner__email", "origins__origin"]
    raw_id_fields = ["channel"]
    readonly_fields = ["public_key", "key_rotated_at", "created_at", "updated_at", "usage"]
    exclude = ["secret_encrypted"]  # the secret is the creator's; staff never need to read it
    inlines = [WidgetOriginInline]
    actions = ["rotate_keys"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("origins")

    def has_add_permission(self, request) -> bool:
        return False  # creators make widgets on the dashboard (widget_create gives the key and secret)

    @admin.display(description="owner")
    def owner(self, widget: Widget) -> str:
        return widget.channel.owner.email

    @admin.display(description="allowed origins")
    def origin_list(self, widget: Widget) -> str:
        return ", ".join(origin.origin for origin in widget.origins.all()) or "— none: loads nowhere —"

    @admin.display(description="usage (all time, flushed)")
    def usage(self, widget: Widget) -> str:
        totals = selectors.widget_usage_totals(widget=widget)
        return ", ".join(f"{metric} {count}" for metric, count in totals.items())

    @admin.action(description="Rotate the public key (the old one stops at once)")
    def rotate_keys(self, request, queryset):
        for widget in queryset:
            services.widget_rotate_key(widget=widget)
        self.message_user(request, f"Rotated {queryset.count()} key(s).", messages.SUCCESS)


@admin.register(WidgetDailyStat)
class WidgetDailyStatAdmin(admin.ModelAdmin):
    list_display = ["day", "widget", "origin", "loads", "opens", "conversations", "questions", "unanswered"]
    list_select_related = ["widget"]
    list_filter = ["day"]
    search_fields = ["origin", "widget__name", "widget__public_key"]
    raw_id_fields = ["widget"]
    date_hierarchy = "day"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # counters are only ever added to by the flush
