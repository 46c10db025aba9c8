"""Bots' URLs: the platforms' webhooks under /bots/ (body-size-limited as webhooks, see
yoppy/http/body_limit.py) and the creator's pages under /dashboard/discord/ and /dashboard/telegram/."""

from __future__ import annotations

from django.urls import path

from bots import dashboard, telegram_views, views

app_name = "bots"

urlpatterns = [
    path("bots/discord/<str:application_id>/interactions/", views.discord_interactions, name="discord-interactions"),
    path("dashboard/discord/", dashboard.discord_page, name="discord"),
    path("dashboard/discord/install/", dashboard.discord_install, name="discord-install"),
    path("dashboard/discord/installed/", dashboard.discord_installed, name="discord-installed"),
    path("dashboard/discord/servers/<int:pk>/", dashboard.discord_place_update, name="discord-place"),
    path("dashboard/discord/bots/", dashboard.discord_branded_setup, name="discord-branded"),
    path("dashboard/discord/bots/<int:pk>/revoke/", dashboard.discord_bot_revoke, name="discord-revoke"),
    path("bots/telegram/<str:bot_id>/webhook/", telegram_views.telegram_webhook, name="telegram-webhook"),
    path("dashboard/telegram/", telegram_views.telegram_page, name="telegram"),
    path("dashboard/telegram/code/", telegram_views.telegram_code, name="telegram-code"),
    path("dashboard/telegram/links/<int:pk>/unlink/", telegram_views.telegram_unlink, name="telegram-unlink"),
    path("dashboard/telegram/bots/", telegram_views.telegram_bot_setup, name="telegram-bot-setup"),
    path("dashboard/telegram/bots/<int:pk>/revoke/", telegram_views.telegram_bot_revoke, name="telegram-bot-revoke"),
    path("dashboard/telegram/chats/<int:pk>/", telegram_views.telegram_place_update, name="telegram-place"),
]
