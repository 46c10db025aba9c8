"""Who pays: /connect links a Telegram user once per code; linked users ask on their own plan,
unlinked ones on the shared bot's free allowance or a branded bot owner's plan under a daily cap;
every refusal says what to do, with the sign-up or upgrade link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from billing.models import Usage
from billing.selectors import period_start_for
from bots.models import Bot, LinkCode, PlatformName, PlatformUserLink
from bots.services.link_codes import link_code_create
from chat.models import Message
from tests.bots.telegram.bot_api_server import visible_text
from tests.bots.telegram.conftest import FAN, SECRET, callback, deliver, private_text
from tests.bots.telegram.test_conversations import QUESTION, choose

BRANDED_TOKEN = "555000222:AAbranded-bot-token-for-tests-only-99"


def last_text(bot_api) -> str:
    return visible_text(bot_api.calls_to("sendMessage")[-1].params["text"])[0]


def test_connect_links_the_telegram_user_once_and_a_used_code_is_refused(
    client, shared_bot, bot_api, bob, django_capture_on_commit_callbacks
):
    code, row = link_code_create(user=bob, platform=PlatformName.TELEGRAM)
    assert LinkCode.objects.get().code_sha256 != code.replace("-", "") and code.replace("-", "") not in str(row.__dict__)

    deliver(client, shared_bot, private_text(f"/connect {code.lower()}"), django_capture_on_commit_callbacks)
    assert "Linked to your Yoppy account (bob@example.com)" in last_text(bot_api)
    assert PlatformUserLink.objects.get(platform="telegram", external_user_id=str(FAN)).user == bob

    deliver(client, shared_bot, private_text(f"/connect {code}", user_id=2222222), django_capture_on_commit_callbacks)
    assert "already used" in last_text(bot_api)
    assert not PlatformUserLink.objects.filter(external_user_id="2222222").exists()


def test_an_expired_or_wrong_code_links_nobody(
    client, shared_bot, bot_api, bob, django_capture_on_commit_callbacks
):
    code, row = link_code_create(user=bob, platform=PlatformName.TELEGRAM)
    LinkCode.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    deliver(client, shared_bot, private_text(f"/connect {code}"), django_capture_on_commit_callbacks)
    assert "expired" in last_text(bot_api)
    deliver(client, shared_bot, private_text("/connect ABCD-EFGH"), django_capture_on_commit_callbacks)
    assert "isn't right" in last_text(bot_api)
    assert not PlatformUserLink.objects.exists()


def test_a_code_is_valid_ten_minutes_and_a_new_one_replaces_the_old(bob, settings):
    first, _ = link_code_create(user=bob, platform=PlatformName.TELEGRAM)
    second, row = link_code_create(user=bob, platform=PlatformName.TELEGRAM)
    assert dt.timedelta(minutes=9, seconds=59) < row.expires_at - row.created_at <= dt.timedelta(minutes=10)
    assert LinkCode.objects.filter(expires_at__gt=timezone.now()).count() == 1 and first != second


def test_connect_is_refused_in_a_group_and_after_too_many_wrong_codes(
    client, shared_bot, bot_api, bob, django_capture_on_commit_callbacks
):
    from tests.bots.telegram.conftest import group_text

    deliver(client, shared_bot, group_text("/connect@yoppy_bot ABCD-EFGH"), django_capture_on_commit_callbacks)
    assert "private chat" in last_text(bot_api)
    for _ in range(10):
        deliver(client, shared_bot, private_text("/connect WRONG-CODE"), django_capture_on_commit_callbacks)
    code, _ = link_code_create(user=bob, platform=PlatformName.TELEGRAM)
    deliver(client, shared_bot, private_text(f"/connect {code}"), django_capture_on_commit_callbacks)
    assert "Too many tries" in last_text(bot_api) and not PlatformUserLink.objects.exists()


def test_the_dashboards_deep_link_connects_through_start(client, shared_bot, bot_api, bob, django_capture_on_commit_callbacks):
    client.force_login(bob)
    page = client.post("/dashboard/telegram/code/").content.decode()
    code = page.split("https://t.me/yoppy_bot?start=", 1)[1].split('"', 1)[0]
    deliver(client, shared_bot, private_text(f"/start {code}"), django_capture_on_commit_callbacks)
    assert PlatformUserLink.objects.get().user == bob


def test_an_unlinked_user_of_the_shared_bot_gets_the_free_allowance_then_a_sign_up_link(
    client, shared_bot, bot_api, bakery, settings, django_capture_on_commit_callbacks
):
    settings.ANON_QUESTIONS_PER_SESSION = 1
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, private_text(QUESTION), django_capture_on_commit_callbacks)
    deliver(client, shared_bot, private_text("And water?"), django_capture_on_commit_callbacks)
    refusal = last_text(bot_api)
    assert "used today's free questions" in refusal and "https://yoppy.example/accounts/signup/" in refusal
    assert Message.objects.filter(role=Message.Role.USER).count() == 1
    assert not Usage.objects.filter(queries_used__gt=0).exists()  # nobody's plan paid


def test_a_linked_user_asks_on_their_own_plan_and_is_offered_an_upgrade_when_it_is_used_up(
    client, shared_bot, bot_api, bakery, charlie, django_capture_on_commit_callbacks
):
    PlatformUserLink.objects.create(platform="telegram", external_user_id=str(FAN), user=charlie)
    choose(client, shared_bot, bakery, django_capture_on_commit_callbacks)
    deliver(client, shared_bot, private_text(QUESTION), django_capture_on_commit_callbacks)
    assert Usage.objects.get(user=charlie).queries_used == 1
    Usage.objects.filter(user=charlie).update(queries_used=20)
    deliver(client, shared_bot, private_text("And water?"), django_capture_on_commit_callbacks)
    refusal = last_text(bot_api)
    assert "Upgrade for more" in refusal and "https://yoppy.example/billing/" in refusal


@pytest.fixture
def branded(db, bot_api, bakery):
    bot_api.add_bot(BRANDED_TOKEN, username="mira_bakes_bot")
    bot = Bot(platform=PlatformName.TELEGRAM, external_id="555000222", owner=bakery.owner, channel=bakery,
              username="mira_bakes_bot", name="Mira Bakes")  # fmt: skip
    bot.set_token(BRANDED_TOKEN)
    bot.set_webhook_secret(SECRET)
    bot.save()
    return bot


def test_an_unlinked_user_of_a_branded_bot_asks_on_the_owners_plan_under_the_daily_cap(
    client, branded, bot_api, bakery, settings, django_capture_on_commit_callbacks
):
    settings.TELEGRAM_DAILY_CAP_PER_USER = 2
    for text in (QUESTION, "And water?", "And salt?"):
        deliver(client, branded, private_text(text), django_capture_on_commit_callbacks)
    assert Usage.objects.get(user=bakery.owner).queries_used == 2
    refusal = last_text(bot_api)
    assert "2 questions a member may ask here today" in refusal and "accounts/signup/" in refusal
    assert {call.token for call in bot_api.calls} == {BRANDED_TOKEN}  # the branded bot speaks for itself


def test_when_the_owners_plan_is_used_up_the_branded_bots_users_are_told_to_try_later(
    client, branded, bot_api, bakery, django_capture_on_commit_callbacks
):
    Usage.objects.create(user=bakery.owner, period_start=period_start_for(), queries_used=20)
    deliver(client, branded, private_text(QUESTION), django_capture_on_commit_callbacks)
    refusal = last_text(bot_api)
    assert "answered all the questions its plan allows" in refusal and "/billing/" not in refusal
    assert not Message.objects.exists()


def test_a_branded_bot_answers_as_its_channel_without_a_choice(
    client, branded, bot_api, bakery, django_capture_on_commit_callbacks
):
    deliver(client, branded, private_text("/channel"), django_capture_on_commit_callbacks)
    assert "answers as the AI persona of Mira Bakes" in last_text(bot_api)
    deliver(client, branded, callback("ch:999999", chat_id=FAN), django_capture_on_commit_callbacks)
    assert bot_api.calls_to("answerCallbackQuery")[-1].params["text"] == "That persona isn't available."
    deliver(client, branded, private_text(QUESTION), django_capture_on_commit_callbacks)
    assert "AI persona of Mira Bakes" in last_text(bot_api)
