"""Fans who arrive become users, walked in a real browser (issue 12, "Done when"): a newcomer goes
from the landing page to the demo persona, asks and signs up; a fan on a 390 px phone reaches the
anonymous limit on a creator's public page, signs up from the refusal and is back in the same chat
with the conversation kept, then finds it in My chats. Every page passes axe-core (no serious or
critical violation) and none is wider than the screen."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.browser.axe import axe_check, axe_source
from tests.users.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(400)]

PASSPHRASE = "a long enough passphrase 7"


@pytest.fixture(scope="module")
def axe_js():
    return axe_source()


@pytest.fixture
def demo_channel(db):
    from channels_app.models import Channel

    UserFactory(email="admin@yoppy.local", is_staff=True, is_superuser=True)
    call_command("load_demo_channels")
    channel = Channel.objects.get(is_demo=True)
    Channel.objects.filter(pk=channel.pk).update(is_public=True)
    channel.refresh_from_db()
    return channel


@pytest.fixture
def creator_channel(demo_channel):
    """The demo content as a creator's own public channel (not the demo)."""
    from channels_app.models import Channel

    creator = UserFactory(email="mira@example.com")
    Channel.objects.filter(pk=demo_channel.pk).update(owner=creator, is_demo=False, slug="mira-bakes")
    demo_channel.refresh_from_db()
    return demo_channel


def _ask(page, question: str) -> None:
    count = page.locator(".msg-assistant").count() + 1
    page.fill("#question", question)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_function(
        "n => { const a = document.querySelectorAll('.msg-assistant'); return a.length === n && a[n - 1].dataset.done === '1'; }",
        arg=count, timeout=90_000,
    )  # fmt: skip


def _over_the_limit(page, question: str) -> None:
    page.fill("#question", question)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_selector(".msg-refusal")


def _checked(page, axe_js: str, width: int) -> None:
    """axe-core clean and nothing wider than the viewport."""
    axe_check(page, axe_js)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url} is {scroll_width} px wide on a {width} px screen"


def _sign_up(page, email: str) -> None:
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSPHRASE)
    page.fill("input[name=password2]", PASSPHRASE)
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_newcomer_goes_from_the_landing_page_to_the_demo_persona_asks_and_signs_up(
    browser, live_server, demo_channel, axe_js, settings, width
):
    from chat.models import Conversation

    settings.ANON_QUESTIONS_PER_SESSION = 1
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 800 if width > 500 else 844}, is_mobile=width < 500
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/", timeout=120_000)  # the live server's first request imports every view
        _checked(page, axe_js, width)
        page.get_by_role("link", name=re.compile("Try the demo persona")).click()
        page.wait_for_url(re.compile(rf"/c/{demo_channel.slug}/$"))
        _checked(page, axe_js, width)

        _ask(page, "How do I know my sourdough starter is healthy?")
        _over_the_limit(page, "And how warm should the kitchen be?")
        _checked(page, axe_js, width)
        conversation = Conversation.objects.get()

        page.locator(".msg-refusal").get_by_role("link", name="Sign up free").click()
        page.wait_for_url(re.compile(r"/accounts/signup/"))
        _checked(page, axe_js, width)
        _sign_up(page, "newcomer@example.com")

        # Back in the same chat, the conversation now the new account's, and it goes on.
        page.wait_for_url(re.compile(rf"/c/{demo_channel.slug}/c/{conversation.pk}/$"))
        assert "How do I know my sourdough starter is healthy?" in page.inner_text("#message-list")
        _checked(page, axe_js, width)
        _ask(page, "And how warm should the kitchen be?")
        conversation.refresh_from_db()
        assert conversation.user.email == "newcomer@example.com"
        assert conversation.messages.filter(role="user").count() == 2

        # The new account's dashboard shows the demo persona too.
        page.goto("/dashboard/")
        assert demo_channel.display_name in page.inner_text("#demo-persona")
        _checked(page, axe_js, width)
    finally:
        context.close()


def test_a_fan_on_a_phone_reaches_the_limit_signs_up_and_is_back_in_the_same_chat(
    browser, live_server, creator_channel, axe_js, settings
):
    from chat.models import Conversation

    settings.ANON_QUESTIONS_PER_SESSION = 2
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto("/c/mira-bakes/", timeout=120_000)
        _checked(page, axe_js, 390)
        box = page.locator("#question").bounding_box()
        assert box and box["y"] + box["height"] <= 844, "the question box starts below the fold"

        _ask(page, "How do I know my sourdough starter is healthy?")
        _ask(page, "How much psyllium husk goes into gluten free bread?")
        _over_the_limit(page, "At what temperature should the butter block be?")
        _checked(page, axe_js, 390)
        conversation = Conversation.objects.get()

        page.locator(".msg-refusal").get_by_role("link", name="Sign up free").click()
        page.wait_for_url(re.compile(r"/accounts/signup/"))
        _checked(page, axe_js, 390)
        _sign_up(page, "fan@example.com")

        page.wait_for_url(re.compile(rf"/c/mira-bakes/c/{conversation.pk}/$"))
        history = page.inner_text("#message-list")
        assert "How do I know my sourdough starter is healthy?" in history
        assert "How much psyllium husk goes into gluten free bread?" in history
        _checked(page, axe_js, 390)
        _ask(page, "At what temperature should the butter block be?")  # now on the fan's own plan

        # My chats lists it and opens it again.
        page.goto("/chats/")
        _checked(page, axe_js, 390)
        link = page.get_by_role("link", name="How do I know my sourdough starter is healthy?")
        assert "Mira Bakes" in page.inner_text("#my-chats")
        link.click()
        page.wait_for_url(re.compile(rf"/c/mira-bakes/c/{conversation.pk}/$"))
        assert "At what temperature should the butter block be?" in page.inner_text("#message-list")

        # A smaller phone: still nothing scrolls sideways.
        page.set_viewport_size({"width": 360, "height": 740})
        for path in ("/chats/", f"/c/mira-bakes/c/{conversation.pk}/", "/dashboard/"):
            page.goto(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
    finally:
        context.close()
