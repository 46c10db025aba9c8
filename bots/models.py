"""Tables of Bots: the bots, the places they answer in, linked platform users, processed events
and new-video posts. Platform-neutral: a Discord guild and a Telegram chat are both a ``Place``;
what only one platform needs lives in its platform class (bots/platforms/), not here."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from yoppy import crypto


class PlatformName(models.TextChoices):
    DISCORD = "discord", "Discord"
    TELEGRAM = "telegram", "Telegram"


class Bot(models.Model):
    """One bot account on a platform: the shared Yoppy bot (``is_shared``, credentials from the
    environment, answers for every channel a place chooses) or a creator's branded bot (``channel``
    set, token pasted by the creator and stored encrypted, answers for that one channel)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REVOKED = "revoked", "Revoked"

    platform = models.CharField(max_length=16, choices=PlatformName.choices)
    # Discord: the application id; Telegram: the bot's user id (the number before ":" in its token).
    external_id = models.CharField(max_length=64)
    is_shared = models.BooleanField(default=False, help_text="The Yoppy bot configured from the environment.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="bots"
    )
    channel = models.ForeignKey(
        "channels_app.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="bots",
        help_text="The one channel a branded bot answers for; empty for the shared bot.",
    )  # fmt: skip
    # Fernet token (yoppy.crypto) of the bot token; never shown again once saved. Empty for the
    # shared bot, whose token comes from the environment.
    token_encrypted = models.TextField(blank=True)
    # Discord: the application's Ed25519 public key (hex), needed to verify every interaction.
    public_key = models.CharField(max_length=64, blank=True)
    # Telegram: Fernet token of the random secret_token given to setWebhook.
    webhook_secret_encrypted = models.TextField(blank=True)
    name = models.CharField(max_length=100, blank=True)
    username = models.CharField(max_length=100, blank=True)
    avatar_url = models.URLField(max_length=1000, blank=True)
    # What the last profile sync sent (name and avatar source), so a sync that changes nothing
    # makes no call (platforms rate-limit profile edits hard).
    synced_name = models.CharField(max_length=100, blank=True)
    synced_avatar_url = models.URLField(max_length=1000, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["platform", "name"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_id"], name="bots_one_row_per_platform_bot"),
            models.CheckConstraint(
                condition=models.Q(is_shared=True) | models.Q(owner__isnull=False),
                name="bots_branded_bot_has_owner",
            ),
        ]

    def __str__(self) -> str:
        kind = "shared" if self.is_shared else "branded"
        return f"{self.get_platform_display()} {kind} bot {self.name or self.external_id}"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def has_token(self) -> bool:
        return bool(self.token_encrypted)

    def set_token(self, plain: str) -> None:
        self.token_encrypted = crypto.encrypt(plain) if plain else ""

    def token(self) -> str:
        """The bot token in clear, for the platform's API calls only (never rendered)."""
        if self.is_shared:
            return {
                PlatformName.DISCORD: settings.DISCORD_BOT_TOKEN,
                PlatformName.TELEGRAM: getattr(settings, "TELEGRAM_BOT_TOKEN", ""),
            }.get(self.platform) or ""
        return crypto.decrypt(self.token_encrypted) if self.token_encrypted else ""

    def set_webhook_secret(self, plain: str) -> None:
        self.webhook_secret_encrypted = crypto.encrypt(plain) if plain else ""

    def webhook_secret(self) -> str:
        return crypto.decrypt(self.webhook_secret_encrypted) if self.webhook_secret_encrypted else ""


class Place(models.Model):
    """Where a bot answers: a Discord server (guild) or a Telegram chat or group.

    ``account`` is the Yoppy account the place is linked to (who installed the shared bot, or the
    branded bot's owner): unlinked members ask on that account's plan, at most
    ``member_daily_cap`` questions each per day. ``channels`` are the personas it may ask."""

    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="places")
    external_id = models.CharField(max_length=64, help_text="Discord guild id, or Telegram chat id.")
    kind = models.CharField(max_length=16, blank=True, help_text='"guild", "private", "group", "supergroup"...')
    title = models.CharField(max_length=200, blank=True)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="bot_places"
    )
    channels = models.ManyToManyField("channels_app.Channel", blank=True, related_name="bot_places")
    default_channel = models.ForeignKey(
        "channels_app.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member_daily_cap = models.PositiveIntegerField(
        default=20, help_text="Questions a member without a linked Yoppy account may ask per day here."
    )
    new_video_posts = models.BooleanField(default=False, help_text="Post a short note when a new video is ready.")
    # Where new-video posts go: a Discord text channel id; for a Telegram chat, the chat itself.
    post_room_id = models.CharField(max_length=64, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_activity_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["bot", "external_id"], name="bots_one_place_per_bot"),
        ]

    def __str__(self) -> str:
        return self.title or self.external_id


class RoomDefault(models.Model):
    """The persona a room inside a place answers with (a Discord text channel's ``/channel``
    choice); a place with one room (a Telegram chat) uses ``Place.default_channel`` instead."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="room_defaults")
    room_id = models.CharField(max_length=64)
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["place", "room_id"], name="bots_one_default_per_room")]

    def __str__(self) -> str:
        return f"{self.place_id}/{self.room_id} → {self.channel_id}"


class PlatformUserLink(models.Model):
    """A platform user linked to a Yoppy account: they ask on their own plan. Discord users are
    also found through allauth's Discord log-in (bots.selectors.platform_user_account)."""

    platform = models.CharField(max_length=16, choices=PlatformName.choices)
    external_user_id = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bot_links")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "external_user_id"], name="bots_one_link_per_platform_user"),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_user_id} → {self.user_id}"


class ProcessedEvent(models.Model):
    """An incoming event (Discord interaction id, Telegram update_id) already taken: a replay or
    a duplicate delivery finds its row and has no second effect."""

    platform = models.CharField(max_length=16, choices=PlatformName.choices)
    bot = models.ForeignKey(Bot, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "bot", "event_id"], name="bots_event_processed_once"),
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.platform} event {self.event_id}"


class VideoPost(models.Model):
    """A new-video post for one place: the row exists once per (place, video), so each video is
    announced once even when the sync, the job or the hook runs twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="video_posts")
    video = models.ForeignKey("channels_app.Video", on_delete=models.CASCADE, related_name="bot_posts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["place", "video"], name="bots_one_post_per_video_and_place")]

    def __str__(self) -> str:
        return f"post of video {self.video_id} in {self.place_id} ({self.status})"


class LinkCode(models.Model):
    """A single-use code from the Yoppy dashboard that links a platform user to the account that
    made it (Telegram's ``/connect <code>``). Only the SHA-256 of the code is stored, so the
    table never holds a code that still works; valid TELEGRAM_CONNECT_CODE_MINUTES."""

    platform = models.CharField(max_length=16, choices=PlatformName.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bot_link_codes")
    code_sha256 = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.CharField(max_length=64, blank=True, help_text="The platform user id that redeemed it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.platform} link code of {self.user_id}"


class ConversationRestart(models.Model):
    """``/new`` in a Telegram chat: the member's next question starts a new conversation. The
    number is part of the asker's ref (TelegramPlatform.asker_ref), so the previous conversation
    stays stored and is simply not continued."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="conversation_restarts")
    external_user_id = models.CharField(max_length=64)
    number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["place", "external_user_id"], name="bots_one_restart_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.place_id}:{self.external_user_id} conversation {self.number}"
