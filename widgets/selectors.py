"""Reads for widgets: the creator's widgets (404 to anyone else), a widget by its public key for
the embed's requests, visitor sessions checked against the widget as it is now, and analytics."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone

from chat.models import AskerKind, Conversation, Message
from widgets import services
from widgets.models import Widget, WidgetDailyStat, WidgetOrigin
from widgets.tokens import TokenRefused, WidgetSession, session_from_token
from yoppy import crypto

UNANSWERED_CONFIDENCE = ("not_covered", "low")


class OriginRefused(Exception):
    """The request does not come from a site the widget allows; the message says so."""


def widget_list_for_owner(*, user) -> QuerySet[Widget]:
    return (
        Widget.objects.filter(channel__in=_owned_channels(user))
        .select_related("channel")
        .annotate(origin_count=Count("origins"))
    )


def _owned_channels(user):
    from channels_app.models import Channel

    return Channel.objects.owned_by(user)


def widget_get_for_owner(*, user, pk: int) -> Widget:
    """The creator's widget, or 404 (another creator's widget does not exist for them)."""
    widget = Widget.objects.filter(pk=pk, channel__in=_owned_channels(user)).select_related("channel").first()
    if widget is None:
        raise Http404("No such widget.")
    return widget


def widget_get_by_key(*, key: str) -> Widget:
    """The widget a snippet names, or 404: a rotated-away key, a deleted widget or channel."""
    widget = (
        Widget.objects.filter(public_key=key, channel__delete_requested_at__isnull=True)
        .select_related("channel", "channel__owner")
        .first()
    )
    if widget is None:
        raise Http404("No such widget.")
    return widget


def widget_origin_list(*, widget: Widget) -> list[str]:
    return list(WidgetOrigin.objects.filter(widget=widget).values_list("origin", flat=True))


def widget_secret(*, widget: Widget) -> str:
    return crypto.decrypt(widget.secret_encrypted)


def widget_session_check(*, widget: Widget, token: str) -> WidgetSession:
    """The visit a session token carries, checked against the widget now: issued for this widget
    and its current key (TokenRefused), for an origin still allowed (OriginRefused)."""
    session = session_from_token(token, max_age_s=settings.WIDGET_SESSION_TTL_S)
    if session.widget_id != widget.pk or session.public_key != widget.public_key:
        raise TokenRefused("This chat session is not valid any more. Reload the page to start again.")
    if session.origin not in widget_origin_list(widget=widget):
        raise OriginRefused("This site is not allowed to use this chat any more.")
    return session


def widget_conversation_get(*, widget: Widget, session: WidgetSession, pk: int) -> Conversation:
    """The visitor's conversation with the widget's channel, or 404."""
    conversation = Conversation.objects.filter(
        pk=pk, channel=widget.channel, asker_kind=AskerKind.WIDGET_VISITOR, asker_ref=session.asker_ref
    ).first()
    if conversation is None:
        raise Http404("No such conversation.")
    return conversation


def widget_conversation_latest(*, widget: Widget, session: WidgetSession) -> Conversation | None:
    """Where a returning visitor left off (an identified visitor across visits)."""
    return (
        Conversation.objects.filter(
            channel=widget.channel, asker_kind=AskerKind.WIDGET_VISITOR, asker_ref=session.asker_ref
        )
        .order_by("-updated_at", "-id")
        .first()
    )


# -- Analytics ---------------------------------------------------------------------------------


@dataclass
class WidgetAnalytics:
    days: list[dt.date]
    # metric -> one count per day of ``days``
    series: dict[str, list[int]]
    totals: dict[str, int]
    # origin -> metric -> total over the period
    by_origin: dict[str, dict[str, int]] = field(default_factory=dict)


def _pending_counts(widget: Widget) -> dict[tuple[str, dt.date, str], int]:
    """Counts still in Redis (not flushed yet), so today's numbers are current."""
    pending: dict[tuple[str, dt.date, str], int] = defaultdict(int)
    client = services.redis_client()
    for raw_field, raw_count in client.hscan_iter(services.STATS_LIVE_KEY, match=f"{widget.pk}|*"):
        try:
            _, day, metric, origin = raw_field.decode().split("|", 3)
            pending[(origin, dt.date.fromisoformat(day), metric)] += int(raw_count)
        except (ValueError, UnicodeDecodeError):
            continue
    return pending


def widget_analytics(*, widget: Widget, start: dt.date, end: dt.date) -> WidgetAnalytics:
    """Loads, opens, conversations, questions and unanswered questions per day and per origin
    from ``start`` to ``end`` (inclusive, UTC days), stored counts plus those not flushed yet."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    index = {day: i for i, day in enumerate(days)}
    metrics = WidgetDailyStat.METRICS
    series = {metric: [0] * len(days) for metric in metrics}
    by_origin: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(metrics, 0))
    rows = WidgetDailyStat.objects.filter(widget=widget, day__gte=start, day__lte=end).values(
        "origin", "day", *metrics
    )
    for row in rows:
        for metric in metrics:
            series[metric][index[row["day"]]] += row[metric]
            by_origin[row["origin"]][metric] += row[metric]
    for (origin, day, metric), count in _pending_counts(widget).items():
        if day in index and metric in series:
            series[metric][index[day]] += count
            by_origin[origin][metric] += count
    totals = {metric: sum(values) for metric, values in series.items()}
    return WidgetAnalytics(days=days, series=series, totals=totals, by_origin=dict(by_origin))


def _widget_questions(widget: Widget, *, start: dt.date, end: dt.date) -> QuerySet[Message]:
    since = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    return Message.objects.filter(
        role=Message.Role.USER,
        conversation__channel=widget.channel,
        conversation__asker_kind=AskerKind.WIDGET_VISITOR,
        conversation__asker_ref__startswith=f"{widget.pk}:",
        created_at__gte=since,
        created_at__lt=until,
    )


def widget_top_questions(*, widget: Widget, start: dt.date, end: dt.date, limit: int = 10) -> list[dict]:
    """The questions visitors asked most (case-insensitively the same text), with counts."""
    return list(
        _widget_questions(widget, start=start, end=end)
        .annotate(text=Lower("content"))
        .values("text")
        .annotate(count=Count("id"))
        .order_by("-count", "text")[:limit]
    )


def widget_unanswered_questions(*, widget: Widget, start: dt.date, end: dt.date, limit: int = 10) -> list[dict]:
    """Questions whose answer was not covered by the videos or had low confidence: what the
    creator could make a video about."""
    return list(
        _widget_questions(widget, start=start, end=end)
        .filter(answers__confidence__in=UNANSWERED_CONFIDENCE)
        .annotate(text=Lower("content"))
        .values("text")
        .annotate(count=Count("id", distinct=True))
        .order_by("-count", "text")[:limit]
    )


def widget_usage_totals(*, widget: Widget) -> dict[str, int]:
    """All-time stored counts (the admin's usage column)."""
    totals = WidgetDailyStat.objects.filter(widget=widget).aggregate(
        **{metric: Sum(metric) for metric in WidgetDailyStat.METRICS}
    )
    return {metric: totals[metric] or 0 for metric in WidgetDailyStat.METRICS}


def period_from(value: str | None, *, today: dt.date | None = None) -> tuple[dt.date, dt.date, int]:
    """The analytics period a ``days`` query value names (7, 30 or 90; anything else is 30)."""
    today = today or timezone.now().astimezone(dt.UTC).date()
    days = int(value) if value in {"7", "30", "90"} else 30
    return today - dt.timedelta(days=days - 1), today, days


__all__ = ["OriginRefused", "TokenRefused"]
