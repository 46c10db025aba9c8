"""Operators' view of channels, videos and chunks; actions go through the same services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from channels_app.models import Channel, Chunk, Video
from channels_app.services import channels as services


class VideoInline(admin.TabularInline):
    model = Video
    extra = 0
    fields = ["title", "status", "reason", "duration_s", "captions_source", "chunk_count"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    max_num = 0


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["display_name", "owner", "kind", "status", "videos_done", "videos_total", "chunks_count", "is_public", "created_at"]
    list_filter = ["status", "kind", "is_public", "is_demo", "profile_source"]
    list_select_related = ["owner"]
    search_fields = ["title", "handle", "youtube_channel_id", "slug", "owner__email"]
    raw_id_fields = ["owner"]
    readonly_fields = ["status", "status_reason", "videos_total", "videos_done", "chunks_count", "created_at", "updated_at", "processed_at", "last_synced_at", "delete_requested_at"]
    actions = ["rerun", "delete_channels"]
    inlines = [VideoInline]

    @admin.action(description="Re-run processing of the selected channels")
    def rerun(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        queued = sum(services.channel_rerun(channel=channel) for channel in queryset)
        self.message_user(request, f"Queued {queued} video(s) for processing.", messages.SUCCESS)

    @admin.action(description="Delete the selected channels (videos, passages, files, jobs)", permissions=["delete"])
    def delete_channels(self, request: HttpRequest, queryset: QuerySet[Channel]) -> None:
        for channel in queryset:
            services.channel_delete_request(channel=channel)
        self.message_user(request, f"Deleting {queryset.count()} channel(s).", messages.SUCCESS)


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ["title", "channel", "status", "reason", "duration_s", "captions_source", "chunk_count", "attempts", "published_at"]
    list_filter = ["status", "captions_source"]
    list_select_related = ["channel"]
    search_fields = ["title", "youtube_id", "channel__title"]
    raw_id_fields = ["channel"]
    readonly_fields = ["status", "reason", "chunk_count", "attempts", "processing_started_at", "heartbeat_at"]
    actions = ["retry"]

    @admin.action(description="Retry the selected failed videos")
    def retry(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        retried = [services.video_retry(video=video) for video in queryset.select_related("channel")]
        queued = sum(1 for video in retried if video.status == Video.Status.QUEUED)
        self.message_user(request, f"Queued {queued} video(s) again (only failed or caption-less ones are retried).")


@admin.register(Chunk)
class ChunkAdmin(admin.ModelAdmin):
    """Read-only: chunks are written only by the pipeline."""

    list_display = ["video", "position", "start_s", "end_s", "word_count", "embedding_model"]
    list_filter = ["embedding_model"]
    list_select_related = ["video"]
    search_fields = ["text", "video__title"]
    fields = ["video", "channel", "position", "start_s", "end_s", "word_count", "embedding_model", "embedding_dim", "text"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
