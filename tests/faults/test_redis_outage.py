"""Redis stopped during an ask and a page view (issue 10, item 10): the fan gets a clear
"temporarily unavailable" 503, not a 500, and the site answers again once Redis is back."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from chat.models import Message
from tests.chat.test_views_chat import ask, bakery  # noqa: F401, F811  (bakery: a fixture)
from tests.faults.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(180)]


def test_an_anonymous_ask_while_redis_is_down_is_a_503_then_works_again(client, bakery, redis_server):  # noqa: F811
    page = client.get(reverse("chat:public", args=[bakery.slug]))
    assert page.status_code == 200

    redis_server.stop()
    try:
        refused = ask(client, bakery, "How do I feed a starter?")
        assert refused.status_code == 503, refused.content[:300]
        assert b"temporarily unavailable" in refused.content
        assert refused["Retry-After"]
        assert not Message.objects.exists()  # nothing half-recorded
    finally:
        stopped_at = time.monotonic()
        redis_server.start()

    recovered_s = wait_for(lambda: ask(client, bakery, "How do I feed a starter?").status_code == 200, 30, "asking again")
    assert Message.objects.filter(role=Message.Role.ASSISTANT).count() == 1
    print(f"redis outage during an ask: 503 while down, answering {time.monotonic() - stopped_at:.1f} s after the restart ({recovered_s:.1f} s of retries)")


def test_a_page_view_while_redis_is_down_is_a_503_page_then_the_page_again(client, alice, redis_server):
    """The dashboard reads the creator's plan through the Redis cache."""
    client.force_login(alice)
    assert client.get(reverse("dashboard")).status_code == 200

    redis_server.stop()
    try:
        down = client.get(reverse("dashboard"))
        assert down.status_code == 503
        assert b"Yoppy is temporarily unavailable" in down.content and b"Traceback" not in down.content
    finally:
        redis_server.start()

    wait_for(lambda: client.get(reverse("dashboard")).status_code == 200, 30, "the dashboard again")
