"""The chat page says so when the server answers 5xx (issue 10, item 10): an ask refused with
a 503 while Redis is down, and an answer stream the server answers 5xx. Before, htmx swapped
nothing and the EventSource closed silently: the fan saw no reaction at all."""

from __future__ import annotations

import pytest

from tests.browser.test_journey_chat import demo_channel  # noqa: F401  (a fixture)
from tests.faults.conftest import redis_server  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]


def test_an_ask_refused_while_redis_is_down_shows_an_error_then_asking_works_again(page, demo_channel, redis_server):  # noqa: F811
    page.goto(f"/c/{demo_channel.slug}/")
    redis_server.stop()
    try:
        page.fill("#question", "How do I know my sourdough starter is healthy?")
        page.get_by_role("button", name="Ask").click()
        page.wait_for_selector("#ask-error [role=alert]")
        assert "temporarily unavailable" in page.inner_text("#ask-error")
        assert page.locator(".msg-assistant").count() == 0
    finally:
        redis_server.start()

    page.get_by_role("button", name="Ask").click()
    page.wait_for_function("() => { const a = document.querySelector('.msg-assistant'); return a && a.dataset.done === '1'; }", timeout=60_000)
    assert page.locator("#ask-error").count() == 0  # the error goes once a question got through


def test_an_answer_stream_answered_with_a_5xx_shows_an_error_in_the_chat(page, demo_channel):  # noqa: F811
    # The stream's HTTP answer is replaced by a 502, as a proxy in front of a dead web process
    # would send; the page itself and the ask are real.
    page.route("**/chat/answers/*/stream/", lambda route: route.fulfill(status=502, body="Bad gateway"))
    page.goto(f"/c/{demo_channel.slug}/")
    page.fill("#question", "How do I know my sourdough starter is healthy?")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_selector(".msg-assistant[data-failed='1'] .answer-body [role=alert]")
    assert "temporarily unavailable" in page.inner_text(".msg-assistant .answer-body")
    assert "streaming" not in (page.get_attribute(".msg-assistant", "class") or "")
