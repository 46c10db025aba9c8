"""Each incoming platform event is handled once."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from bots.models import Bot, ProcessedEvent


def event_take(*, bot: Bot, event_id: str) -> bool:
    """Record ``event_id`` of ``bot`` as processed; False when it already was (a replay or a
    duplicate delivery), which the caller answers with 2xx and no second effect. The unique
    constraint decides, so two deliveries at once cannot both get True."""
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(platform=bot.platform, bot=bot, event_id=str(event_id)[:64])
    except IntegrityError:
        return False
    return True
