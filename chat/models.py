"""Conversations between fans and a channel's AI persona, and their messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class AskerKind(models.TextChoices):
    """Who asks, and so which quota pool pays (chat.services.askers holds the rule of each kind)."""

    USER = "user", "Signed-in user"
    WEB_SESSION = "web_session", "Anonymous web visitor"
    DISCORD_MEMBER = "discord_member", "Discord user in a server"
    TELEGRAM_CHAT = "telegram_chat", "Telegram chat"
    WHOP_MEMBER = "whop_member", "Whop community member"
    WIDGET_VISITOR = "widget_visitor", "Website widget visitor"
    API_KEY = "api_key", "Developer API key"


class Conversation(models.Model):
    """A fan's chat with one channel. It belongs to an asker (``asker_kind`` + ``asker_ref``): a
    signed-in user (also in ``user``, which their conversation list reads), an anonymous web
    session (also in ``session_key``; expires after 24 h), or a bot, widget or API identity."""

    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="conversations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="conversations"
    )
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    asker_kind = models.CharField(max_length=24, choices=AskerKind.choices)
    # Who within the kind: a user id, a session key, "<guild>:<user>", a chat id, a key id...
    asker_ref = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Anonymous conversations expire.")

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(asker_ref=""), name="chat_conversation_has_an_asker"),
        ]
        indexes = [models.Index(fields=["asker_kind", "asker_ref", "channel"])]

    def __str__(self) -> str:
        return self.title or f"Conversation {self.pk}"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", "Fan"
        ASSISTANT = "assistant", "Persona"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to stream"
        STREAMING = "streaming", "Streaming"
        COMPLETE = "complete", "Complete"
        ERROR = "error", "Error"
        # The fan stopped the stream: what was said until then is kept, as said.
        STOPPED = "stopped", "Stopped by the fan"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COMPLETE)
    citations = models.JSONField(default=list, blank=True)
    # Moments close to a question the videos do not answer, offered under their own heading with
    # the refusal: never sources of an answer (see chat.answers.related_moments).
    related = models.JSONField(default=list, blank=True)
    confidence = models.CharField(max_length=16, blank=True)
    provider = models.CharField(max_length=120, blank=True, help_text='"offline" or the LLM that wrote it.')
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    # The question this answer answers (for regenerate and for the retrieval query).
    question = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    # Which quota pool paid for this answer ("plan:<user id>", "session:<key>", "whop:<id>"...), so
    # an answer that never came is given back to that pool (chat.services.askers.give_back).
    charged_to = models.CharField(max_length=240, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    CONFIDENCE_LABELS = {
        "high": "High confidence: the videos answer this directly",
        "medium": "Medium confidence: the videos touch on this",
        "low": "Low confidence: only loosely related moments were found",
        "not_covered": "Not covered in the videos",
    }

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:60]}"

    @property
    def confidence_label(self) -> str:
        return self.CONFIDENCE_LABELS.get(self.confidence, "")

    @property
    def related_list(self) -> list:
        """The stored related moments as Citations (what templates/chat/_related.html shows)."""
        from chat.answers import citations_from_dicts

        return citations_from_dicts(self.related)
