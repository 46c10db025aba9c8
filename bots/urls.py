from __future__ import annotations

from django.urls import path

from bots import views

app_name = "bots"

urlpatterns = [
    path("discord/<str:application_id>/interactions/", views.discord_interactions, name="discord-interactions"),
]
