"""Setting Discord up: branded bots (token checked, endpoint URL set, commands registered,
profile synced, token encrypted at rest), their errors, the install link, the dashboard page,
the admin and the command registration command; all against the local Discord API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from bots.models import Bot, Place
from bots.services.discord_setup import SetupError, discord_bot_profile_sync, discord_branded_bot_setup
from channels_app.models import Channel
from channels_app.signals import channel_profile_changed
from tests.bots.conftest import APP_ID, GUILD_ID, run_bots_queue

DATA = Path(__file__).parent / "data"
BRANDED_ID = "888777666555444333"
TOKEN = "MTAxODg4Nzc3NjY2NTU1NDQ0MzMz.GhTq2x.not-a-real-token-but-shaped-like-one"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def application(discord, signing_key):
    app = json.loads((DATA / "discord_application.json").read_text())
    app["verify_key"] = signing_key.verify_key.encode().hex()
    discord.answer("GET", "/applications/@me", (200, app))
    return app


@pytest.fixture
def avatar(discord, bakery):
    url = discord.serve_file("/yt3/avatar.png", PNG, "image/png")
    Channel.objects.filter(pk=bakery.pk).update(avatar_url=url)
    bakery.refresh_from_db()
    return url


def setup(alice, bakery, **kwargs):
    return discord_branded_bot_setup(
        owner=alice, channel=bakery, application_id=kwargs.pop("application_id", BRANDED_ID),
        token=kwargs.pop("token", TOKEN), **kwargs,
    )  # fmt: skip


def test_a_branded_bot_is_checked_pointed_at_its_endpoint_given_commands_and_the_channels_face(
    alice, bakery, discord, application, avatar, settings
):
    bot = setup(alice, bakery)

    [checked] = discord.calls_to("GET", "/applications/@me")
    assert checked.headers["authorization"] == f"Bot {TOKEN}"
    [endpoint] = discord.calls_to("PATCH", "/applications/@me")
    assert endpoint.json() == {"interactions_endpoint_url": f"{settings.SITE_URL}/bots/discord/{BRANDED_ID}/interactions/"}
    [registered] = discord.calls_to("PUT", f"/applications/{BRANDED_ID}/commands")
    names = {(c["type"], c["name"]) for c in registered.json()}
    assert names == {(1, "ask"), (1, "channel"), (1, "help"), (3, "Ask Mira Bakes")}
    [profile] = discord.calls_to("PATCH", "/users/@me")
    assert profile.json()["username"] == "Mira Bakes"
    assert profile.json()["avatar"].startswith("data:image/png;base64,")
    assert (bot.public_key, bot.channel, bot.owner, bot.is_active) == (application["verify_key"], bakery, alice, True)


def test_the_bot_token_is_encrypted_at_rest_and_never_shown_again(client, alice, bakery, discord, application):
    bot = setup(alice, bakery)
    with connection.cursor() as cursor:
        # The table name is our own model's, not input.
        cursor.execute(f"SELECT token_encrypted FROM {Bot._meta.db_table} WHERE id = %s", [bot.pk])  # noqa: S608
        stored = cursor.fetchone()[0]
    assert TOKEN not in stored and TOKEN.split(".")[0] not in stored
    assert Bot.objects.get(pk=bot.pk).token() == TOKEN
    client.force_login(alice)
    page = client.get(reverse("bots:discord")).content.decode()
    assert "token saved (hidden)" in page and TOKEN not in page and stored not in page


def test_a_new_token_replaces_the_old_one(alice, bakery, discord, application):
    bot = setup(alice, bakery)
    setup(alice, bakery, token=TOKEN + "-new")
    assert Bot.objects.count() == 1 and Bot.objects.get(pk=bot.pk).token() == TOKEN + "-new"


@pytest.mark.parametrize(
    ("status", "says"),
    [(401, "Discord rejected this bot token"), (404, "found no application"), (500, "could not be reached")],
)
def test_a_token_discord_does_not_accept_is_a_clear_error_and_nothing_is_kept(alice, bakery, discord, status, says):
    discord.answer("GET", "/applications/@me", (status, {"message": "401: Unauthorized", "code": 0}))
    with pytest.raises(SetupError, match=says):
        setup(alice, bakery)
    assert not Bot.objects.exists()


def test_a_token_of_another_application_or_a_wrong_public_key_is_refused(alice, bakery, discord, application):
    with pytest.raises(SetupError, match="belongs to another application"):
        setup(alice, bakery, application_id="123")
    with pytest.raises(SetupError, match="public key doesn't match"):
        setup(alice, bakery, public_key="ab" * 32)
    assert not Bot.objects.exists()


def test_missing_permissions_and_an_unverifiable_endpoint_are_clear_errors(alice, bakery, discord, application):
    discord.answer("PATCH", "/applications/@me", (403, {"message": "Missing Permissions", "code": 50013}))
    with pytest.raises(SetupError, match="lacks the permission"):
        setup(alice, bakery)
    invalid = json.loads((DATA / "discord_invalid_endpoint.json").read_text())
    discord.answer("PATCH", "/applications/@me", (400, invalid))
    with pytest.raises(SetupError, match="could not be verified"):
        setup(alice, bakery)
    assert not Bot.objects.exists()


def test_the_setup_form_shows_discords_refusal_to_the_creator(client, alice, bakery, discord):
    discord.answer("GET", "/applications/@me", (401, {"message": "401: Unauthorized", "code": 0}))
    client.force_login(alice)
    response = client.post(reverse("bots:discord-branded"),
                           {"channel": bakery.pk, "application_id": BRANDED_ID, "token": TOKEN})  # fmt: skip
    assert response.status_code == 400
    assert "Discord rejected this bot token" in response.content.decode() and TOKEN not in response.content.decode()


def test_a_creator_cannot_set_up_a_bot_for_someone_elses_channel(client, bob, bakery, discord, application):
    client.force_login(bob)
    response = client.post(reverse("bots:discord-branded"),
                           {"channel": bakery.pk, "application_id": BRANDED_ID, "token": TOKEN})  # fmt: skip
    assert response.status_code == 400 and not Bot.objects.exists() and discord.calls == []


def test_the_profile_follows_a_sync_that_changes_the_channel_and_nothing_is_sent_otherwise(
    alice, bakery, discord, application, avatar, django_capture_on_commit_callbacks
):
    bot = setup(alice, bakery)
    assert discord_bot_profile_sync(bot=Bot.objects.select_related("channel").get(pk=bot.pk)) is False
    assert len(discord.calls_to("PATCH", "/users/@me")) == 1

    Channel.objects.filter(pk=bakery.pk).update(title="Mira Bakes Bread")
    bakery.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        channel_profile_changed.send(sender=Channel, channel=bakery)
    run_bots_queue()

    second = discord.calls_to("PATCH", "/users/@me")[-1].json()
    assert second == {"username": "Mira Bakes Bread"}  # the avatar did not change: not sent again
    assert Bot.objects.get(pk=bot.pk).name == "Mira Bakes Bread"


# --- the shared bot's install link ----------------------------------------------------------------


def test_the_install_link_links_the_server_discord_names_to_the_creator(client, alice, shared_bot, discord, settings):
    settings.DISCORD_BOT_CLIENT_SECRET = "client-secret"
    discord.answer("POST", "/oauth2/token", (200, {"access_token": "x", "token_type": "Bearer",
                                                   "guild": {"id": GUILD_ID, "name": "Bakers"}}))  # fmt: skip
    client.force_login(alice)
    link = client.get(reverse("bots:discord-install"))["Location"]
    assert "scope=bot+applications.commands" in link and f"client_id={APP_ID}" in link
    state = link.split("state=")[1].split("&")[0]

    forged = client.get(reverse("bots:discord-installed"), {"code": "c0de", "state": "someone-elses"})
    assert forged.status_code == 302 and not Place.objects.exists() and discord.calls == []

    link = client.get(reverse("bots:discord-install"))["Location"]
    state = link.split("state=")[1].split("&")[0]
    client.get(reverse("bots:discord-installed"), {"code": "c0de", "state": state, "guild_id": "ignored"})

    place = Place.objects.get()
    assert (place.external_id, place.title, place.account, place.bot) == (GUILD_ID, "Bakers", alice, shared_bot)
    [exchange] = discord.calls_to("POST", "/oauth2/token")
    assert b"code=c0de" in exchange.body and b"client_secret=client-secret" in exchange.body
    again = client.get(reverse("bots:discord-installed"), {"code": "c0de", "state": state})
    assert again.status_code == 302 and len(discord.calls_to("POST", "/oauth2/token")) == 1  # state is single use


def test_a_creator_chooses_only_their_own_channels_for_a_server_and_others_get_404(
    client, alice, bob, charlie, guild, bakery
):
    from tests.channels_app.factories import ChannelFactory

    theirs = ChannelFactory(owner=bob, title="Bob Builds", is_public=True)
    mine = ChannelFactory(owner=alice, title="Second")
    form = {f"place-{guild.pk}-channels": [mine.pk, theirs.pk], f"place-{guild.pk}-member_daily_cap": "5"}
    client.force_login(charlie)
    assert client.post(reverse("bots:discord-place", args=[guild.pk]), form).status_code == 404

    client.force_login(alice)
    client.post(reverse("bots:discord-place", args=[guild.pk]), {**form, f"place-{guild.pk}-channels": [mine.pk]})
    guild.refresh_from_db()
    assert list(guild.channels.all()) == [mine] and guild.member_daily_cap == 5
    client.post(reverse("bots:discord-place", args=[guild.pk]), form)
    assert list(guild.channels.all()) == [mine]  # bob's channel is not a valid choice


def test_the_discord_page_lists_servers_with_their_last_activity(client, alice, guild):
    client.force_login(alice)
    page = client.get(reverse("bots:discord")).content.decode()
    assert "Bakers" in page and "last activity never" in page and "Add to Discord" in page


# --- operators ---------------------------------------------------------------------------------------


def test_staff_find_bots_and_servers_and_revoke_a_bot(client, staff, alice, bakery, discord, application, guild):
    bot = setup(alice, bakery)
    client.force_login(staff)
    assert "Mira" in client.get(reverse("admin:bots_bot_changelist"), {"q": "Mira"}).content.decode()
    assert "Bakers" in client.get(reverse("admin:bots_place_changelist"), {"q": "Bakers"}).content.decode()
    page = client.get(reverse("admin:bots_bot_change", args=[bot.pk])).content.decode()
    assert TOKEN not in page and bot.token_encrypted not in page

    client.post(reverse("admin:bots_bot_changelist"), {"action": "revoke", "_selected_action": [bot.pk]})

    bot.refresh_from_db()
    assert bot.status == Bot.Status.REVOKED and bot.token_encrypted == ""


def test_the_management_command_registers_global_and_guild_commands(shared_bot, discord):
    call_command("discord_commands")
    call_command("discord_commands", "--guild", GUILD_ID)
    [global_put] = discord.calls_to("PUT", f"/applications/{APP_ID}/commands")
    [guild_put] = discord.calls_to("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert global_put.headers["authorization"] == "Bot shared-bot-token"
    assert global_put.json() == guild_put.json()
    assert {c["name"] for c in global_put.json()} == {"ask", "channel", "help", "Ask the persona"}
