"""Who may embed: the loader's look-up, the frame and the frame's API check the origin on every
request; no origins means the widget loads nowhere."""

from __future__ import annotations

import gzip

import pytest
from django.urls import reverse

from tests.widgets.conftest import OWN, SITE, api, frame, frame_token
from widgets import services

pytestmark = pytest.mark.django_db


def _config(client, widget, origin):
    return client.get(reverse("widgets:config", args=[widget.public_key]), HTTP_ORIGIN=origin)


def test_it_tells_an_allowed_site_where_the_frame_is_and_lets_only_that_site_read_it(client, widget):
    response = _config(client, widget, SITE)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SITE
    assert response.json()["frame"] == f"http://testserver/widget/{widget.public_key}/frame"
    assert response.json()["looks"]["button_text"] == "Ask Mira"


def test_it_refuses_the_look_up_from_another_site_without_a_cors_header(client, widget):
    response = _config(client, widget, "https://evil.example")

    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_the_frame_may_be_framed_by_exactly_the_widgets_origins(client, widget):
    services.widget_update(
        widget=widget, name=widget.name, mode=widget.mode, position=widget.position, colour=widget.colour,
        greeting=widget.greeting, starters=widget.starters, button_text=widget.button_text, open_on_load=False,
        origins=[SITE, "http://localhost:3000"],
    )  # fmt: skip

    response = frame(client, widget, HTTP_REFERER=f"{SITE}/blog/post")

    assert response.status_code == 200
    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["frame-ancestors"].split() == ["http://localhost:3000", SITE]
    assert "X-Frame-Options" not in response


@pytest.mark.parametrize(
    ("origin", "referer"),
    [("https://evil.example", None), ("", None), (SITE, "https://evil.example/page"), ("not an origin", None)],
)
def test_the_frame_is_refused_for_another_site_and_cannot_be_framed_anywhere(client, widget, origin, referer):
    headers = {"HTTP_REFERER": referer} if referer else {}

    response = frame(client, widget, origin=origin, **headers)

    assert response.status_code == 403
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert b"data-session" not in response.content


def test_the_frame_opened_as_a_page_of_its_own_is_refused(client, widget):
    assert frame(client, widget, HTTP_SEC_FETCH_DEST="document").status_code == 403
    assert frame(client, widget, HTTP_SEC_FETCH_DEST="iframe").status_code == 200


def test_a_widget_without_origins_loads_nowhere_and_the_creator_is_told(client, alice, bakery):
    widget = services.widget_create(channel=bakery, name="New")

    assert _config(client, widget, SITE).status_code == 403
    refused = frame(client, widget)
    assert refused.status_code == 403 and b"no allowed sites" in refused.content
    client.force_login(alice)
    page = client.get(reverse("widgets:detail", args=[widget.pk])).content.decode()
    assert "This widget loads nowhere yet." in page


def test_the_frames_api_refuses_requests_from_any_other_origin(client, widget):
    token = frame_token(client, widget)

    for origin in ["https://evil.example", SITE, ""]:
        response = api(client, "event", widget, token, {"type": "open"}, origin=origin)
        assert response.status_code == 403, origin
    assert api(client, "event", widget, token, {"type": "open"}, origin=OWN).status_code == 204


def test_removing_a_site_stops_its_open_sessions_at_once(client, widget):
    token = frame_token(client, widget)
    services.widget_update(
        widget=widget, name=widget.name, mode=widget.mode, position=widget.position, colour=widget.colour,
        greeting=widget.greeting, starters=widget.starters, button_text=widget.button_text, open_on_load=False,
        origins=["https://other.example"],
    )  # fmt: skip

    response = api(client, "ask", widget, token, {"question": "How much flour?"})

    assert response.status_code == 403
    assert "not allowed" in response.json()["error"]


def test_a_forged_or_missing_session_token_is_refused(client, widget):
    token = frame_token(client, widget)

    assert api(client, "ask", widget, token[:-2] + "xx", {"question": "Hi?"}).status_code == 401
    assert api(client, "ask", widget, "", {"question": "Hi?"}).status_code == 401


def test_a_session_of_one_widget_does_not_open_another(client, widget, bakery):
    other = services.widget_create(channel=bakery, name="Other")
    services.widget_update(
        widget=other, name="Other", mode=other.mode, position=other.position, colour=other.colour, greeting="",
        starters=[], button_text="Ask", open_on_load=False, origins=[SITE],
    )  # fmt: skip
    token = frame_token(client, widget)

    assert api(client, "ask", other, token, {"question": "Hi?"}).status_code == 401


def test_the_loader_is_served_as_javascript_and_stays_under_10_kb_gzipped(client):
    response = client.get("/embed.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert len(gzip.compress(response.content, compresslevel=6)) <= 10 * 1024  # bench/widget_loader.py
