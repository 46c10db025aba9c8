"""Request bodies capped per route before Django reads them (an ASGI middleware).

Django's ASGI handler spools the whole body to a temporary file before any view or setting sees
it, so without this a 1 GB unauthenticated POST to a webhook URL is written to disk first and
refused after. Here a declared Content-Length over the route's limit is answered 413 at once,
without reading a byte, and a body without one (chunked) is counted as it arrives and cut off at
the limit: Django is told the client went away, the client gets the 413.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Room for the multipart envelope around an uploaded file: boundaries, part headers, the CSRF
# token and the form's other fields.
MULTIPART_OVERHEAD_BYTES = 64 * 1024

_WEBHOOK_PATHS = re.compile(r"^/(billing/webhooks|bots|whop)/")
_UPLOAD_PATHS = re.compile(r"^/dashboard/channels/\d+/upload/$")


def body_limit_for(path: str) -> int:
    """The largest request body, in bytes, that ``path`` accepts."""
    if _WEBHOOK_PATHS.match(path):
        return settings.WEBHOOK_MAX_BODY_BYTES
    if _UPLOAD_PATHS.match(path):
        # Several files at once: the total allowed, never less than one file of the largest size.
        total = max(settings.CAPTION_UPLOAD_MAX_TOTAL_BYTES, settings.CAPTION_UPLOAD_MAX_BYTES)
        return total + MULTIPART_OVERHEAD_BYTES
    return settings.REQUEST_MAX_BODY_BYTES


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # uvicorn refuses these itself; count the bytes instead
    return None


async def _too_large(send: Send, limit: int) -> None:
    body = f"Request body too large: this address accepts at most {limit:,} bytes.\n".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit_for: Callable[[str], int] = body_limit_for) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _too_large(send, limit)
            return

        received = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    await _too_large(send, limit)
                    # Django drops a request whose client went away without answering it.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # the 413 is already out: nothing else may follow it
                await send(message)

        await self.app(scope, counted_receive, guarded_send)
