from __future__ import annotations

from django.urls import path

from bots import telegram_views, views

app_name = "bots"

urlpatterns = [
    path("discord/<str:application_id>/interactions/", views.discord_interactions, name="discord-interactions"),
    path("telegram/<str:bot_id>/webhook/", telegram_views.telegram_webhook, name="telegram-webhook"),
    path("telegram/", telegram_views.telegram_page, name="telegram"),
    path("telegram/code/", telegram_views.telegram_code, name="telegram-code"),
    path("telegram/links/<int:pk>/unlink/", telegram_views.telegram_unlink, name="telegram-unlink"),
    path("telegram/bots/", telegram_views.telegram_bot_setup, name="telegram-bot-setup"),
    path("telegram/bots/<int:pk>/revoke/", telegram_views.telegram_bot_revoke, name="telegram-bot-revoke"),
    path("telegram/chats/<int:pk>/", telegram_views.telegram_place_update, name="telegram-place"),
]
