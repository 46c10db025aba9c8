"""Site-wide pages: landing, dashboard shell, health check, error pages."""

from __future__ import annotations

import functools
import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from billing import selectors as billing_selectors
from channels_app.selectors import channel_get_demo_public

logger = logging.getLogger(__name__)


@require_GET
def landing(request: HttpRequest) -> HttpResponse:
    plans = list(billing_selectors.plan_list_public())
    structured_data = {
        "@context": "https://schema.org",
        "@type": "SoftwareApplication",
        "name": settings.SITE_NAME,
        "applicationCategory": "CommunicationApplication",
        "operatingSystem": "Web",
        "url": settings.SITE_URL,
        "description": "Turn a YouTube channel into an AI persona that answers fans in the "
        "creator's voice and cites the exact moment in the video.",
        "offers": [
            {"@type": "Offer", "name": plan.name, "price": str(plan.price_usd), "priceCurrency": "USD"}
            for plan in plans
        ],
    }
    return render(
        request,
        "pages/landing.html",
        {"plans": plans, "structured_data": structured_data, "demo_channel": channel_get_demo_public()},
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    template_name = "pages/dashboard.html"
    if request.htmx:
        template_name += "#dashboard-main"
    from channels_app.selectors import channel_list_for_owner

    quota = billing_selectors.quota_status(user=request.user)
    channel_count = channel_list_for_owner(user=request.user).filter(is_demo=False).count()
    context = {"quota": quota, "channel_count": channel_count, "demo_channel": channel_get_demo_public()}
    return render(request, template_name, context)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = %s", [int(settings.HEALTHZ_TIMEOUT_S * 1000)])
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("healthz: database check failed")
        return False


@functools.cache
def _redis_client(url: str, timeout_s: float) -> redis.Redis:
    # Kept per process: a new client per probe opened a new TCP connection every time. The pool
    # reconnects by itself after Redis comes back.
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)


def _redis_ok() -> bool:
    try:
        return bool(_redis_client(settings.REDIS_URL, settings.HEALTHZ_TIMEOUT_S).ping())
    except Exception:
        logger.exception("healthz: redis check failed")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "redis": _redis_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error", **{k: "ok" if v else "down" for k, v in checks.items()}}
    return JsonResponse(body, status=200 if healthy else 503)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that touch the database: the failure may be the database.
    import sys

    from django.template import loader

    from yoppy.middleware import OUTAGES, service_unavailable

    # Django calls this handler while handling the exception: an outage raised outside a view
    # (a middleware saving the session to the database) is a 503 too, not a 500.
    if isinstance(sys.exc_info()[1], OUTAGES):
        return service_unavailable(request)
    return HttpResponse(loader.get_template("500.html").render(), status=500)
