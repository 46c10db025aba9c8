"""Telegram's HTTP endpoints: the webhook (verify, acknowledge, queue) and the creator's
Telegram page on the dashboard."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from bots import tasks
from bots.models import Bot, Place, PlatformName
from bots.platforms import platform_for
from bots.selectors import (
    bot_get_active,
    bot_shared_active,
    bots_for_owner,
    places_of_bots,
    platform_links_of,
)
from bots.services import telegram as service
from bots.services.events import event_take
from bots.services.link_codes import link_code_create, link_revoke
from bots.telegram.updates import parse
from channels_app.models import Channel
from yoppy import safejson
from yoppy.http.ids import id_parse

logger = logging.getLogger(__name__)

OK = {"ok": True}


@csrf_exempt
@require_POST
def telegram_webhook(request: HttpRequest, bot_id: str) -> HttpResponse:
    """One bot's webhook. The secret token is checked before the body is read as JSON: anything
    else is 401 with nothing queued. Each update_id is taken once; updates the bot has nothing
    to do with (a group's chatter, a chosen inline result) are acknowledged and dropped here,
    so they cost no job."""
    platform = platform_for(PlatformName.TELEGRAM)
    bot = bot_get_active(platform=PlatformName.TELEGRAM, external_id=bot_id)
    if bot is None or not platform.verify(bot=bot, headers=request.headers, body=request.body):
        return JsonResponse({"ok": False, "description": "Unauthorized"}, status=401)
    try:
        update = safejson.loads(request.body)
    except ValueError:
        return JsonResponse({"ok": False, "description": "body is not JSON"}, status=400)
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        return JsonResponse({"ok": False, "description": "not a Telegram update"}, status=400)
    incoming = parse(update, bot_id=int(bot.external_id), bot_username=bot.username)
    if incoming.kind in {"ignored", "member"} or (incoming.is_group and incoming.kind in {"media", "edited"}):
        return JsonResponse(OK)
    if incoming.is_group and incoming.kind == "text" and not incoming.addressed:
        return JsonResponse(OK)
    if not event_take(bot=bot, event_id=str(incoming.update_id)):
        return JsonResponse(OK)  # a redelivery: handled already
    if incoming.kind == "inline":
        service.inline_query_note(bot=bot, user_id=incoming.user_id, inline_query_id=incoming.inline_query_id)
    transaction.on_commit(lambda: tasks.telegram_update.delay(bot.pk, update))
    return JsonResponse(OK)


# --- dashboard ---------------------------------------------------------------------------------


def _own_bot(request: HttpRequest, pk: int) -> Bot:
    bot = bots_for_owner(user=request.user, platform=PlatformName.TELEGRAM).filter(pk=pk).first()
    if bot is None:
        raise Http404("No such bot.")
    return bot


def _own_place(request: HttpRequest, pk: int) -> Place:
    bots = bots_for_owner(user=request.user, platform=PlatformName.TELEGRAM)
    place = places_of_bots(bots=bots).filter(pk=pk).first()
    if place is None:
        raise Http404("No such chat.")
    return place


def _page(request: HttpRequest, *, code: str = "", status: int = 200, form_error: str = "") -> HttpResponse:
    bots = bots_for_owner(user=request.user, platform=PlatformName.TELEGRAM)
    context = {
        "code": code,
        "code_minutes": settings.TELEGRAM_CONNECT_CODE_MINUTES,
        "shared": bot_shared_active(platform=PlatformName.TELEGRAM),
        "links": platform_links_of(user=request.user, platform=PlatformName.TELEGRAM),
        "bots": bots,
        "places": places_of_bots(bots=bots),
        "channels": Channel.objects.owned_by(request.user).order_by("title"),
        "form_error": form_error,
    }
    return render(request, "bots/telegram.html", context, status=status)


@login_required
@require_GET
def telegram_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_POST
def telegram_code(request: HttpRequest) -> HttpResponse:
    code, _ = link_code_create(user=request.user, platform=PlatformName.TELEGRAM)
    return _page(request, code=code)


@login_required
@require_POST
def telegram_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    link = platform_links_of(user=request.user, platform=PlatformName.TELEGRAM).filter(pk=pk).first()
    if link is None:
        raise Http404("No such link.")
    link_revoke(link=link)
    messages.success(request, "Telegram account unlinked.")
    return redirect("bots:telegram")


@login_required
@require_POST
def telegram_bot_setup(request: HttpRequest) -> HttpResponse:
    channel = Channel.objects.owned_by(request.user).filter(pk=id_parse(request.POST.get("channel", "")) or 0).first()
    if channel is None:
        return _page(request, status=400, form_error="Choose one of your channels for the bot.")
    try:
        bot = service.telegram_branded_bot_setup(owner=request.user, channel=channel, token=request.POST.get("token", ""))
    except service.BotSetupError as exc:
        return _page(request, status=400, form_error=str(exc))
    messages.success(request, f"@{bot.username} now answers as {channel.display_name}.")
    return redirect("bots:telegram")


@login_required
@require_POST
def telegram_bot_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    bot = _own_bot(request, pk)
    service.telegram_bot_revoke(bot=bot)
    messages.success(request, f"@{bot.username or bot.external_id} is switched off; its token was erased.")
    return redirect("bots:telegram")


@login_required
@require_POST
def telegram_place_update(request: HttpRequest, pk: int) -> HttpResponse:
    place = _own_place(request, pk)
    try:
        cap = int(request.POST.get("member_daily_cap", ""))
    except ValueError:
        return _page(request, status=400, form_error="The daily cap must be a whole number.")
    if not 0 <= cap <= 1000:
        return _page(request, status=400, form_error="The daily cap must be between 0 and 1000.")
    service.telegram_place_settings_update(
        place=place, member_daily_cap=cap, new_video_posts=request.POST.get("new_video_posts") == "on"
    )
    messages.success(request, f"Saved {place.title or place.external_id}.")
    return redirect("bots:telegram")
