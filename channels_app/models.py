"""Channels, their videos, and the time-stamped, embedded chunks chat retrieves from."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property
from pgvector.django import VectorField


class ChannelQuerySet(models.QuerySet):
    """The one home of who may see which channel; chat, affiliates, bots, communities and the
    widget all ask through these methods, so the rule cannot drift between copies."""

    def alive(self) -> ChannelQuerySet:
        """Channels not being deleted: a deletion hides the channel at once, before the
        channel_delete job removes its rows."""
        return self.filter(delete_requested_at__isnull=True)

    def visible_to(self, user) -> ChannelQuerySet:
        """Alive channels ``user`` may chat with: every public one, and their own private ones.
        ``user`` may be None or anonymous (public channels only)."""
        visible = models.Q(is_public=True)
        if user is not None and user.is_authenticated:
            visible |= models.Q(owner=user)
        return self.alive().filter(visible)

    def owned_by(self, user) -> ChannelQuerySet:
        """The owner's alive channels (their dashboard)."""
        return self.alive().filter(owner=user)


class Channel(models.Model):
    """What a creator added: a YouTube channel, a playlist, a single video, or uploads only."""

    class Kind(models.TextChoices):
        CHANNEL = "channel", "YouTube channel"
        PLAYLIST = "playlist", "Playlist"
        VIDEO = "video", "Single video"
        UPLOADS = "uploads", "Uploaded transcripts"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        READY_WITH_ERRORS = "ready_with_errors", "Ready with errors"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source_url = models.URLField(max_length=500, help_text="Canonical URL of what was added.")
    # The target as parsed from the URL ("@handle", "UC…", playlist id, video id); the duplicate
    # check compares it, so the same channel pasted twice in two spellings is caught once resolved.
    source_key = models.CharField(max_length=200)
    youtube_channel_id = models.CharField(max_length=64, blank=True)
    title = models.CharField(max_length=300, blank=True)
    handle = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    description = models.TextField(blank=True)
    slug = models.SlugField(max_length=120, unique=True, null=True, blank=True)
    is_public = models.BooleanField(
        default=False, help_text="Private channels are visible to their owner only."
    )
    is_demo = models.BooleanField(default=False, help_text="Shipped demo content, not a real channel.")
    include_live = models.BooleanField(
        "include live-stream replays", default=False, help_text="Also ingest past live streams."
    )
    language = models.CharField(max_length=16, blank=True, help_text="Preferred caption language.")

    status = models.CharField(max_length=24, choices=Status.choices, default=Status.QUEUED)
    status_reason = models.CharField(max_length=500, blank=True)
    videos_total = models.PositiveIntegerField(default=0)
    videos_done = models.PositiveIntegerField(default=0)
    chunks_count = models.PositiveIntegerField(default=0)

    # The persona's knowledge of the creator: written by the LLM, the local analysis, or the
    # creator (profile_source says which; an edited profile is not overwritten by a sync).
    summary = models.TextField(blank=True)
    topics = models.JSONField(default=list, blank=True)
    style = models.JSONField(default=dict, blank=True)
    profile_source = models.CharField(max_length=16, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # "Sync now" is visible while it runs and when it fails: set when the owner asks, cleared by
    # the sync job (jobs.channel_sync), which stores why it failed in sync_error.
    sync_requested_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.CharField(max_length=500, blank=True)
    # YouTube ids of videos the owner deleted from the channel: a sync must not add them back.
    removed_video_ids = models.JSONField(default=list, blank=True)
    # Set when the owner deletes the channel: it disappears at once, the channel_delete job then
    # removes rows, files and queued jobs.
    delete_requested_at = models.DateTimeField(null=True, blank=True)

    objects = ChannelQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "source_key"], name="channels_one_source_per_owner"),
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return self.title or self.source_url

    def get_absolute_url(self) -> str:
        return reverse("channels:detail", args=[self.pk])

    @property
    def display_name(self) -> str:
        return self.title or self.handle or self.source_key

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.READY, self.Status.READY_WITH_ERRORS, self.Status.FAILED}

    @property
    def sync_in_progress(self) -> bool:
        """A sync was asked for and its job has not reported yet. After the job's own timeout
        it counts as lost, so the page stops saying "checking" for ever."""
        if self.sync_requested_at is None:
            return False
        from django.utils import timezone

        from channels_app.jobs import CHANNEL_TIMEOUT_S

        return timezone.now() - self.sync_requested_at < dt.timedelta(seconds=CHANNEL_TIMEOUT_S)

    @cached_property
    def listing_failed(self) -> bool:
        """YouTube could not be read for this channel and none of its videos is known: there is
        nothing to retry video by video, only the whole read (or uploading the captions)."""
        return self.status == self.Status.FAILED and self.kind != self.Kind.UPLOADS and not self.videos.exists()

    @property
    def progress_percent(self) -> int:
        if not self.videos_total:
            # "0 of 0" is only complete when nothing went wrong: a failed read is not 100%.
            return 100 if self.status in {self.Status.READY, self.Status.READY_WITH_ERRORS} else 0
        return min(100, round(100 * self.videos_done / self.videos_total))


