"""Fixtures of the bots tests: Discord's API served locally (tests/bots/discord_server.py), the
shared bot configured with a throwaway Ed25519 key, a server linked to alice's bakery channel,
signed interactions, and the bots queue run in this process.

Interaction payloads are built here in the shape of Discord's documented examples
(/work/shared/realdata/webhooks/discord/discord_api_docs_examples/, from discord/discord-api-docs
developers/interactions/application-commands.mdx): type, id, application_id, token, guild_id,
channel_id, member{user, permissions}, data{type, name, options | resolved, target_id}."""

from __future__ import annotations

import itertools
import json
import time

import django_rq
import pytest
from nacl.signing import SigningKey
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from bots.services.bots import bot_shared_discord_ensure
from bots.services.places import place_channels_set, place_link
from tests.bots.discord_server import DiscordServer
from tests.chat.test_views_chat import bakery, llm  # noqa: F401  (fixtures)

APP_ID = "111222333444555666"
GUILD_ID = "290926798626357999"
ROOM_ID = "645027906669510667"
MEMBER_ID = "53908232506183680"
EVERYTHING = "2147483647"  # the docs example member's permissions: every bit, Manage Server included
SEND_ONLY = str(1 << 11)  # Send Messages only
_ids = itertools.count(786008729715212338)


@pytest.fixture
def discord(settings):
    server = DiscordServer()
    settings.DISCORD_API_BASE = server.url
    settings.BOTS_EDIT_INTERVAL_S = 0.0
    yield server
    server.stop()


@pytest.fixture
def signing_key() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def shared_bot(db, settings, signing_key, discord):
    settings.DISCORD_APPLICATION_ID = APP_ID
    settings.DISCORD_PUBLIC_KEY = signing_key.verify_key.encode().hex()
    settings.DISCORD_BOT_TOKEN = "shared-bot-token"
    settings.DISCORD_BOT_ENABLED = True
    return bot_shared_discord_ensure()


@pytest.fixture
def guild(shared_bot, alice, bakery):  # noqa: F811
    place = place_link(bot=shared_bot, external_id=GUILD_ID, account=alice, kind="guild", title="Bakers")
    place_channels_set(place=place, channel_ids=[bakery.pk])
    return place


def sign(body: bytes, key: SigningKey, timestamp: str | None = None) -> dict[str, str]:
    timestamp = timestamp or str(int(time.time()))
    signature = key.sign(timestamp.encode() + body).signature.hex()
    return {"HTTP_X_SIGNATURE_ED25519": signature, "HTTP_X_SIGNATURE_TIMESTAMP": timestamp}


def post_interaction(client, payload: dict, key: SigningKey, *, app_id: str = APP_ID, headers: dict | None = None):
    body = json.dumps(payload).encode()
    return client.post(
        f"/bots/discord/{app_id}/interactions/", data=body, content_type="application/json",
        **(sign(body, key) if headers is None else headers),
    )  # fmt: skip


def command(name: str, *, options: list[dict] | None = None, permissions: str = EVERYTHING,
            member_id: str = MEMBER_ID, guild_id: str | None = GUILD_ID, app_id: str = APP_ID) -> dict:  # fmt: skip
    payload = {
        "type": 2, "id": str(next(_ids)), "application_id": app_id, "token": f"tok-{next(_ids)}",
        "channel_id": ROOM_ID, "locale": "en-US",
        "member": {"user": {"id": member_id, "username": "Mason"}, "permissions": permissions},
        "data": {"type": 1, "name": name, "id": "771825006014889984", "options": options or []},
    }  # fmt: skip
    if guild_id:
        payload["guild_id"] = guild_id
    return payload


def ask(question: str, **kwargs) -> dict:
    options = [{"type": 3, "name": "question", "value": question}]
    if "channel" in kwargs:
        options.append({"type": 3, "name": "channel", "value": kwargs.pop("channel")})
    return command("ask", options=options, **kwargs)


def run_bots_queue() -> None:
    django_rq.get_worker("bots", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)
