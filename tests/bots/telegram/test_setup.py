"""Setting bots up: a creator's branded bot from the dashboard (getMe, encrypted token, webhook
with a random secret) with clear errors, the shared bot from the environment, revoking."""

from __future__ import annotations

import html

import pytest
from django.core.management import call_command
from django.db import connection

from bots.models import Bot, Place
from bots.services.telegram import telegram_shared_bot_setup
from tests.bots.telegram.conftest import SHARED_TOKEN, post, private_text

TOKEN = "555000222:AAbranded-bot-token-for-tests-only-99"


def setup_post(client, channel, token: str = TOKEN):
    return client.post("/dashboard/telegram/bots/", {"channel": channel.pk, "token": token})


@pytest.fixture
def branded_api(bot_api):
    bot_api.add_bot(TOKEN, username="mira_bakes_bot", first_name="Mira Bakes")
    return bot_api


def test_a_branded_bot_is_checked_stored_encrypted_and_its_webhook_set_with_a_random_secret(
    client, alice, bakery, branded_api, settings
):
    client.force_login(alice)
    response = setup_post(client, bakery)
    assert response.status_code == 302

    bot = Bot.objects.get(platform="telegram", external_id="555000222")
    assert (bot.owner, bot.channel, bot.username, bot.is_shared) == (alice, bakery, "mira_bakes_bot", False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT token_encrypted, webhook_secret_encrypted FROM bots_bot WHERE id = %s", [bot.pk])
        stored_token, stored_secret = cursor.fetchone()
    assert TOKEN not in stored_token and "AAbranded" not in stored_token and bot.token() == TOKEN
    hook = branded_api.calls_to("setWebhook")[0]
    assert hook.token == TOKEN and hook.params["url"] == "https://yoppy.example/bots/telegram/555000222/webhook/"
    secret = hook.params["secret_token"]
    assert len(secret) >= 32 and secret not in stored_secret and bot.webhook_secret() == secret
    assert set(hook.params["allowed_updates"]) >= {"message", "callback_query", "inline_query"}

    page = client.get("/dashboard/telegram/").content.decode()
    assert "@mira_bakes_bot" in page and TOKEN not in page and "AAbranded" not in page
    # Telegram's calls with that secret are accepted.
    assert post(client, bot, private_text("/help"), secret=secret).status_code == 200


@pytest.mark.parametrize(
    ("token", "prepare", "message"),
    [
        ("not-a-token", None, "doesn't look like a bot token"),
        ("555000333:AAunknown-token-botfather-never-gave-xyz", None, "Telegram rejected this token"),
        (TOKEN, "webhook-fails", "Telegram refused the webhook: Bad Request: bad webhook"),
        (SHARED_TOKEN, None, "That is Yoppy's own bot"),
    ],
)
def test_branded_bot_setup_errors_are_clear_and_save_nothing_usable(
    client, alice, bakery, branded_api, token, prepare, message
):
    if prepare == "webhook-fails":
        branded_api.fail("setWebhook", error_code=400, description="Bad Request: bad webhook: Failed to resolve host")
    client.force_login(alice)
    response = setup_post(client, bakery, token=token)
    assert response.status_code == 400 and message in html.unescape(response.content.decode())
    assert not Bot.objects.filter(webhook_secret_encrypted__gt="").exists()


def test_a_creator_cannot_bind_a_bot_to_someone_elses_channel(client, bob, bakery, branded_api):
    client.force_login(bob)
    response = setup_post(client, bakery)
    assert response.status_code == 400 and not Bot.objects.exists() and not branded_api.calls


def test_a_bot_set_up_by_another_account_is_refused(client, alice, bob, bakery, branded_api):
    from tests.channels_app.factories import ChannelFactory

    client.force_login(alice)
    setup_post(client, bakery)
    client.force_login(bob)
    response = setup_post(client, ChannelFactory(owner=bob))
    assert response.status_code == 400 and "another account" in html.unescape(response.content.decode())
    assert Bot.objects.get().owner == alice


def test_revoking_stops_the_webhook_and_erases_the_token(client, alice, bakery, branded_api):
    client.force_login(alice)
    setup_post(client, bakery)
    bot = Bot.objects.get()
    secret = branded_api.calls_to("setWebhook")[0].params["secret_token"]
    assert client.post(f"/dashboard/telegram/bots/{bot.pk}/revoke/").status_code == 302
    bot.refresh_from_db()
    assert bot.status == Bot.Status.REVOKED and bot.token_encrypted == "" and bot.webhook_secret_encrypted == ""
    assert branded_api.methods()[-1] == "deleteWebhook"
    assert post(client, bot, private_text("hi"), secret=secret).status_code == 401


def test_the_staff_admin_lists_and_revokes_telegram_bots(client, staff, alice, bakery, branded_api):
    client.force_login(alice)
    setup_post(client, bakery)
    bot = Bot.objects.get()
    client.force_login(staff)
    assert "mira_bakes_bot" in client.get("/admin/bots/bot/?q=mira").content.decode()
    client.post("/admin/bots/bot/", {"action": "revoke", "_selected_action": [bot.pk]})
    bot.refresh_from_db()
    assert bot.status == Bot.Status.REVOKED and branded_api.methods()[-1] == "deleteWebhook"
    assert client.get("/admin/bots/linkcode/").status_code == 200


def test_other_creators_cannot_touch_alices_bot_or_chats(client, alice, charlie, bakery, branded_api):
    client.force_login(alice)
    setup_post(client, bakery)
    bot = Bot.objects.get()
    place = Place.objects.create(bot=bot, external_id="-100777", kind="supergroup", title="Bakers", account=alice)
    client.force_login(charlie)
    assert client.post(f"/dashboard/telegram/bots/{bot.pk}/revoke/").status_code == 404
    assert client.post(f"/dashboard/telegram/chats/{place.pk}/", {"member_daily_cap": "0"}).status_code == 404
    client.force_login(alice)
    assert client.post(f"/dashboard/telegram/chats/{place.pk}/", {"member_daily_cap": "lots"}).status_code == 400
    client.post(f"/dashboard/telegram/chats/{place.pk}/", {"member_daily_cap": "5", "new_video_posts": "on"})
    place.refresh_from_db()
    assert (place.member_daily_cap, place.new_video_posts, place.post_room_id) == (5, True, "-100777")


def test_the_shared_bot_is_set_up_from_the_environment(bot_api, db):
    call_command("telegram_webhook")
    bot = Bot.objects.get(is_shared=True)
    assert (bot.external_id, bot.username) == ("777000111", "yoppy_bot")
    assert bot.webhook_secret() == bot_api.calls_to("setWebhook")[0].params["secret_token"]
    telegram_shared_bot_setup()  # again: a new secret, the same row
    assert Bot.objects.count() == 1 and bot_api.calls_to("setWebhook")[1].params["secret_token"] != bot.webhook_secret()


def test_the_telegram_page_is_for_signed_in_creators_only(client, db):
    for url in ("/dashboard/telegram/", "/dashboard/telegram/code/"):
        response = client.get(url) if url.endswith("telegram/") else client.post(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
