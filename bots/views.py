"""HTTP endpoints of Bots: the platforms' webhooks (read input, verify, acknowledge, queue) and
the creator's dashboard pages."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bots import tasks
from bots.models import PlatformName
from bots.platforms import platform_for
from bots.selectors import bot_get_active
from bots.services.bots import bot_shared_discord_ensure
from bots.services.events import event_take
from yoppy import safejson

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def discord_interactions(request: HttpRequest, application_id: str) -> HttpResponse:
    """Discord's interactions endpoint of one application. Verified on the raw body first: a bad
    or missing signature is 401 with nothing parsed or queued (Discord probes this on purpose)."""
    platform = platform_for(PlatformName.DISCORD)
    if application_id == settings.DISCORD_APPLICATION_ID:
        bot_shared_discord_ensure()
    bot = bot_get_active(platform=PlatformName.DISCORD, external_id=application_id)
    if bot is None or not platform.verify(bot=bot, headers=request.headers, body=request.body):
        return JsonResponse({"error": "invalid request signature"}, status=401)
    try:
        payload = safejson.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "body is not JSON"}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "body is not a JSON object"}, status=400)
    interaction_id = str(payload.get("id") or "")
    if not interaction_id:
        return JsonResponse({"error": "interaction has no id"}, status=400)
    # Autocomplete is a read and PING a probe; everything else has an effect and is taken once.
    if payload.get("type") not in {1, 4} and not event_take(bot=bot, event_id=interaction_id):
        # A replayed interaction: Discord never sends one id twice, so this is not Discord.
        return JsonResponse({"type": 4, "data": {"content": "Already handled.", "flags": 64}})
    received = platform.receive(bot=bot, payload=payload)
    if received.ask is not None:
        ask = received.ask.as_dict()
        transaction.on_commit(lambda: tasks.ask_answer.delay(PlatformName.DISCORD, ask))
    return JsonResponse(received.response)
