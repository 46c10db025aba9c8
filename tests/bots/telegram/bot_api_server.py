"""A local HTTP server standing in for Telegram's Bot API, for tests: it records every call and
answers the way Telegram does (core.telegram.org/bots/api), including its refusals.

- ``POST /bot<token>/<method>`` with a JSON body; answers ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code", "description"[, "parameters": {"retry_after": n}]}``.
- Tokens must be registered (``add_bot``); any other token gets 401 "Unauthorized", as a
  revoked or mistyped BotFather token does.
- Texts sent with ``parse_mode: HTML`` are parsed like Telegram does: only its tags, entities
  escaped, at most 4,096 characters after entity parsing (UTF-16 units); anything else is
  400 "can't parse entities" or "message is too long". So a test cannot pass with unescaped text.
- ``fail(method, ...)`` scripts the next answers of a method (a 429 with ``retry_after``, a 400...).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Telegram's HTML parse mode: these tags (and their aliases), nothing else.
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
         "tg-spoiler", "span", "tg-emoji"}  # fmt: skip
_ENTITIES = {"lt", "gt", "amp", "quot"}
LIMIT = 4096


@dataclass
class Call:
    token: str
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when it arrived


@dataclass
class _Bot:
    id: int
    username: str
    first_name: str
    # (chat id, user id) -> status for getChatMember; anyone else is a "member".
    members: dict[tuple[int, int], str] = field(default_factory=dict)


class _TelegramHTML(HTMLParser):
    """Telegram's rules: allowed tags only, every "<", ">", "&" in text escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.error = ""
        self.open: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in _TAGS:
            self.error = f"Unsupported start tag \"{tag}\""
        if tag == "a" and not dict(attrs).get("href"):
            self.error = "Can't find end of the entity"
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open.pop() != tag:
            self.error = f"Unmatched end tag \"{tag}\""

    def handle_data(self, data):
        if ">" in data or "<" in data:
            self.error = "Unexpected end tag"
        self.text.append(data)

    def handle_entityref(self, name):
        if name not in _ENTITIES:
            self.error = f"Unsupported entity \"{name}\""
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name, "?"))

    def handle_charref(self, name):
        self.text.append(chr(int(name[1:], 16) if name.lower().startswith("x") else int(name)))


def visible_text(html_text: str) -> tuple[str, str]:
    """(the text after entity parsing, Telegram's error or "")."""
    parser = _TelegramHTML()
    # A bare "&" or "<" that is not a tag or an entity is an error in Telegram's parser.
    scan = html_text
    for index, char in enumerate(scan):
        if char == "&" and not any(scan.startswith(f"&{e};", index) for e in _ENTITIES) and not scan.startswith("&#", index):
            return "", "Can't parse entities: unsupported start of an entity"
    parser.feed(html_text)
    parser.close()
    if parser.open and not parser.error:
        parser.error = "Can't find end tag"
    if parser.rawdata.strip():
        parser.error = parser.error or "Can't parse entities: unclosed tag"
    return "".join(parser.text), parser.error


