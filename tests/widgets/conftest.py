"""Fixtures of the widget tests: alice's channel with real ingested chunks (the chat tests'
bakery) and a widget for it allowed on one site; helpers that load the frame and call its API the
way static/widgets/widget.js does."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from tests.chat.test_views_chat import bakery  # noqa: F401  (a fixture)
from widgets import services
from widgets.models import Widget

SITE = "https://fans.example.com"
OWN = "http://testserver"  # the test client's host: where the frame's requests come from


@pytest.fixture
def widget(bakery) -> Widget:  # noqa: F811
    widget = services.widget_create(channel=bakery, name="Blog")
    return services.widget_update(
        widget=widget, name="Blog", mode=Widget.Mode.FLOATING, position=Widget.Position.BOTTOM_RIGHT,
        colour="#6d28d9", greeting="Hello!", starters=["How do I start?"], button_text="Ask Mira",
        open_on_load=False, origins=[SITE],
    )  # fmt: skip


def frame(client, widget: Widget, *, origin: str = SITE, **headers):
    return client.get(reverse("widgets:frame", args=[widget.public_key]), {"origin": origin}, **headers)


def frame_token(client, widget: Widget, *, origin: str = SITE) -> str:
    response = frame(client, widget, origin=origin)
    assert response.status_code == 200, response.content
    return re.search(r'data-session="([^"]+)"', response.content.decode()).group(1)


def api(client, name: str, widget: Widget, token: str, payload: dict | None = None, *, origin: str = OWN, **extra):
    """POST to the frame's API as widget.js does (JSON body, the session token in a header)."""
    return client.post(
        reverse(f"widgets:{name}", args=[widget.public_key]), json.dumps(payload or {}),
        content_type="application/json", HTTP_ORIGIN=origin, HTTP_X_YOPPY_SESSION=token, **extra,
    )  # fmt: skip


def events(response) -> list[tuple[str, dict]]:
    body = b"".join(response.streaming_content).decode()
    parsed = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((lines["event"], json.loads(lines["data"])))
    return parsed
