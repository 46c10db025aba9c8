"""Writes for widgets: creating and editing them, rotating the key, the visitors' limits, and the
usage counters (Redis on the hot path, flushed into PostgreSQL by the scheduled job)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from channels_app.models import Channel
from chat.models import AskerKind
from chat.services.askers import Asker, QuestionRefused, QuotaPool
from widgets.models import Widget, WidgetDailyStat, WidgetOrigin, WidgetStatsFlush
from widgets.tokens import WidgetSession
from yoppy import crypto

logger = logging.getLogger(__name__)

MAX_STARTERS = 4
MAX_STARTER_CHARS = 120


def _public_key() -> str:
    return "wk_" + secrets.token_urlsafe(18)


def _secret() -> str:
    return "ws_" + secrets.token_urlsafe(32)


def starters_clean(starters: Iterable[str]) -> list[str]:
    """Starter questions as the widget shows them: non-empty, one line, at most four of 120 chars."""
    cleaned = []
    for starter in starters:
        text = " ".join(str(starter).split())[:MAX_STARTER_CHARS]
        if text and text not in cleaned:
            cleaned.append(text)
    return cleaned[:MAX_STARTERS]


@transaction.atomic
def widget_create(*, channel: Channel, name: str) -> Widget:
    """A widget for ``channel`` with no allowed origins: it loads nowhere until the creator lists
    their sites (deny by default). Precondition: ``channel`` is the creator's
    (``Channel.objects.owned_by``)."""
    return Widget.objects.create(
        channel=channel, name=name.strip()[:100] or channel.display_name[:100],
        public_key=_public_key(), secret_encrypted=crypto.encrypt(_secret()),
        greeting=f"Hi! I'm the AI persona of {channel.display_name}. Ask me about the videos."[:300],
    )  # fmt: skip


@transaction.atomic
def widget_update(
    *, widget: Widget, name: str, mode: str, position: str, colour: str, greeting: str,
    starters: Iterable[str], button_text: str, open_on_load: bool, origins: list[str],
) -> Widget:  # fmt: skip
    """Save the looks and replace the allowed origins (already normalised, widgets.origins)."""
    widget.name = name
    widget.mode = mode
    widget.position = position
    widget.colour = colour
    widget.greeting = greeting
    widget.starters = starters_clean(starters)
    widget.button_text = button_text
    widget.open_on_load = open_on_load
    widget.full_clean()
    widget.save()
    WidgetOrigin.objects.filter(widget=widget).exclude(origin__in=origins).delete()
    existing = set(WidgetOrigin.objects.filter(widget=widget).values_list("origin", flat=True))
    WidgetOrigin.objects.bulk_create([WidgetOrigin(widget=widget, origin=o) for o in origins if o not in existing])
    return widget


def widget_rotate_key(*, widget: Widget) -> Widget:
    """A new public key. Every request looks the widget up by the key in its URL and every
    session token carries the key it was issued for, so the old key stops at once."""
    widget.public_key = _public_key()
    widget.key_rotated_at = timezone.now()
    widget.save(update_fields=["public_key", "key_rotated_at", "updated_at"])
    return widget


def widget_regenerate_secret(*, widget: Widget) -> Widget:
    """A new visitor-token secret; tokens signed with the old one are refused from now on."""
    widget.secret_encrypted = crypto.encrypt(_secret())
    widget.save(update_fields=["secret_encrypted", "updated_at"])
    return widget


def widget_delete(*, widget: Widget) -> None:
    widget.delete()


# -- Visitors' limits -------------------------------------------------------------------------


@functools.cache
def _redis_for(url: str) -> redis.Redis:
    """One client (and connection pool) per process and URL, like chat's askers."""
    return redis.Redis.from_url(url)


def redis_client() -> redis.Redis:
    return _redis_for(settings.REDIS_URL)


class WidgetLimitReached(QuestionRefused):
    """A widget limit or the owner's plan is used up: the widget answers 429 with this message."""


_LIMIT_MESSAGES = {
    "session": "You've asked all the questions this chat allows for today. Please come back tomorrow.",
    "ip": "Many questions came from your network today, so this chat is pausing. Please try again tomorrow.",
    "widget": "This chat has answered all the questions it can today. Please try again tomorrow.",
}


@dataclass(frozen=True)
class WidgetAllowance:
    """The visitor's daily limits on this widget (per visitor session, per IP, per widget; from
    settings), then the pool that pays (the owner's plan). Every counter is an atomic INCR; when
    any limit is passed, or the plan refuses, all of them are given back, so a refused question
    costs nothing."""

    widget_id: int
    asker_ref: str
    ip: str
    then: QuotaPool

    def _keys(self) -> list[tuple[str, str, int]]:
        day = timezone.now().strftime("%Y%m%d")
        prefix = f"yoppy:widget-limit:{day}:{self.widget_id}"
        return [
            (f"{prefix}:session:{self.asker_ref}", "session", settings.WIDGET_QUESTIONS_PER_SESSION),
            (f"{prefix}:ip:{self.ip or 'unknown'}", "ip", settings.WIDGET_QUESTIONS_PER_IP),
            (f"{prefix}:widget", "widget", settings.WIDGET_QUESTIONS_PER_WIDGET_PER_DAY),
        ]

    def _give_back(self, keys) -> None:
        pipe = redis_client().pipeline()
        for key, _, _ in keys:
            pipe.decr(key)
        pipe.execute()

    @property
    def receipt(self) -> str:
        """A failed answer goes back to the plan that paid (the visitor's daily limits keep it)."""
        return self.then.receipt

    def take(self) -> None:
        keys = self._keys()
        pipe = redis_client().pipeline()
        for key, _, _ in keys:
            pipe.incr(key)
            pipe.expire(key, 2 * 24 * 3600)
        counts = pipe.execute()[::2]
        over = [name for count, (_, name, limit) in zip(counts, keys, strict=True) if count > limit]
        if over:
            self._give_back(keys)
            raise WidgetLimitReached(_LIMIT_MESSAGES[over[0]])
        try:
            self.then.take()
        except QuestionRefused as refusal:
            self._give_back(keys)
            raise WidgetLimitReached(str(refusal)) from None


