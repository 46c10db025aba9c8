"""The Discord interactions endpoint: signatures, PING, replays, autocomplete, /help, /channel and
the message command, answered at once; questions queued on the bots queue and nothing else."""

from __future__ import annotations

import json
import time
from pathlib import Path

import django_rq
import pytest
from nacl.signing import SigningKey

from bots.models import Bot, Place, ProcessedEvent, RoomDefault
from bots.services.places import place_channels_set
from tests.bots.conftest import APP_ID, GUILD_ID, ROOM_ID, SEND_ONLY, ask, command, post_interaction, sign
from tests.channels_app.factories import ChannelFactory

DOCS = Path("/work/shared/realdata/webhooks/discord/discord_api_docs_examples")


def queued() -> int:
    return django_rq.get_queue("bots").count


def docs_example(name: str) -> dict:
    path = DOCS / name
    if not path.exists():
        pytest.skip(f"real Discord payloads not present ({path})")
    return json.loads(path.read_text())


# --- signatures -----------------------------------------------------------------------------


def test_it_answers_pong_to_a_signed_ping(client, shared_bot, signing_key):
    response = post_interaction(client, {"type": 1, "id": "1", "application_id": APP_ID}, signing_key)
    assert response.status_code == 200 and response.json() == {"type": 1}


@pytest.mark.parametrize(
    "tamper",
    ["no headers", "wrong key", "body changed", "signature garbage", "stale timestamp"],
)
def test_it_refuses_a_bad_signature_with_401_and_queues_nothing(
    client, guild, signing_key, tamper, django_capture_on_commit_callbacks
):
    payload = ask("How much flour goes into a new starter?")
    body = json.dumps(payload).encode()
    headers = {
        "no headers": {},
        "wrong key": sign(body, SigningKey.generate()),
        "body changed": sign(body.replace(b"flour", b"sugar"), signing_key),
        "signature garbage": {"HTTP_X_SIGNATURE_ED25519": "zz", "HTTP_X_SIGNATURE_TIMESTAMP": str(int(time.time()))},
        "stale timestamp": sign(body, signing_key, timestamp=str(int(time.time()) - 3600)),
    }[tamper]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/bots/discord/{APP_ID}/interactions/", data=body, content_type="application/json", **headers
        )
    assert response.status_code == 401
    assert queued() == 0 and not ProcessedEvent.objects.exists()


def test_it_refuses_an_application_it_does_not_know(client, shared_bot, signing_key):
    response = post_interaction(client, {"type": 1, "id": "1"}, signing_key, app_id="999")
    assert response.status_code == 401


def test_a_revoked_bot_refuses_everything(client, shared_bot, signing_key):
    Bot.objects.filter(pk=shared_bot.pk).update(status=Bot.Status.REVOKED)
    assert post_interaction(client, {"type": 1, "id": "1"}, signing_key).status_code == 401


def test_it_verifies_with_the_bots_own_public_key_not_the_shared_one(client, shared_bot, signing_key, alice, bakery):
    branded_key = SigningKey.generate()
    Bot.objects.create(platform="discord", external_id="777", owner=alice, channel=bakery,
                       public_key=branded_key.verify_key.encode().hex())  # fmt: skip
    assert post_interaction(client, {"type": 1, "id": "1"}, signing_key, app_id="777").status_code == 401
    assert post_interaction(client, {"type": 1, "id": "1"}, branded_key, app_id="777").json() == {"type": 1}


# --- questions --------------------------------------------------------------------------------


def test_a_question_is_deferred_at_once_and_queued_once(client, guild, signing_key, django_capture_on_commit_callbacks):
    payload = ask("How much flour goes into a new starter?")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_interaction(client, payload, signing_key)
    assert first.status_code == 200 and first.json() == {"type": 5}
    assert queued() == 1
    job = django_rq.get_queue("bots").jobs[0]
    platform, queued_ask = job.args
    assert platform == "discord" and queued_ask["question"] == "How much flour goes into a new starter?"
    assert (queued_ask["place_id"], queued_ask["room_id"], queued_ask["user_id"]) == (guild.pk, ROOM_ID, "53908232506183680")


def test_a_replayed_interaction_is_ignored(client, guild, signing_key, django_capture_on_commit_callbacks):
    payload = ask("How much flour goes into a new starter?")
    with django_capture_on_commit_callbacks(execute=True):
        post_interaction(client, payload, signing_key)
        replay = post_interaction(client, payload, signing_key)
    assert replay.status_code == 200 and replay.json()["data"]["flags"] == 64
    assert queued() == 1


def test_an_empty_question_gets_a_short_ephemeral_message_and_no_job(client, guild, signing_key):
    response = post_interaction(client, ask("   "), signing_key).json()
    assert response["type"] == 4 and response["data"]["flags"] == 64 and "no text" in response["data"]["content"]
    assert queued() == 0


def test_a_server_nobody_linked_is_told_how_to_link_it(client, shared_bot, signing_key):
    response = post_interaction(client, ask("hello?", guild_id="42"), signing_key).json()
    assert response["data"]["flags"] == 64 and "/dashboard/discord/" in response["data"]["content"]
    assert queued() == 0


