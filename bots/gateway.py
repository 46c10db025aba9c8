"""The messengers' webhooks, served straight from the ASGI server (wrapped around Django's
handler in ``yoppy/asgi.py``).

Discord drops an interaction that is not acknowledged within 3 s and Telegram backs off a slow
webhook, and both deliver in bursts (a busy server, a channel's new video). Through Django's
ASGI handler each request is carried between the event loop and a thread of its own four times
by the sync middleware, none of which a webhook needs (no session, user, CSRF, messages or page
headers): 50 interactions at once cost ~16 ms of CPU each and the last was acknowledged after
~1.2 s (bench/discord_ack.py, docs/BENCHMARKS.md). Here the same views run on a shared pool of
threads, given the real ``ASGIRequest`` Django would build, with the database connection taken
and given back around each one as Django's request signals do, and the outages answered 503 as
``ServiceUnavailableMiddleware`` answers them. Everything else goes on to Django unchanged.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db import close_old_connections
from django.http import HttpResponse

from yoppy.http.body_limit import ASGIApp, Receive, Scope, Send
from yoppy.middleware import OUTAGES, RETRY_AFTER_S

logger = logging.getLogger(__name__)


def _routes() -> list[tuple[re.Pattern[str], Callable[..., HttpResponse]]]:
    from bots.telegram_views import telegram_webhook
    from bots.views import discord_interactions

    return [
        (re.compile(r"^/bots/discord/(?P<application_id>\d{1,20})/interactions/$"), discord_interactions),
        (re.compile(r"^/bots/telegram/(?P<bot_id>\d{1,20})/webhook/$"), telegram_webhook),
    ]


def _serve(
    view: Callable[..., HttpResponse], scope: Scope, body: bytes, kwargs: dict[str, str]
) -> HttpResponse:
    """One webhook request, in a pool thread: what Django's handler does for it, without the
    middleware."""
    close_old_connections()
    try:
        return view(ASGIRequest(scope, io.BytesIO(body)), **kwargs)
    except OUTAGES as exc:
        logger.warning("%s: service unavailable (%s: %s)", scope["path"], type(exc).__name__, exc)
        return _json({"error": "temporarily unavailable, try again"}, status=503, retry_after=True)
    except Exception:
        logger.exception("%s: webhook failed", scope["path"])
        return _json({"error": "internal error"}, status=500)
    finally:
        close_old_connections()


def _json(payload: dict[str, Any], *, status: int, retry_after: bool = False) -> HttpResponse:
    response = HttpResponse(json.dumps(payload), status=status, content_type="application/json")
    if retry_after:
        response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class WebhookGateway:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.routes = _routes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "POST":
            for pattern, view in self.routes:
                match = pattern.match(scope.get("path", ""))
                if match:
                    await self._handle(view, match.groupdict(), scope, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _handle(self, view, kwargs: dict[str, str], scope: Scope, receive: Receive, send: Send) -> None:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the sender went away (or the body limit cut it off and answered 413)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        response = await sync_to_async(_serve, thread_sensitive=False)(view, scope, b"".join(chunks), kwargs)
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
        headers.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})
