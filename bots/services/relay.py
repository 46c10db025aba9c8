"""The relay: one bot question answered through the answer core and shown on its platform.

``ask_answer`` runs in the ``bots`` queue (bots.tasks.ask_answer), after the platform got its
acknowledgement. It resolves the persona and the asker, continues the asker's latest
conversation with that persona, calls chat.services.asking.answer_stream and relays its events:
the text so far at most every ``platform.edit_interval_s`` (edits that hit a 429 are skipped
until its ``retry_after`` has passed: the next edit carries all the text anyway), then the final
answer, retried after ``retry_after`` when rate-limited. Refusals and failures become the
platform's short notice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone

from bots.http import PlatformError, RateLimited
from bots.models import Bot, Place
from bots.platforms.base import Ask, Platform
from bots.selectors import place_channel_for_ask
from bots.services.askers import asker_for
from chat.events import AnswerDone, AnswerFailed, TextPiece
from chat.selectors import conversation_latest_for_asker
from chat.services.asking import QuestionRefused, answer_stream

logger = logging.getLogger(__name__)

# A final message is tried this many times when the platform keeps answering 429.
FINAL_ATTEMPTS = 4
# Longest wait honoured for one 429 (Discord's per-route waits are seconds; a longer one means
# something else is wrong and the job should not sit on a worker for it).
MAX_RETRY_AFTER_S = 30.0
NO_PERSONA = "There's no persona to ask here yet. A server manager can choose one on the Yoppy dashboard."
NOT_AVAILABLE = "That persona isn't available here. Pick one from the list."


def refusal_text(refused: QuestionRefused) -> str:
    """A refusal as the asker reads it, with where to go when they can do something about it."""
    text = str(refused)
    if refused.upgrade:
        text += f" {settings.SITE_URL}/billing/"
    elif refused.sign_up:
        text += f" {settings.SITE_URL}/accounts/signup/"
    return text


def _with_retry(send: Callable[..., Any], **kwargs: Any) -> None:
    """``send(**kwargs)``, again after each 429's ``retry_after`` (at most FINAL_ATTEMPTS times)."""
    for attempt in range(FINAL_ATTEMPTS):
        try:
            send(**kwargs)
            return
        except RateLimited as limited:
            if attempt == FINAL_ATTEMPTS - 1:
                raise
            time.sleep(min(limited.retry_after, MAX_RETRY_AFTER_S))


def _touch(*, bot: Bot, place: Place) -> None:
    now = timezone.now()
    Bot.objects.filter(pk=bot.pk).update(last_activity_at=now)
    Place.objects.filter(pk=place.pk).update(last_activity_at=now)


def ask_answer(*, platform: Platform, ask: Ask, clock: Callable[[], float] = time.monotonic) -> str:
    """Answer ``ask`` and relay it; returns how it ended ("answered", "failed", "refused",
    "stale"). Never raises for anything the asker did; a platform error on the final message is
    logged and re-raised (the job fails visibly in the RQ console)."""
    bot = Bot.objects.filter(pk=ask.bot_id, status=Bot.Status.ACTIVE).select_related("owner", "channel").first()
    place = Place.objects.filter(pk=ask.place_id, bot_id=ask.bot_id).select_related("account", "bot").first()
    if bot is None or place is None:
        return "stale"  # revoked or removed since the ask was queued
    _touch(bot=bot, place=place)
    channel = place_channel_for_ask(place=place, room_id=ask.room_id, channel_id=ask.channel_id)
    if channel is None:
        _with_retry(platform.reply_notice, bot=bot, ask=ask, text=NOT_AVAILABLE if ask.channel_id else NO_PERSONA)
        return "refused"
    try:
        asker = asker_for(platform=platform, place=place, user_id=ask.user_id)
        conversation = conversation_latest_for_asker(asker=asker, channel=channel)
        events = answer_stream(asker=asker, channels=[channel], question=ask.question, conversation=conversation)
    except QuestionRefused as refused:
        _with_retry(platform.reply_notice, bot=bot, ask=ask, text=refusal_text(refused))
        return "refused"

    text = ""
    last_edit = float("-inf")
    quiet_until = float("-inf")
    for event in events:
        if isinstance(event, TextPiece):
            text += event.text
            now = clock()
            if now - last_edit < platform.edit_interval_s or now < quiet_until or not text.strip():
                continue
            try:
                platform.reply_progress(bot=bot, ask=ask, text=text)
                last_edit = now
            except RateLimited as limited:
                quiet_until = now + limited.retry_after
            except PlatformError as exc:
                # A lost edit costs nothing: the final message replaces it.
                logger.warning("%s bot %s: progress edit failed: %s", platform.name, bot.pk, exc)
                last_edit = now
        elif isinstance(event, AnswerDone):
            _with_retry(platform.reply_final, bot=bot, ask=ask, done=event, channel=channel)
            return "answered"
        elif isinstance(event, AnswerFailed):
            _with_retry(platform.reply_notice, bot=bot, ask=ask, text=event.message)
            return "failed"
    return "failed"
