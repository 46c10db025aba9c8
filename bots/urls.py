"""Bots' URLs: the platforms' webhooks under /bots/ (body-size-limited as webhooks, see
yoppy/http/body_limit.py) and the creator's pages under /dashboard/discord/."""

from __future__ import annotations

from django.urls import path

from bots import dashboard, views

app_name = "bots"

urlpatterns = [
    path("bots/discord/<str:application_id>/interactions/", views.discord_interactions, name="discord-interactions"),
    path("dashboard/discord/", dashboard.discord_page, name="discord"),
    path("dashboard/discord/install/", dashboard.discord_install, name="discord-install"),
    path("dashboard/discord/installed/", dashboard.discord_installed, name="discord-installed"),
    path("dashboard/discord/servers/<int:pk>/", dashboard.discord_place_update, name="discord-place"),
    path("dashboard/discord/bots/", dashboard.discord_branded_setup, name="discord-branded"),
    path("dashboard/discord/bots/<int:pk>/revoke/", dashboard.discord_bot_revoke, name="discord-revoke"),
]