def test_a_persona_not_linked_to_this_server_is_refused(client, guild, signing_key, bob):
    elsewhere = ChannelFactory(owner=bob, title="Bob Builds", is_public=True)
    response = post_interaction(client, ask("hello?", channel=str(elsewhere.pk)), signing_key).json()
    assert response["data"]["flags"] == 64 and "isn't available" in response["data"]["content"]
    assert queued() == 0


def test_the_message_command_asks_someone_elses_message(
    client, signing_key, shared_bot, alice, bakery, django_capture_on_commit_callbacks
):
    from bots.services.places import place_link

    docs = docs_example("application-commands__Message_Command_Interaction.json")
    place = place_link(bot=shared_bot, external_id=docs["guild_id"], account=alice, kind="guild")
    place_channels_set(place=place, channel_ids=[bakery.pk])
    docs["application_id"] = APP_ID
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(client, docs, signing_key)
    assert response.json() == {"type": 5}
    ask_args = django_rq.get_queue("bots").jobs[0].args[1]
    assert ask_args["question"] == "some message"  # the target message's content, not the asker's
    assert ask_args["user_id"] == "167348773423415296" and ask_args["place_id"] == place.pk


def test_the_docs_slash_command_for_a_command_we_do_not_have_gets_a_polite_answer(client, signing_key, shared_bot, alice):
    from bots.services.places import place_link

    docs = docs_example("application-commands__Slash_Command_Interaction.json")
    place_link(bot=shared_bot, external_id=docs["guild_id"], account=alice)
    response = post_interaction(client, docs, signing_key).json()
    assert response["type"] == 4 and "/help" in response["data"]["content"]
    assert queued() == 0


# --- autocomplete, /help, /channel -----------------------------------------------------------------


def test_autocomplete_offers_at_most_25_of_this_servers_channels_matching_what_was_typed(
    client, guild, signing_key, alice, bob
):
    mine = [ChannelFactory(owner=alice, title=f"Bread {n:02d}") for n in range(30)]
    ChannelFactory(owner=alice, title="Bread elsewhere")  # alice's, but not linked to this server
    ChannelFactory(owner=bob, title="Bread of Bob", is_public=True)
    place_channels_set(place=guild, channel_ids=[c.pk for c in mine] + [guild.channels.first().pk])
    payload = command("ask", options=[{"type": 3, "name": "question", "value": "hi"},
                                      {"type": 3, "name": "channel", "value": "bread", "focused": True}])  # fmt: skip
    payload["type"] = 4

    response = post_interaction(client, payload, signing_key).json()

    assert response["type"] == 8
    names = [choice["name"] for choice in response["data"]["choices"]]
    assert len(names) == 25 and all(name.startswith("Bread ") and name[6:].isdigit() for name in names)
    narrowed = dict(payload, data={**payload["data"], "options": [{"type": 3, "name": "channel", "value": "mira", "focused": True}]})
    only = post_interaction(client, narrowed, signing_key).json()["data"]["choices"]
    assert only == [{"name": "Mira Bakes", "value": str(guild.channels.get(title="Mira Bakes").pk)}]


def test_the_docs_autocomplete_outside_a_server_gets_no_choices(client, signing_key, shared_bot):
    docs = docs_example("application-commands__Autocomplete.json")
    docs.setdefault("id", "816437322781949999")
    response = post_interaction(client, docs, signing_key).json()
    assert response == {"type": 8, "data": {"choices": []}}


def test_help_explains_the_persona_is_an_ai(client, guild, signing_key):
    response = post_interaction(client, command("help"), signing_key).json()
    assert response["data"]["flags"] == 64 and "AI persona" in response["data"]["content"]


def test_only_server_managers_can_set_the_channels_persona(client, guild, signing_key, bakery):
    options = [{"type": 3, "name": "persona", "value": str(bakery.pk)}]
    refused = post_interaction(client, command("channel", options=options, permissions=SEND_ONLY), signing_key).json()
    assert "Only server managers" in refused["data"]["content"] and not RoomDefault.objects.exists()

    options.append({"type": 5, "name": "new_videos", "value": True})
    done = post_interaction(client, command("channel", options=options), signing_key).json()

    assert "now asks Mira Bakes" in done["data"]["content"] and done["data"]["flags"] == 64
    assert RoomDefault.objects.get(place=guild, room_id=ROOM_ID).channel == bakery
    guild.refresh_from_db()
    assert guild.new_video_posts and guild.post_room_id == ROOM_ID


def test_a_branded_bot_answers_for_its_channel_in_any_server_it_was_added_to(
    client, alice, bakery, django_capture_on_commit_callbacks
):
    key = SigningKey.generate()
    bot = Bot.objects.create(platform="discord", external_id="777", owner=alice, channel=bakery,
                             public_key=key.verify_key.encode().hex())  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = post_interaction(client, ask("starter?", app_id="777", guild_id="55"), key, app_id="777")
    assert response.json() == {"type": 5}
    place = Place.objects.get(bot=bot, external_id="55")
    assert place.account == alice and queued() == 1
    assert GUILD_ID != "55"