class Video(models.Model):
    """One video (or uploaded transcript) of a channel and where its ingestion stands."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        NO_CAPTIONS = "no_captions", "No captions"
        SKIPPED = "skipped", "Skipped"
        FAILED = "failed", "Failed"

    # Statuses after which the video counts as done for the channel's progress.
    FINISHED = {Status.READY, Status.NO_CAPTIONS, Status.SKIPPED, Status.FAILED}

    class CaptionSource(models.TextChoices):
        NONE = "", "—"
        MANUAL = "manual", "Creator captions"
        AUTO = "auto", "Auto-generated captions"
        UPLOAD = "upload", "Uploaded file"

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="videos")
    youtube_id = models.CharField(max_length=20, blank=True, help_text="Empty for uploaded transcripts.")
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    duration_s = models.PositiveIntegerField(null=True, blank=True)
    thumbnail_url = models.URLField(max_length=1000, blank=True)

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was skipped or failed.")
    captions_source = models.CharField(max_length=8, choices=CaptionSource.choices, blank=True)
    captions_language = models.CharField(max_length=16, blank=True)
    captions_format = models.CharField(max_length=8, blank=True)
    # The raw caption file as fetched or uploaded, so a re-run (or a re-embed) needs no network.
    caption_file = models.FileField(upload_to="captions/%Y/%m/", blank=True, max_length=300)
    chunk_count = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the job processing this video."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "youtube_id"],
                condition=~models.Q(youtube_id=""),
                name="channels_video_unique_per_channel",
            ),
        ]
        indexes = [models.Index(fields=["channel", "status"]), models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def watch_url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.youtube_id}" if self.youtube_id else ""

    @property
    def retry_offered(self) -> bool:
        """Show the creator a Retry button: the video failed, or looks stuck (queued or
        processing with no sign of life for INGEST_STALE_AFTER_S). services.video_retry decides."""
        from django.utils import timezone

        if self.status in {self.Status.FAILED, self.Status.NO_CAPTIONS}:
            return True
        stale_before = timezone.now() - dt.timedelta(seconds=settings.INGEST_STALE_AFTER_S)
        if self.status == self.Status.QUEUED:
            return self.updated_at is not None and self.updated_at < stale_before
        if self.status == self.Status.PROCESSING:
            return self.heartbeat_at is None or self.heartbeat_at < stale_before
        return False

    def moment_url(self, seconds: float) -> str:
        """Link to the exact moment, the citation format fans click."""
        return f"{self.watch_url}&t={int(seconds)}s" if self.youtube_id else ""


class Chunk(models.Model):
    """A run of whole caption segments (~200 words) with its time span and embedding.

    ``embedding`` has no fixed dimension so a model change needs no schema change: the model name
    and dimension are stored beside each vector, and the HNSW index is a partial expression index
    per dimension (``(embedding::vector(384)) WHERE embedding_dim = 384``), which queries match.
    """

    video = models.ForeignKey(Video, on_delete=models.CASCADE, related_name="chunks")
    # Denormalised from the video so retrieval filters by channel without a join.
    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="chunks")
    position = models.PositiveIntegerField()
    start_s = models.FloatField()
    end_s = models.FloatField()
    text = models.TextField()
    word_count = models.PositiveIntegerField(default=0)
    # The caption cues the text is made of, [[start_s, end_s, text], ...] (their texts joined by
    # spaces are ``text``): answers cite each quoted sentence to its own second. Empty for chunks
    # stored before cues were kept and not re-derived (``manage.py chunks_cues``): whole-chunk timing.
    cues = models.JSONField(default=list, blank=True)
    # The chunk's sentences as answers cut them (chat.answers.passage_moments) and their vectors by
    # the chunk's embedding model, float32, one row per sentence in that order: an answer embeds
    # only the question (chat.services.answering). Empty/NULL for chunks stored before they were
    # kept (``manage.py chunks_sentences`` fills them); such chunks' sentences are embedded on asking.
    sentences = models.JSONField(default=list, blank=True)
    sentence_vectors = models.BinaryField(null=True, blank=True)
    embedding = VectorField(null=True)
    embedding_model = models.CharField(max_length=120, blank=True)
    embedding_dim = models.PositiveSmallIntegerField(null=True)
    search_vector = models.GeneratedField(
        expression=SearchVector("text", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["video_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["video", "position"], name="channels_chunk_unique_position"),
        ]
        indexes = [
            GinIndex(fields=["search_vector"], name="channels_chunk_search_gin"),
            models.Index(fields=["channel", "video"]),
            models.Index(fields=["embedding_model"]),
        ]

    def __str__(self) -> str:
        return f"{self.video_id}#{self.position} {self.start_s:.0f}s"
