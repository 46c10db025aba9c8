"""Website widgets: one script tag puts a channel's persona on the creator's own site.

A widget belongs to one channel, lists the origins allowed to embed it (none: it loads nowhere)
and carries its looks. Its public key is in the snippet; its secret signs identified visitors'
tokens on the creator's server and is kept encrypted (yoppy.crypto). Usage is counted in Redis on
the hot path and flushed here per (widget, origin, day) by the scheduled widget-stats job.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models


class Widget(models.Model):
    class Mode(models.TextChoices):
        FLOATING = "floating", "Floating bubble in a corner"
        INLINE = "inline", "Inline, inside an element of the page"

    class Position(models.TextChoices):
        BOTTOM_RIGHT = "bottom-right", "Bottom right"
        BOTTOM_LEFT = "bottom-left", "Bottom left"
        TOP_RIGHT = "top-right", "Top right"
        TOP_LEFT = "top-left", "Top left"

    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="widgets")
    name = models.CharField(max_length=100)
    # In the snippet, so public; rotating it stops every page that still uses the old one at once.
    public_key = models.CharField(max_length=40, unique=True)
    secret_encrypted = models.TextField(help_text="The visitor-token signing secret, encrypted (yoppy.crypto).")
    mode = models.CharField(max_length=16, choices=Mode.choices, default=Mode.FLOATING)
    position = models.CharField(max_length=16, choices=Position.choices, default=Position.BOTTOM_RIGHT)
    colour = models.CharField(
        max_length=7, default="#6d28d9",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #6d28d9.")],
    )  # fmt: skip
    greeting = models.CharField(max_length=300, blank=True)
    starters = models.JSONField(default=list, blank=True, help_text="Up to four starter questions.")
    button_text = models.CharField(max_length=40, default="Ask me anything")
    open_on_load = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    key_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class WidgetOrigin(models.Model):
    """A site allowed to embed the widget: scheme, host and port, normalised (widgets.origins)."""

    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="origins")
    origin = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["origin"]
        constraints = [models.UniqueConstraint(fields=["widget", "origin"], name="widgets_origin_once_per_widget")]

    def __str__(self) -> str:
        return self.origin


class WidgetDailyStat(models.Model):
    """Counts of one widget on one origin on one UTC day. Only ever added to (an F() add in the
    flush), never overwritten: the original's upsert set counters back to 1."""

    widget = models.ForeignKey(Widget, on_delete=models.CASCADE, related_name="daily_stats")
    origin = models.CharField(max_length=255)
    day = models.DateField()
    loads = models.PositiveBigIntegerField(default=0)
    opens = models.PositiveBigIntegerField(default=0)
    conversations = models.PositiveBigIntegerField(default=0)
    questions = models.PositiveBigIntegerField(default=0)
    unanswered = models.PositiveBigIntegerField(default=0, help_text="Not covered or low confidence.")

    METRICS = ("loads", "opens", "conversations", "questions", "unanswered")

    class Meta:
        ordering = ["-day", "origin"]
        constraints = [
            models.UniqueConstraint(fields=["widget", "origin", "day"], name="widgets_one_stat_row_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.widget_id} {self.origin} {self.day}"


class WidgetStatsFlush(models.Model):
    """A batch of Redis counters applied to WidgetDailyStat, recorded in the same transaction: a
    batch whose Redis copy survived a crash after the commit is never added twice."""

    batch = models.CharField(max_length=64, unique=True)
    flushed_at = models.DateTimeField(auto_now_add=True)
    fields = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.batch