def widget_asker(*, widget: Widget, session: WidgetSession, ip: str) -> Asker:
    """The visitor as the answer core's asker: kind "widget visitor", paid by the channel's owner
    (Asker.paid_by), behind the widget's daily limits."""
    asker = Asker.paid_by(AskerKind.WIDGET_VISITOR, session.asker_ref, payer=widget.channel.owner, ip=ip)
    allowance = WidgetAllowance(widget_id=widget.pk, asker_ref=session.asker_ref, ip=ip, then=asker.pool)
    return replace(asker, pool=allowance)


# -- Usage counters ----------------------------------------------------------------------------

STATS_LIVE_KEY = "yoppy:widget-stats:live"
_STATS_FLUSHING_PREFIX = "yoppy:widget-stats:flushing:"


def _field(*, widget_id: int, day: dt.date, metric: str, origin: str) -> str:
    # The origin goes last: split with maxsplit=3, nothing in it can shift the other parts.
    return f"{widget_id}|{day.isoformat()}|{metric}|{origin}"


def widget_event_count(*, widget_id: int, origin: str, metric: str, n: int = 1) -> None:
    """Count ``n`` events on the hot path: one HINCRBY, no database query. The scheduled
    widget-stats job adds them to PostgreSQL (``widget_stats_flush``)."""
    if metric not in WidgetDailyStat.METRICS:
        raise ValueError(f"unknown widget metric {metric!r}")
    day = timezone.now().astimezone(dt.UTC).date()
    redis_client().hincrby(STATS_LIVE_KEY, _field(widget_id=widget_id, day=day, metric=metric, origin=origin), n)


def _parse(fields: dict[bytes, bytes]) -> dict[tuple[int, str, dt.date], dict[str, int]]:
    rows: dict[tuple[int, str, dt.date], dict[str, int]] = defaultdict(dict)
    for raw_field, raw_count in fields.items():
        try:
            widget_id, day, metric, origin = raw_field.decode().split("|", 3)
            key = (int(widget_id), origin, dt.date.fromisoformat(day))
            count = int(raw_count)
        except (ValueError, UnicodeDecodeError):
            logger.warning("widget stats: skipping malformed field %r", raw_field)
            continue
        if metric in WidgetDailyStat.METRICS and count:
            rows[key][metric] = rows[key].get(metric, 0) + count
    return rows


def _apply(*, batch: str, fields: dict[bytes, bytes]) -> int:
    """Add one batch to WidgetDailyStat, once: the batch id is recorded in the same transaction."""
    rows = _parse(fields)
    live_widgets = set(Widget.objects.filter(pk__in={w for w, _, _ in rows}).values_list("pk", flat=True))
    # Rows in one fixed order: two flushes that touch the same rows then lock them in the same
    # order and one waits for the other instead of deadlocking (seen with concurrent flushes).
    rows = {key: rows[key] for key in sorted(rows) if key[0] in live_widgets}  # deleted widgets dropped
    try:
        with transaction.atomic():
            WidgetStatsFlush.objects.create(batch=batch, fields=len(fields))
            # Make sure every row exists (a concurrent flush may create the same one: ignored),
            # then add with F(): the database adds, so no count is ever overwritten.
            WidgetDailyStat.objects.bulk_create(
                [WidgetDailyStat(widget_id=w, origin=o, day=d) for w, o, d in rows], ignore_conflicts=True
            )
            for (widget_id, origin, day), counts in rows.items():
                WidgetDailyStat.objects.filter(widget_id=widget_id, origin=origin, day=day).update(
                    **{metric: F(metric) + count for metric, count in counts.items()}
                )
    except IntegrityError:
        logger.info("widget stats batch %s was already applied", batch)
        return 0
    return len(rows)


def widget_stats_flush() -> int:
    """Move the counters from Redis into PostgreSQL; returns how many day rows were added to.

    The live hash is RENAMEd to a batch of its own (atomic: an event counted meanwhile goes into
    a new live hash, never lost, never in two batches). A batch is deleted from Redis after its
    transaction commits; one left behind by a crash is applied by the next run, and its recorded
    id keeps it from being added twice. Safe to run twice at once."""
    client = redis_client()
    added = 0
    for leftover in client.scan_iter(match=_STATS_FLUSHING_PREFIX + "*"):
        added += _flush_batch(client, leftover.decode())
    batch_key = _STATS_FLUSHING_PREFIX + uuid.uuid4().hex
    try:
        client.rename(STATS_LIVE_KEY, batch_key)
    except redis.ResponseError:
        return added  # nothing counted since the last run
    return added + _flush_batch(client, batch_key)


def _flush_batch(client: redis.Redis, batch_key: str) -> int:
    fields = client.hgetall(batch_key)
    added = _apply(batch=batch_key.removeprefix(_STATS_FLUSHING_PREFIX), fields=fields) if fields else 0
    client.delete(batch_key)
    return added
