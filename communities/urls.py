from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("experiences/<slug:experience_id>/", views.experience, name="experience"),
    path("experiences/<slug:experience_id>/ask/", views.experience_ask, name="ask"),
    path("experiences/<slug:experience_id>/answers/<int:message_pk>/stream/", views.experience_stream, name="stream"),
    path("dashboard/<slug:company_id>/", views.dashboard, name="dashboard"),
    path("link/", views.link, name="link"),
    path("link/callback/", views.link_callback, name="link_callback"),
    path("webhooks/", views.webhook, name="webhook"),
]
