"""A small client for Telegram's Bot API (core.telegram.org/bots/api) over httpx.

Every method is ``POST {TELEGRAM_API_BASE}/bot<token>/<method>`` with a JSON body, answered with
``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code", "description", "parameters"}``.
A 429 carries ``parameters.retry_after`` (seconds): ``call`` waits that long and tries again when
asked to (final messages), or raises ``RateLimited`` at once (a streaming edit, which the caller
simply skips until the wait is over).

The token is part of every URL, so nothing raised or logged here contains a URL: httpx's own
exceptions name the request URL and are replaced by ``TelegramUnavailable`` naming only the
method. The base URL comes from settings, so tests point it at a local server.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from bots.http import PlatformError
from bots.http import RateLimited as PlatformRateLimited

logger = logging.getLogger(__name__)

# Telegram's own limit for a message text (and a draft), after entity parsing.
MESSAGE_LIMIT = 4096


class TelegramError(PlatformError):
    """Telegram answered ``ok: false``; ``description`` is Telegram's text (never holds the token).
    A bots.http.PlatformError, so the bots relay handles it like any platform's."""

    def __init__(self, method: str, *, error_code: int, description: str, retry_after: int | None = None):
        PlatformError.__init__(self, f"{method}: {error_code} {description}", status=error_code)
        self.method = method
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    @property
    def not_modified(self) -> bool:
        """An edit with the same text as before: harmless, nothing to do."""
        return self.error_code == 400 and "message is not modified" in self.description

    @property
    def unauthorized(self) -> bool:
        return self.error_code in {401, 404} and self.method == "getMe"


class RateLimited(TelegramError, PlatformRateLimited):
    """429: wait ``retry_after`` seconds before calling again (the relay's RateLimited too, so a
    streaming edit is skipped and a final message retried after the wait)."""


class TelegramUnavailable(TelegramError):
    """No usable answer: network failure, timeout, 5xx or a body that is not Bot API JSON."""


@dataclass(frozen=True)
class BotUser:
    """What ``getMe`` says about a bot."""

    id: int
    username: str
    first_name: str
    supports_inline_queries: bool


@functools.cache
def _http(timeout: float) -> httpx.Client:
    """One pooled client per process: a streamed answer makes a call every second or so, and a
    new TLS connection per call would cost more than the call."""
    return httpx.Client(timeout=timeout)


