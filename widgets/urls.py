from django.urls import path, re_path

from widgets.views import dashboard, embed

app_name = "widgets"

_KEY = r"(?P<key>[A-Za-z0-9_-]{1,40})"

urlpatterns = [
    path("embed.js", embed.loader, name="loader"),
    re_path(rf"^widget/{_KEY}/config$", embed.config, name="config"),
    re_path(rf"^widget/{_KEY}/frame$", embed.frame, name="frame"),
    re_path(rf"^widget/{_KEY}/session$", embed.session_start, name="session"),
    re_path(rf"^widget/{_KEY}/ask$", embed.ask, name="ask"),
    re_path(rf"^widget/{_KEY}/event$", embed.event, name="event"),
    path("dashboard/widgets/", dashboard.widget_list, name="list"),
    path("dashboard/widgets/<int:pk>/", dashboard.widget_detail, name="detail"),
    path("dashboard/widgets/<int:pk>/preview/", dashboard.widget_preview, name="preview"),
    path("dashboard/widgets/<int:pk>/analytics/", dashboard.widget_analytics, name="analytics"),
    path("dashboard/widgets/<int:pk>/rotate-key/", dashboard.widget_rotate_key, name="rotate-key"),
    path("dashboard/widgets/<int:pk>/regenerate-secret/", dashboard.widget_regenerate_secret, name="regenerate-secret"),
    path("dashboard/widgets/<int:pk>/delete/", dashboard.widget_delete, name="delete"),
]
