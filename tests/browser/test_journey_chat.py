"""Fans chat with the demo persona: tokens stream in, citations play the cited second."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.users.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


@pytest.fixture
def demo_channel(db):
    from channels_app.models import Channel

    owner = UserFactory(email="admin@yoppy.local", is_staff=True, is_superuser=True)
    call_command("load_demo_channels")
    channel = Channel.objects.get(is_demo=True)
    assert channel.owner == owner
    return channel


def _ask_and_check(page, question: str) -> None:
    count = page.locator(".msg-assistant").count() + 1
    page.fill("#question", question)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_function(
        "n => { const a = document.querySelectorAll('.msg-assistant'); return a.length === n && a[n - 1].dataset.done === '1'; }",
        arg=count, timeout=60_000,
    )
    answer = page.locator(".msg-assistant").last
    assert int(answer.get_attribute("data-tokens")) > 3  # the answer arrived piece by piece
    assert "Offline answer" in answer.inner_text()
    assert answer.locator(".citations li").count() >= 1

    cite = answer.locator("button.cite").first
    video, start = cite.get_attribute("data-video"), cite.get_attribute("data-start")
    cite.click()
    page.wait_for_selector("#player:not([hidden])")
    assert page.get_attribute("#player-frame", "src") == f"https://www.youtube-nocookie.com/embed/{video}?start={start}&autoplay=1"


def test_the_creator_asks_the_demo_persona_and_plays_a_cited_moment(page, demo_channel):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "admin@yoppy.local")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.goto(f"/dashboard/channels/{demo_channel.pk}/")
    page.get_by_role("link", name="Chat", exact=True).click()  # not "My chats"

    assert "AI persona of Mira Bakes (demo)" in page.inner_text(".persona-label")
    _ask_and_check(page, "At what temperature should the butter block be for lamination?")


def test_an_anonymous_fan_chats_on_the_public_page_until_the_free_limit(page, demo_channel, settings):
    settings.ANON_QUESTIONS_PER_SESSION = 2
    page.goto(f"/c/{demo_channel.slug}/")
    assert "Chat with the AI persona of" in page.title()

    _ask_and_check(page, "How do I know my sourdough starter is healthy?")
    _ask_and_check(page, "How much psyllium husk goes into gluten free bread?")

    page.fill("#question", "One more question?")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_selector(".msg-refusal")
    assert "Sign up free" in page.inner_text(".msg-refusal")
