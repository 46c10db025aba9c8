"""Calls to a messenger's HTTP API, the same for every platform: JSON in and out, a timeout, and
429 turned into ``RateLimited`` with the wait the platform asked for.

Platforms build their URLs and headers; the relay (bots.services.relay) decides what to do with
a RateLimited (skip an edit, wait and retry a final message).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

_client: httpx.Client | None = None


class PlatformError(Exception):
    """A platform API call failed. ``status`` is the HTTP status (0: no answer); ``body`` the
    decoded JSON error when there was one."""

    def __init__(self, message: str, *, status: int = 0, body: Any = None):
        super().__init__(message)
        self.status = status
        self.body = body


class RateLimited(PlatformError):
    """HTTP 429: try again after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float, body: Any = None):
        super().__init__(message, status=429, body=body)
        self.retry_after = retry_after


def _shared_client() -> httpx.Client:
    # One client per process: its connection pool keeps TCP+TLS to the platform open between edits.
    global _client
    if _client is None:
        _client = httpx.Client(timeout=settings.BOTS_HTTP_TIMEOUT_S)
    return _client


def _retry_after(response: httpx.Response, body: Any) -> float:
    if isinstance(body, dict):
        # Discord: {"retry_after": 1.5, ...}; Telegram: {"parameters": {"retry_after": 3}}.
        for value in (body.get("retry_after"), (body.get("parameters") or {}).get("retry_after")):
            if isinstance(value, int | float) and value >= 0:
                return float(value)
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


def request_json(
    method: str, url: str, *, headers: dict[str, str] | None = None, json: Any = None, form: dict[str, str] | None = None
) -> Any:
    """``method url`` with a JSON body (or a form, for OAuth2); the decoded JSON answer (None for
    204). Raises RateLimited on 429 and PlatformError on any other failure (network, 4xx, 5xx)."""
    try:
        response = _shared_client().request(method, url, headers=headers, json=json, data=form)
    except httpx.HTTPError as exc:
        raise PlatformError(f"{method} {url.split('?')[0]} failed: {exc.__class__.__name__}") from None
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = None
    if response.status_code == 429:
        raise RateLimited("rate limited", retry_after=_retry_after(response, body), body=body)
    if response.status_code >= 400:
        raise PlatformError(f"{method} answered {response.status_code}", status=response.status_code, body=body)
    return body


def fetch_bytes(url: str, *, max_bytes: int = 8 * 1024 * 1024) -> tuple[bytes, str]:
    """The bytes and content type at ``url`` (an avatar to upload); PlatformError when too big."""
    try:
        response = _shared_client().get(url, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise PlatformError(f"download failed: {exc.__class__.__name__}") from None
    if response.status_code >= 400:
        raise PlatformError(f"download answered {response.status_code}", status=response.status_code)
    if len(response.content) > max_bytes:
        raise PlatformError("download too large")
    return response.content, response.headers.get("Content-Type", "image/png").split(";")[0]
