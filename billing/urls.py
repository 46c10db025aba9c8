from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("subscribe/<int:pk>/", views.subscribe, name="subscribe"),
    path("subscriptions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("webhooks/<str:provider>/", views.webhook, name="webhook"),
]
