"""Django admin of Bots: bots and places listed and searchable; revoking calls the service."""

from __future__ import annotations

from django.contrib import admin, messages

from bots.models import Bot, LinkCode, Place, PlatformName, PlatformUserLink, VideoPost
from bots.services.bots import bot_revoke
from bots.services.telegram import telegram_bot_revoke


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ("__str__", "platform", "external_id", "owner", "channel", "status", "last_activity_at")
    list_filter = ("platform", "status", "is_shared")
    search_fields = ("name", "username", "external_id", "owner__email", "channel__title")
    list_select_related = ("owner", "channel")
    raw_id_fields = ("owner", "channel")
    # The token never appears, not even encrypted; the public key is not secret.
    exclude = ("token_encrypted", "webhook_secret_encrypted")
    readonly_fields = ("platform", "external_id", "is_shared", "public_key", "synced_name", "synced_avatar_url",
                       "status", "revoked_at", "last_activity_at", "created_at")  # fmt: skip
    actions = ["revoke"]

    @admin.action(description="Revoke the selected bots (tokens erased)")
    def revoke(self, request, queryset):
        count = 0
        for bot in queryset.exclude(status=Bot.Status.REVOKED):
            # A Telegram bot is also told to stop sending updates (deleteWebhook) first.
            (telegram_bot_revoke if bot.platform == PlatformName.TELEGRAM else bot_revoke)(bot=bot)
            count += 1
        self.message_user(request, f"{count} bot(s) revoked.", messages.SUCCESS)


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("__str__", "external_id", "bot", "account", "member_daily_cap", "new_video_posts", "last_activity_at")
    list_filter = ("bot__platform", "new_video_posts")
    search_fields = ("title", "external_id", "account__email", "bot__name", "bot__external_id")
    list_select_related = ("bot", "account")
    raw_id_fields = ("bot", "account", "default_channel")
    filter_horizontal = ("channels",)


@admin.register(PlatformUserLink)
class PlatformUserLinkAdmin(admin.ModelAdmin):
    list_display = ("platform", "external_user_id", "user", "created_at")
    search_fields = ("external_user_id", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


@admin.register(VideoPost)
class VideoPostAdmin(admin.ModelAdmin):
    list_display = ("video", "place", "status", "sent_at")
    list_filter = ("status",)
    list_select_related = ("video", "place")
    raw_id_fields = ("video", "place")


@admin.register(LinkCode)
class LinkCodeAdmin(admin.ModelAdmin):
    """Connect codes: only their hashes are stored, so nothing here can be used to link."""

    list_display = ("platform", "user", "created_at", "expires_at", "used_at", "used_by")
    list_filter = ("platform",)
    search_fields = ("user__email", "used_by")
    list_select_related = ("user",)
    readonly_fields = ("platform", "user", "code_sha256", "expires_at", "used_at", "used_by", "created_at")
    actions = ["expire"]

    def has_add_permission(self, request) -> bool:
        return False  # codes are made by their owner on the dashboard

    @admin.action(description="Expire the selected codes now")
    def expire(self, request, queryset):
        from django.utils import timezone

        count = queryset.filter(used_at__isnull=True).update(expires_at=timezone.now())
        self.message_user(request, f"{count} code(s) expired.", messages.SUCCESS)
