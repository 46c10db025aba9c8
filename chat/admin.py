"""Operators' view of conversations (read-only: they are the fans' words)."""

from __future__ import annotations

from django.contrib import admin

from chat.models import Conversation, Message


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ["role", "status", "content", "confidence", "provider", "latency_ms", "created_at"]
    readonly_fields = fields
    can_delete = False
    max_num = 0


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ["title", "channel", "asker_kind", "user", "created_at", "updated_at"]
    list_filter = ["asker_kind", "created_at"]
    list_select_related = ["channel", "user"]
    search_fields = ["title", "user__email", "channel__title", "asker_ref"]
    raw_id_fields = ["channel", "user"]
    readonly_fields = ["channel", "asker_kind", "asker_ref", "user", "session_key", "title", "created_at", "updated_at", "expires_at"]
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["conversation", "role", "status", "confidence", "provider", "latency_ms", "created_at"]
    list_filter = ["role", "status", "confidence", "provider"]
    list_select_related = ["conversation"]
    search_fields = ["content", "conversation__title"]
    readonly_fields = [f.name for f in Message._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
