from __future__ import annotations

import pytest

from tests.bots.telegram.bot_api_server import BotApiServer

SHARED_TOKEN = "777000111:AAshared-bot-token-for-tests-only-0123"
SHARED_USERNAME = "yoppy_bot"


@pytest.fixture
def bot_api(settings):
    """The local Bot API, with the shared bot's token registered; every client points at it."""
    server = BotApiServer()
    server.add_bot(SHARED_TOKEN, username=SHARED_USERNAME, first_name="Yoppy")
    settings.TELEGRAM_API_BASE = server.url
    settings.TELEGRAM_BOT_TOKEN = SHARED_TOKEN
    settings.TELEGRAM_ENABLED = True
    yield server
    server.stop()
