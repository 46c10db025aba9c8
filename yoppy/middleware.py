"""Site-wide middleware."""

from __future__ import annotations

import logging

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger(__name__)

# PostgreSQL or Redis is away (restarting, unreachable): the request was fine, the service is not.
OUTAGES = (OperationalError, InterfaceError, redis.ConnectionError, redis.TimeoutError)
RETRY_AFTER_S = 5


def service_unavailable(request: HttpRequest | None = None) -> HttpResponse:
    """The "temporarily unavailable" page. No context processors: they may need the database."""
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class ServiceUnavailableMiddleware(MiddlewareMixin):
    """A view that fails because PostgreSQL or Redis is away answers 503 "temporarily
    unavailable" with Retry-After, not 500 (or, under DEBUG, a technical page)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OUTAGES):
            return None
        logger.warning("%s %s: service unavailable (%s: %s)", request.method, request.path,
                       type(exception).__name__, exception)  # fmt: skip
        if request.headers.get("Accept", "").startswith("text/event-stream"):
            return HttpResponse(
                'event: error\ndata: {"message": "Yoppy is temporarily unavailable. Please try again in a few seconds."}\n\n',
                status=503, content_type="text/event-stream", headers={"Retry-After": str(RETRY_AFTER_S)},
            )  # fmt: skip
        return service_unavailable(request)
