from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from yoppy import views

admin.site.site_header = "Yoppy operators' console"
admin.site.site_title = "Yoppy admin"
admin.site.index_title = "Operations"

urlpatterns = [
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/channels/", include("channels_app.urls")),
    path("billing/", include("billing.urls")),
    path("", include("bots.urls")),
    path("dashboard/earnings/", include("affiliates.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("chat.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/rq/", include("django_rq.urls")),
    path("admin/", admin.site.urls),
]

handler404 = "yoppy.views.page_not_found"
handler500 = "yoppy.views.server_error"
