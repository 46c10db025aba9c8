"""The messengers' webhooks are answered next to Django's handler, not through its middleware
(bots/gateway.py), and mean the same as through it.

The application is driven as uvicorn drives it: a scope, the body, and a ``send`` that collects
the response. The views run on the gateway's pool threads, so the rows they read are committed
(transactional tests)."""

from __future__ import annotations

import asyncio
import json
import logging

import django_rq
import pytest
from django.core.asgi import get_asgi_application
from django.db import OperationalError

from bots.gateway import WebhookGateway
from bots.models import Bot, PlatformName
from tests.bots.conftest import APP_ID, ask, sign
from tests.bots.telegram.conftest import SECRET, SHARED_USERNAME, private_text
from tests.threads import run_async

pytestmark = pytest.mark.django_db(transaction=True)
_apps: list = []


@pytest.fixture(autouse=True)
def _gateway_made_before_the_test():
    """get_asgi_application() runs django.setup(), which configures logging again: done while a
    test runs, it would take the log capture away from that test."""
    if not _apps:
        _apps.append(WebhookGateway(get_asgi_application()))


def _call(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict, bytes]:
    raw_headers = [(b"host", b"localhost"), (b"content-type", b"application/json")]
    raw_headers += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": raw_headers,
        "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
    }  # fmt: skip
    pieces = [{"type": "http.request", "body": body[:10], "more_body": True},
              {"type": "http.request", "body": body[10:], "more_body": False}]  # fmt: skip
    sent: list[dict] = []

    async def receive() -> dict:
        if pieces:
            return pieces.pop(0)
        await asyncio.sleep(3600)  # a client with nothing more to send
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    app = _apps[0]
    run_async(lambda: asyncio.wait_for(app(scope, receive, send), timeout=30))
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], {k.decode().lower(): v.decode() for k, v in start["headers"]}, content


def _discord(payload: dict, key, **headers) -> tuple[int, dict, bytes]:
    body = json.dumps(payload).encode()
    signed = {name.removeprefix("HTTP_").replace("_", "-"): value for name, value in sign(body, key).items()}
    return _call("POST", f"/bots/discord/{APP_ID}/interactions/", body, {**signed, **headers})


def test_a_signed_ping_is_answered_pong_without_the_page_middleware(shared_bot, signing_key):
    status, headers, content = _discord({"type": 1, "id": "1"}, signing_key)
    assert status == 200
    assert json.loads(content) == {"type": 1}
    assert headers["content-length"] == str(len(content))
    # Django's page middleware would have added these; a webhook answer has no use for them.
    assert "content-security-policy" not in headers and "x-frame-options" not in headers


def test_an_ask_is_deferred_and_its_answer_queued(guild, signing_key):
    status, _, content = _discord(ask("How long do I proof the dough?"), signing_key)
    assert status == 200
    assert json.loads(content)["type"] == 5
    assert django_rq.get_queue("bots").count == 1


def test_a_bad_signature_is_401_and_queues_nothing(guild, signing_key):
    body = json.dumps(ask("Anything?")).encode()
    status, _, _ = _call("POST", f"/bots/discord/{APP_ID}/interactions/", body,
                         {"X-Signature-Ed25519": "00" * 64, "X-Signature-Timestamp": "1700000000"})  # fmt: skip
    assert status == 401
    assert django_rq.get_queue("bots").count == 0


def test_telegram_with_the_right_secret_queues_the_update_and_without_it_is_401():
    bot = Bot(
        platform=PlatformName.TELEGRAM, external_id="777000111", is_shared=True, username=SHARED_USERNAME
    )
    bot.set_webhook_secret(SECRET)
    bot.save()
    path = f"/bots/telegram/{bot.external_id}/webhook/"
    body = json.dumps(private_text("What flour do you use?")).encode()

    assert _call("POST", path, body, {"X-Telegram-Bot-Api-Secret-Token": "wrong"})[0] == 401
    assert django_rq.get_queue("bots").count == 0
    status, _, content = _call("POST", path, body, {"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert (status, json.loads(content)) == (200, {"ok": True})
    assert django_rq.get_queue("bots").count == 1


def test_other_requests_go_through_django_as_before(shared_bot):
    status, headers, _ = _call("GET", f"/bots/discord/{APP_ID}/interactions/")
    assert status == 405  # require_POST, through Django's handler and its middleware
    assert "x-frame-options" in headers


def test_postgresql_away_is_503_with_retry_after(shared_bot, signing_key, monkeypatch):
    def away(**kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr("bots.views.bot_get_active", away)
    status, headers, content = _discord({"type": 1, "id": "2"}, signing_key)
    assert status == 503
    assert headers["retry-after"] == "5"
    assert "try again" in json.loads(content)["error"]


def test_an_unexpected_error_is_a_logged_500_not_a_dropped_connection(
    shared_bot, signing_key, monkeypatch, caplog
):
    def broken(**kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("bots.views.bot_get_active", broken)
    with caplog.at_level(logging.ERROR, logger="bots.gateway"):
        status, _, _ = _discord({"type": 1, "id": "3"}, signing_key)
    assert status == 500
    assert "webhook failed" in caplog.text