class BotApi:
    """The Bot API as one bot (``token``) sees it."""

    def __init__(self, token: str, *, base_url: str | None = None, max_wait_s: float | None = None) -> None:
        self.token = token
        self.base_url = (base_url or settings.TELEGRAM_API_BASE).rstrip("/")
        self.max_wait_s = settings.TELEGRAM_MAX_RETRY_AFTER_S if max_wait_s is None else max_wait_s

    def __repr__(self) -> str:
        return f"BotApi(bot {self.token.split(':', 1)[0]})"  # never the secret half

    def call(self, method: str, params: dict[str, Any] | None = None, *, wait_on_429: bool = False) -> Any:
        """``method``'s result. With ``wait_on_429``, a 429 is waited out (``retry_after`` up to
        TELEGRAM_MAX_RETRY_AFTER_S, at most three times) and the call made again; otherwise, and
        beyond that, RateLimited is raised."""
        attempts = 3 if wait_on_429 else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._call_once(method, params or {})
            except RateLimited as limited:
                wait = limited.retry_after or 1
                if attempt == attempts or wait > self.max_wait_s:
                    raise
                logger.info("telegram %s: 429, waiting %s s as asked", method, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _call_once(self, method: str, params: dict[str, Any]) -> Any:
        try:
            response = _http(settings.TELEGRAM_TIMEOUT_S).post(f"{self.base_url}/bot{self.token}/{method}", json=params)
        except httpx.HTTPError as exc:
            # str(exc) may carry the URL, and the URL carries the token: only the exception's name.
            raise TelegramUnavailable(method, error_code=0, description=type(exc).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or "ok" not in body:
            raise TelegramUnavailable(method, error_code=response.status_code, description="not a Bot API answer")
        if body["ok"]:
            return body.get("result")
        code = int(body.get("error_code") or response.status_code)
        description = str(body.get("description") or "")
        parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
        if code == 429:
            retry_after = parameters.get("retry_after")
            raise RateLimited(method, error_code=code, description=description,
                              retry_after=int(retry_after) if isinstance(retry_after, int | float) else 1)  # fmt: skip
        if code >= 500:
            raise TelegramUnavailable(method, error_code=code, description=description)
        raise TelegramError(method, error_code=code, description=description)

    # --- the methods Yoppy uses -------------------------------------------------------------

    def get_me(self) -> BotUser:
        result = self.call("getMe")
        return BotUser(
            id=int(result["id"]), username=str(result.get("username") or ""),
            first_name=str(result.get("first_name") or ""),
            supports_inline_queries=bool(result.get("supports_inline_queries")),
        )  # fmt: skip

    def set_webhook(self, *, url: str, secret_token: str) -> None:
        self.call(
            "setWebhook",
            {"url": url, "secret_token": secret_token, "allowed_updates": list(ALLOWED_UPDATES),
             "drop_pending_updates": False},
            wait_on_429=True,
        )  # fmt: skip

    def delete_webhook(self) -> None:
        self.call("deleteWebhook", {"drop_pending_updates": True}, wait_on_429=True)

    def send_message(
        self, *, chat_id: int, text: str, reply_to: int | None = None, reply_markup: dict | None = None,
        wait_on_429: bool = True,
    ) -> dict:
        params: dict[str, Any] = {
            "chat_id": chat_id, "text": text, "parse_mode": "HTML",
            # A citation link would otherwise unfurl a YouTube preview under every answer.
            "link_preview_options": {"is_disabled": True},
        }  # fmt: skip
        if reply_to is not None:
            params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
        if reply_markup is not None:
            params["reply_markup"] = reply_markup
        return self.call("sendMessage", params, wait_on_429=wait_on_429)

    def edit_message_text(self, *, chat_id: int, message_id: int, text: str, wait_on_429: bool = False) -> None:
        try:
            self.call(
                "editMessageText",
                {"chat_id": chat_id, "message_id": message_id, "text": text, "parse_mode": "HTML",
                 "link_preview_options": {"is_disabled": True}},
                wait_on_429=wait_on_429,
            )  # fmt: skip
        except TelegramError as exc:
            if not exc.not_modified:
                raise

    def send_message_draft(self, *, chat_id: int, draft_id: int, text: str) -> None:
        """Bot API 9.5+: a streamed preview of the message being written, in a private chat."""
        self.call("sendMessageDraft", {"chat_id": chat_id, "draft_id": draft_id, "text": text, "parse_mode": "HTML"})

    def answer_callback_query(self, *, callback_query_id: str, text: str = "") -> None:
        self.call("answerCallbackQuery", {"callback_query_id": callback_query_id, "text": text}, wait_on_429=True)

    def answer_inline_query(
        self, *, inline_query_id: str, results: list[dict], cache_time: int, button: dict | None = None
    ) -> None:
        params: dict[str, Any] = {
            "inline_query_id": inline_query_id, "results": results, "cache_time": cache_time,
            # Results depend on the persona this user chose.
            "is_personal": True,
        }  # fmt: skip
        if button is not None:
            params["button"] = button
        self.call("answerInlineQuery", params)

    def chat_member_status(self, *, chat_id: int, user_id: int) -> str:
        """``creator``, ``administrator``, ``member``, ``restricted``, ``left`` or ``kicked``."""
        return str(self.call("getChatMember", {"chat_id": chat_id, "user_id": user_id}).get("status") or "")


# Everything else Telegram could send is never delivered to the webhook.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "inline_query", "my_chat_member")


class _RedactBotTokens(logging.Filter):
    """httpx logs every request's URL at INFO, and a Bot API URL carries the bot's token: the
    token is cut out of those records before any handler sees them."""

    _TOKEN = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = self._TOKEN.sub("/bot<token>", message), ()
        return True


logging.getLogger("httpx").addFilter(_RedactBotTokens())
