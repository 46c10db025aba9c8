"""Each incoming platform event is handled once."""

from __future__ import annotations

from django.db import connection

from bots.models import Bot, ProcessedEvent


def event_take(*, bot: Bot, event_id: str) -> bool:
    """Record ``event_id`` of ``bot`` as processed; False when it already was (a replay or a
    duplicate delivery), which the caller answers with 2xx and no second effect. The unique
    constraint decides, so two deliveries at once cannot both get True.

    One statement (INSERT .. ON CONFLICT DO NOTHING RETURNING), not a create() inside atomic():
    it runs on every acknowledgement, and BEGIN/INSERT/COMMIT were three round trips of it."""
    meta = ProcessedEvent._meta
    columns = [meta.get_field(name).column for name in ("platform", "bot", "event_id", "created_at")]
    unique = [meta.get_field(name).column for name in ("platform", "bot", "event_id")]
    sql = (
        f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608  # nosec B608  # names from the model's _meta
        f"VALUES (%s, %s, %s, now()) ON CONFLICT ({', '.join(unique)}) DO NOTHING RETURNING 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [bot.platform, bot.pk, str(event_id)[:64]])
        return cursor.fetchone() is not None
