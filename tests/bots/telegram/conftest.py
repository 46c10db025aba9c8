"""The Telegram side of the tests: the local Bot API server, the shared bot's row, the webhook
as Telegram calls it, and the bots queue run in this process."""

from __future__ import annotations

import itertools
import json

import django_rq
import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from bots.models import Bot, PlatformName
from tests.bots.telegram.bot_api_server import BotApiServer
from tests.chat.test_views_chat import bakery, llm  # noqa: F401  (real ingested chunks; the local LLM server)

SHARED_TOKEN = "777000111:AAshared-bot-token-for-tests-only-0123"
SHARED_USERNAME = "yoppy_bot"
SECRET = "test-webhook-secret_0123456789-abcdefghijklmnopqrstuvwxyz"
FAN = 1111111  # the user of Telegram's own example updates
GROUP = -1001234567890

_update_ids = itertools.count(900000)


@pytest.fixture
def bot_api(settings):
    """The local Bot API, with the shared bot's token registered; every client points at it."""
    server = BotApiServer()
    server.add_bot(SHARED_TOKEN, username=SHARED_USERNAME, first_name="Yoppy")
    settings.TELEGRAM_API_BASE = server.url
    settings.TELEGRAM_BOT_TOKEN = SHARED_TOKEN
    settings.TELEGRAM_ENABLED = True
    settings.SITE_URL = "https://yoppy.example"
    yield server
    server.stop()


@pytest.fixture
def shared_bot(db, bot_api):
    bot = Bot(platform=PlatformName.TELEGRAM, external_id="777000111", is_shared=True, name="Yoppy",
              username=SHARED_USERNAME)  # fmt: skip
    bot.set_webhook_secret(SECRET)
    bot.save()
    return bot


def post(client, bot: Bot, update: dict, *, secret: str | None = SECRET):
    headers = {} if secret is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    return client.post(
        f"/bots/telegram/{bot.external_id}/webhook/", data=json.dumps(update), content_type="application/json", **headers
    )


def run_jobs() -> None:
    django_rq.get_worker("bots", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)


def deliver(client, bot: Bot, update: dict, capture) -> None:
    """Telegram delivers ``update``; the bots queue runs what it queued."""
    with capture(execute=True):
        response = post(client, bot, update)
    assert response.status_code == 200, response.content
    run_jobs()


def private_text(text: str, *, user_id: int = FAN, update_id: int | None = None, **extra) -> dict:
    """A private message in the shape of Telegram's example updates (realdata message.json)."""
    return {
        "update_id": update_id or next(_update_ids),
        "message": {
            "message_id": next(_update_ids) % 100000, "date": 1441645532, "text": text,
            "chat": {"id": user_id, "type": "private", "first_name": "Test", "last_name": "Fan"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Test", "last_name": "Fan"},
            **extra,
        },
    }  # fmt: skip


def group_text(
    text: str, *, user_id: int = FAN, chat_id: int = GROUP, update_id: int | None = None, mentioned: bool = False,
    **extra,
) -> dict:
    """A supergroup message; ``mentioned``: it starts with "@yoppy_bot" (a mention entity)."""
    if mentioned:
        text = f"@{SHARED_USERNAME} {text}"
        extra["entities"] = [{"type": "mention", "offset": 0, "length": len(SHARED_USERNAME) + 1}]
    return {
        "update_id": update_id or next(_update_ids),
        "message": {
            "message_id": next(_update_ids) % 100000, "date": 1441645532, "text": text,
            "chat": {"id": chat_id, "type": "supergroup", "title": "Bakers"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Test", "last_name": "Fan"},
            **extra,
        },
    }  # fmt: skip


def callback(data: str, *, chat_id: int, user_id: int = FAN, message_id: int = 5001, chat_type: str = "private") -> dict:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_update_ids)}", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
            "message": {"message_id": message_id, "date": 1441645532, "text": "Choose",
                        "chat": {"id": chat_id, "type": chat_type, "title": "Bakers"}},
        },
    }  # fmt: skip
