from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {"SITE_NAME": settings.SITE_NAME, "SITE_URL": settings.SITE_URL}


def csp_nonce(request: HttpRequest) -> dict:
    # django-htmx's {% htmx_script %} reads "csp_nonce" from the context to tag its <script>s.
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
