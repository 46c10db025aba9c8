"""Key rotation (the old key stops at once) and identified visitors: a token the creator's site
signs with the widget's secret (JWT HS256: sub, name, exp), verified here; forged, expired,
unsigned or wrongly-signed tokens are refused; returning visitors keep their conversations."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.urls import reverse

from chat.models import Conversation
from tests.widgets.conftest import SITE, api, events, frame, frame_token
from widgets import selectors, services
from widgets.tokens import TokenRefused, visitor_token_verify

pytestmark = pytest.mark.django_db

QUESTION = "How much flour goes into a new starter?"
LONG_SECRET = "a-secret-of-the-length-a-real-one-has-0123456789"  # noqa: S105


def _visitor_token(secret: str, *, sub="member-42", name="Priya", expires_in_s=600, algorithm="HS256") -> str:
    claims = {"sub": sub, "name": name, "exp": dt.datetime.now(dt.UTC) + dt.timedelta(seconds=expires_in_s)}
    return jwt.encode(claims, secret, algorithm=algorithm)


def test_rotating_the_key_stops_the_old_snippet_frame_and_sessions_at_once(client, widget):
    old_key, token = widget.public_key, frame_token(client, widget)

    services.widget_rotate_key(widget=widget)

    assert widget.public_key != old_key
    assert client.get(reverse("widgets:config", args=[old_key]), HTTP_ORIGIN=SITE).status_code == 404
    assert client.get(reverse("widgets:frame", args=[old_key]), {"origin": SITE}).status_code == 404
    refused = client.post(
        reverse("widgets:ask", args=[old_key]), '{"question": "Hi?"}', content_type="application/json",
        HTTP_ORIGIN="http://testserver", HTTP_X_YOPPY_SESSION=token,
    )  # fmt: skip
    assert refused.status_code == 404
    # The session token names the old key: even under the new key's URL it opens nothing.
    assert api(client, "ask", widget, token, {"question": "Hi?"}).status_code == 401
    assert frame(client, widget).status_code == 200


def test_the_creator_rotates_the_key_from_the_dashboard_and_charlie_cannot(client, widget, alice, charlie):
    old_key = widget.public_key
    client.force_login(charlie)
    assert client.post(reverse("widgets:rotate-key", args=[widget.pk])).status_code == 404
    client.force_login(alice)

    client.post(reverse("widgets:rotate-key", args=[widget.pk]))

    widget.refresh_from_db()
    assert widget.public_key != old_key and widget.key_rotated_at is not None


def test_an_identified_visitor_keeps_their_conversation_on_the_next_visit(client, widget):
    secret = selectors.widget_secret(widget=widget)
    first = api(client, "session", widget, frame_token(client, widget), {"visitor_token": _visitor_token(secret)})
    assert first.status_code == 200 and first.json()["visitor"] == "Priya" and first.json()["conversation"] is None
    asked = events(api(client, "ask", widget, first.json()["token"], {"question": QUESTION}))
    conversation_id = asked[0][1]["conversation"]

    # A later visit, in another browser: a fresh frame, the same signed visitor.
    later = api(client, "session", widget, frame_token(client, widget), {"visitor_token": _visitor_token(secret)})

    assert later.json()["conversation"] == conversation_id
    assert "How much flour goes into a new starter?" in later.json()["history"]
    assert 'class="citation-play"' in later.json()["history"]
    assert Conversation.objects.get(pk=conversation_id).asker_ref == f"{widget.pk}:v:member-42"


@pytest.mark.parametrize(
    "make",
    [
        lambda secret: _visitor_token("not-the-widget-secret-but-as-long-as-a-real-one"),
        lambda secret: _visitor_token(secret, expires_in_s=-3600),
        lambda secret: jwt.encode({"sub": "member-42", "exp": 4102444800}, None, algorithm="none"),
        lambda secret: jwt.encode({"sub": "member-42"}, secret, algorithm="HS256"),  # no exp
        lambda secret: _visitor_token(secret, algorithm="HS512"),
        lambda secret: _visitor_token(secret)[:-3] + "abc",
        lambda secret: "garbage",
    ],
    ids=["forged", "expired", "unsigned", "no-expiry", "other-algorithm", "tampered", "garbage"],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # HS512 wants a longer key: refused anyway
def test_a_visitor_token_that_is_not_signed_by_the_widget_is_refused(client, widget, make):
    token = make(selectors.widget_secret(widget=widget))

    response = api(client, "session", widget, frame_token(client, widget), {"visitor_token": token})

    assert response.status_code == 403
    assert response.json()["error"]
    assert "token" not in response.json()


def test_it_says_an_expired_token_has_expired():
    with pytest.raises(TokenRefused, match="expired"):
        visitor_token_verify(_visitor_token(LONG_SECRET, expires_in_s=-3600), secret=LONG_SECRET)


def test_a_new_secret_refuses_tokens_signed_with_the_old_one(client, widget):
    old_token = _visitor_token(selectors.widget_secret(widget=widget))

    services.widget_regenerate_secret(widget=widget)

    refused = api(client, "session", widget, frame_token(client, widget), {"visitor_token": old_token})
    assert refused.status_code == 403


def test_an_anonymous_visit_resumes_in_the_same_tab_but_not_with_another_widgets_session(client, widget):
    token = frame_token(client, widget)
    asked = events(api(client, "ask", widget, token, {"question": QUESTION}))

    resumed = api(client, "session", widget, frame_token(client, widget), {"resume": token})

    assert resumed.json()["conversation"] == asked[0][1]["conversation"]
    forged = api(client, "session", widget, frame_token(client, widget), {"resume": token[:-4] + "AAAA"})
    assert forged.status_code == 200 and forged.json()["conversation"] is None


def test_the_secret_is_stored_encrypted(widget):
    assert selectors.widget_secret(widget=widget).startswith("ws_")
    assert "ws_" not in widget.secret_encrypted
