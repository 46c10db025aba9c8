# ruff: noqa: F811 - the fixtures imported from tests.chat.test_views_chat are redefined as arguments by design
"""Issue 12, "a chat that behaves like the chats people know", walked in chromium on a desktop
and a 390 px phone: Enter sends and Shift+Enter breaks the line, the conversation gets its own URL
that a reload opens, regenerated answers stay reachable, a blank question is refused inside the
chat (with django-htmx's DEBUG handler on the page), deleting asks first, a slow answer streams as
formatted text behind a typing indicator and stops on Stop keeping what was said, and the live
region announces each answer once. axe-core checks each new state.

The channel's chunks are stored straight from caption segments (tests/chat/test_views_chat.py's
`bakery`); the LLM is the local OpenAI-compatible server (`llm`) where a slow answer is needed."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from chat.models import Conversation, Message
from tests.browser.axe import axe_check
from tests.chat.test_views_chat import bakery, llm  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

DONE = """() => { const a = [...document.querySelectorAll('.msg-assistant')].filter(e => !e.hidden);
  return a.length > 0 && a[a.length - 1].dataset.done === '1'; }"""

# Records, from before the question is sent, whether the typing indicator showed and every text
# state of the chat (to prove no raw "**" or "> " flashed while streaming).
OBSERVE = """() => {
  window.__typing = false; window.__texts = [];
  const list = document.getElementById('message-list');
  new MutationObserver(() => {
    if (list.querySelector('.typing')) window.__typing = true;
    const streaming = list.querySelector('.msg-assistant.streaming .answer-body');
    if (streaming) window.__texts.push(streaming.textContent);
  }).observe(list, {childList: true, subtree: true, characterData: true});
}"""


def _page(browser, live_server, viewport: str):
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def _fits(page, viewport: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORTS[viewport]["width"], f"{page.url} is {width} px wide"


def _question_in_view(page, viewport: str) -> None:
    box = page.locator("#question").bounding_box()
    assert box and box["y"] + box["height"] <= VIEWPORTS[viewport]["height"], box


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_fan_chats_reloads_regenerates_is_refused_in_the_chat_and_deletes(browser, live_server, bakery, viewport, settings):
    settings.DEBUG = True  # django-htmx's debug handler is on the page, as under `make run`
    context, page = _page(browser, live_server, viewport)
    page.goto(f"/c/{bakery.slug}/")
    assert page.locator("script[src*='django-htmx.js']").count() == 1  # {% htmx_script %} adds it under DEBUG
    _question_in_view(page, viewport)
    assert "What do you say about" not in page.inner_text("#starters")

    # Shift+Enter is a new line; Enter sends.
    page.click("#question")
    page.keyboard.type("How much flour goes")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("into a new starter?")
    assert page.input_value("#question") == "How much flour goes\ninto a new starter?"
    assert page.locator(".exchange").count() == 0
    page.keyboard.press("Enter")
    page.wait_for_function(DONE, timeout=90_000)

    conversation = Conversation.objects.get()
    assert page.url.endswith(f"/c/{bakery.slug}/c/{conversation.pk}/")  # the URL names the conversation
    assert page.evaluate("document.activeElement.id") == "question" and page.input_value("#question") == ""
    assert page.get_attribute("#message-list", "aria-live") is None  # no announcing every piece
    # Announced a moment after the answer ends (emptied first, so a repeat is read out again).
    expect(page.locator("#chat-status")).to_have_text(re.compile(r"^Answer: "), timeout=15_000)
    assert page.eval_on_selector(".citations", "e => getComputedStyle(e).listStyleType") == "none"
    regenerate = page.get_by_role("button", name="Regenerate answer (uses 1 question)")
    assert regenerate.is_visible()
    axe_check(page)
    _fits(page, viewport)

    # A reload shows the conversation, and the next question continues it.
    page.reload()
    assert "into a new starter?" in page.inner_text(".msg-user")
    assert page.locator(".msg-assistant .citations li").count() >= 1
    assert page.input_value("#conversation-id") == str(conversation.pk)
    _question_in_view(page, viewport)

    # Regenerate replaces the answer in place; the first one stays a "previous" away.
    first_text = page.inner_text(".msg-assistant")
    page.get_by_role("button", name="Regenerate answer (uses 1 question)").click()
    page.wait_for_function(DONE, timeout=90_000)
    assert page.locator(".exchange").count() == 1
    assert page.inner_text(".answer-count") == "Answer 2 of 2"
    page.get_by_role("button", name="Previous answer").click()
    assert page.inner_text(".answer-count") == "Answer 1 of 2"
    assert page.locator(".msg-assistant:not([hidden])").inner_text() == first_text
    axe_check(page)
    page.get_by_role("button", name="Next answer").click()
    assert page.inner_text(".answer-count") == "Answer 2 of 2"

    # A blank question is refused inside the chat: nothing is wiped, what was typed stays.
    page.fill("#question", "   ")
    page.press("#question", "Enter")
    page.wait_for_selector(".msg-refusal")
    assert "Type a question first." in page.inner_text(".msg-refusal")
    assert page.locator(".exchange").count() == 1 and page.locator("#ask-form").is_visible()
    assert page.input_value("#question") == "   "
    axe_check(page)

    # Deleting asks first, on a page of its own.
    page.get_by_role("link", name=re.compile("Delete conversation")).click()
    page.wait_for_selector("text=Delete this conversation?")
    axe_check(page)
    _fits(page, viewport)
    assert Conversation.objects.filter(pk=conversation.pk).exists()
    page.get_by_role("button", name="Delete conversation").click()
    page.wait_for_url(f"**/c/{bakery.slug}/")
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    context.close()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_slow_answer_streams_formatted_and_stops_keeping_what_was_said(browser, live_server, bakery, llm, viewport):
    pieces = ["**Feed", " it**", " every day", " at the same time.\n\n", "> Discard", " half", " first.\n\n"]
    llm.answer(*pieces, *[f"word{n} " for n in range(150)], piece_delay_s=0.08)
    context, page = _page(browser, live_server, viewport)
    page.goto(f"/c/{bakery.slug}/")
    page.evaluate(OBSERVE)
    page.fill("#question", "How often do I feed my starter?")
    page.press("#question", "Enter")

    page.wait_for_selector(".msg-assistant.streaming .answer-body blockquote")
    answer = page.locator(".msg-assistant").last
    assert answer.get_attribute("aria-busy") == "true"
    assert answer.locator(".answer-body strong").inner_text() == "Feed it"
    page.wait_for_function("() => document.querySelector('.msg-assistant .answer-body').textContent.includes('word3')")
    axe_check(page)
    page.get_by_role("button", name="Stop").click()

    assert page.evaluate("window.__typing")  # the indicator showed before the first piece
    texts = page.evaluate("window.__texts")
    assert texts and not [t for t in texts if "**" in t or "> " in t], texts[:3]
    assert answer.get_attribute("aria-busy") is None and answer.locator(".answer-stopped").is_visible()
    assert page.evaluate("document.activeElement.id") == "question"
    expect(page.locator("#chat-status")).to_have_text("Answer stopped.", timeout=15_000)
    assert page.get_by_role("button", name="Regenerate answer (uses 1 question)").is_visible()
    shown = answer.inner_text()

    message = Message.objects.get(role="assistant")
    deadline = time.monotonic() + 15
    while Message.objects.get(pk=message.pk).status == Message.Status.STREAMING and time.monotonic() < deadline:
        time.sleep(0.1)
    message.refresh_from_db()
    assert message.status == Message.Status.STOPPED, message.status
    assert "word149" not in message.content and "Feed it" in message.content and "word3" in shown

    page.reload()
    assert page.locator(".msg-assistant .answer-stopped").is_visible()
    assert "How often do I feed my starter?" in page.inner_text(".msg-user")
    axe_check(page)
    _fits(page, viewport)
    context.close()