class BotApiServer:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.bots: dict[str, _Bot] = {}
        self._failures: dict[str, list[dict[str, Any]]] = {}
        self._message_ids = itertools.count(5001)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                _, _, rest = self.path.partition("/bot")
                token, _, method = rest.partition("/")
                try:
                    params = json.loads(raw or b"{}")
                except ValueError:
                    params = {}
                status, body = owner._answer(token, method, params)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    # --- scripting ----------------------------------------------------------------------------

    def add_bot(self, token: str, *, username: str, first_name: str = "") -> int:
        bot_id = int(token.split(":", 1)[0])
        self.bots[token] = _Bot(id=bot_id, username=username, first_name=first_name or username)
        return bot_id

    def set_member(self, token: str, *, chat_id: int, user_id: int, status: str) -> None:
        self.bots[token].members[(chat_id, user_id)] = status

    def fail(self, method: str, *, error_code: int, description: str, retry_after: int | None = None,
             times: int = 1) -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` get this error."""
        body: dict[str, Any] = {"ok": False, "error_code": error_code, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self._failures.setdefault(method, []).extend([body] * times)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- answering ----------------------------------------------------------------------------

    def _answer(self, token: str, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.calls.append(Call(token, method, params, time.monotonic()))
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        bot = self.bots.get(token)
        if bot is None:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        if failure is not None:
            return failure["error_code"], failure
        handler = getattr(self, f"_on_{method}", None)
        if handler is None:
            return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
        result = handler(bot, params)
        if isinstance(result, tuple):
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {result[0]}"}
        return 200, {"ok": True, "result": result}

    def _text_error(self, params: dict[str, Any], *, empty_ok: bool = False) -> str:
        text = params.get("text")
        if not isinstance(text, str) or (not text.strip() and not empty_ok):
            return "message text is empty"
        if params.get("parse_mode") == "HTML":
            visible, error = visible_text(text)
            if error:
                return f"can't parse entities: {error}"
        else:
            visible = text
        if len(visible.encode("utf-16-le")) // 2 > LIMIT:
            return "message is too long"
        return ""

    def _on_getMe(self, bot: _Bot, params):  # noqa: N802
        return {"id": bot.id, "is_bot": True, "first_name": bot.first_name, "username": bot.username,
                "can_join_groups": True, "supports_inline_queries": True}  # fmt: skip

    def _on_setWebhook(self, bot: _Bot, params):  # noqa: N802
        if not str(params.get("url", "")).startswith("https://"):
            return ("bad webhook: An HTTPS URL must be provided for webhook",)
        return True

    def _on_deleteWebhook(self, bot: _Bot, params):  # noqa: N802
        return True

    def _on_sendMessage(self, bot: _Bot, params):  # noqa: N802
        error = self._text_error(params)
        if error:
            return (error,)
        return {"message_id": next(self._message_ids), "chat": {"id": params.get("chat_id")},
                "from": {"id": bot.id, "is_bot": True, "username": bot.username},
                "date": int(time.time()), "text": params["text"]}  # fmt: skip

    def _on_editMessageText(self, bot: _Bot, params):  # noqa: N802
        error = self._text_error(params)
        if error:
            return (error,)
        previous = [c for c in self.calls[:-1] if c.method in {"sendMessage", "editMessageText"}
                    and c.params.get("chat_id") == params.get("chat_id")]  # fmt: skip
        if previous and previous[-1].params.get("text") == params["text"]:
            return ("message is not modified: specified new message content and reply markup are exactly the same",)
        return {"message_id": params.get("message_id"), "chat": {"id": params.get("chat_id")}, "text": params["text"]}

    def _on_sendMessageDraft(self, bot: _Bot, params):  # noqa: N802
        if not params.get("draft_id"):
            return ("draft_id must be non-zero",)
        if int(params.get("chat_id") or 0) <= 0:
            return ("drafts can be sent to private chats only",)
        error = self._text_error(params, empty_ok=True)
        return (error,) if error else True

    def _on_answerCallbackQuery(self, bot: _Bot, params):  # noqa: N802
        return True

    def _on_answerInlineQuery(self, bot: _Bot, params):  # noqa: N802
        results = params.get("results")
        if not isinstance(results, list) or len(results) > 50:
            return ("RESULTS_TOO_MUCH",)
        for result in results:
            if not 1 <= len(str(result.get("id", "")).encode()) <= 64:
                return ("RESULT_ID_INVALID",)
            content = result.get("input_message_content") or {}
            visible, error = visible_text(content.get("message_text", "")) if content.get("parse_mode") == "HTML" else (content.get("message_text", ""), "")
            if error or not visible.strip():
                return (f"MESSAGE_TEXT_INVALID {error}",)
        return True

    def _on_getChatMember(self, bot: _Bot, params):  # noqa: N802
        chat_id, user_id = int(params.get("chat_id") or 0), int(params.get("user_id") or 0)
        return {"status": bot.members.get((chat_id, user_id), "member"), "user": {"id": user_id, "is_bot": False}}
