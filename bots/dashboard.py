"""The creator's Discord page: install link, linked servers and their personas, branded bots."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from bots.forms import BrandedBotForm, PlaceForm
from bots.models import Bot, Place, PlatformName
from bots.selectors import bots_for_owner, places_for_account
from bots.services.bots import bot_revoke
from bots.services.discord_setup import (
    SetupError,
    discord_branded_bot_setup,
    discord_install_complete,
    discord_install_start,
)
from bots.services.places import place_channels_set, place_settings_update


def _place_for_user(request: HttpRequest, pk: int) -> Place:
    """A place linked to the user (or answered by their branded bot), or 404 for anyone else."""
    place = places_for_account(user=request.user).filter(pk=pk, bot__platform=PlatformName.DISCORD).first()
    if place is None:
        raise Http404("No such server.")
    return place


def _bot_for_user(request: HttpRequest, pk: int) -> Bot:
    bot = bots_for_owner(user=request.user, platform=PlatformName.DISCORD).filter(pk=pk).first()
    if bot is None:
        raise Http404("No such bot.")
    return bot


def _page(request: HttpRequest, *, branded_form: BrandedBotForm | None = None, status: int = 200) -> HttpResponse:
    places = [
        (place, PlaceForm(owner=request.user, prefix=f"place-{place.pk}", initial={
            "channels": list(place.channels.all()), "member_daily_cap": place.member_daily_cap,
            "new_video_posts": place.new_video_posts,
        }))
        for place in places_for_account(user=request.user).filter(bot__platform=PlatformName.DISCORD)
    ]  # fmt: skip
    context = {
        "shared_enabled": settings.DISCORD_BOT_ENABLED,
        "places": places,
        "bots": bots_for_owner(user=request.user, platform=PlatformName.DISCORD),
        "branded_form": branded_form or BrandedBotForm(owner=request.user),
        "interactions_base": f"{settings.SITE_URL}/bots/discord/",
    }
    return render(request, "bots/discord.html", context, status=status)


@login_required
@require_GET
def discord_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


@login_required
@require_GET
def discord_install(request: HttpRequest) -> HttpResponse:
    if not settings.DISCORD_BOT_ENABLED:
        messages.error(request, "The Yoppy Discord bot isn't configured on this site.")
        return redirect("bots:discord")
    return redirect(discord_install_start(session=request.session))


@login_required
@require_GET
def discord_installed(request: HttpRequest) -> HttpResponse:
    """Discord's OAuth2 redirect after the bot was added to a server."""
    if request.GET.get("error"):
        messages.error(request, "The bot wasn't added: Discord said the install was cancelled.")
        return redirect("bots:discord")
    try:
        place = discord_install_complete(
            user=request.user, session=request.session,
            state=request.GET.get("state", ""), code=request.GET.get("code", ""),
        )  # fmt: skip
    except SetupError as exc:
        messages.error(request, str(exc))
        return redirect("bots:discord")
    messages.success(request, f"Linked “{place.title or place.external_id}”. Choose the personas it can ask below.")
    return redirect("bots:discord")


@login_required
@require_POST
def discord_place_update(request: HttpRequest, pk: int) -> HttpResponse:
    place = _place_for_user(request, pk)
    if place.account_id != request.user.pk:
        raise Http404("No such server.")  # a branded bot's owner sees it, the linked account edits it
    form = PlaceForm(request.POST, owner=request.user, prefix=f"place-{place.pk}")
    if not form.is_valid():
        messages.error(request, "Check the server's settings: " + " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("bots:discord")
    place_channels_set(place=place, channel_ids=[c.pk for c in form.cleaned_data["channels"]])
    place_settings_update(
        place=place, member_daily_cap=form.cleaned_data["member_daily_cap"],
        new_video_posts=form.cleaned_data["new_video_posts"],
    )  # fmt: skip
    messages.success(request, f"Saved “{place.title or place.external_id}”.")
    return redirect("bots:discord")


@login_required
@require_POST
def discord_branded_setup(request: HttpRequest) -> HttpResponse:
    form = BrandedBotForm(request.POST, owner=request.user)
    if not form.is_valid():
        return _page(request, branded_form=form, status=400)
    try:
        bot = discord_branded_bot_setup(
            owner=request.user, channel=form.cleaned_data["channel"],
            application_id=form.cleaned_data["application_id"], public_key=form.cleaned_data["public_key"],
            token=form.cleaned_data["token"],
        )  # fmt: skip
    except SetupError as exc:
        form.add_error(None, str(exc))
        return _page(request, branded_form=form, status=400)
    messages.success(request, f"“{bot.name or bot.external_id}” is set up: add it to a server from the Discord portal.")
    return redirect("bots:discord")


@login_required
@require_POST
def discord_bot_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    bot = _bot_for_user(request, pk)
    bot_revoke(bot=bot)
    messages.success(request, f"“{bot.name or bot.external_id}” is revoked; its token was erased.")
    return redirect("bots:discord")
