"""Request-facing security: malformed ids, client addresses, error reports, the CSP header,
/healthz over plain HTTP."""

from __future__ import annotations

import json
import sys

import pytest
from django.test import RequestFactory, override_settings
from django.urls import reverse

from chat.models import Conversation
from tests.channels_app.factories import ChannelFactory
from yoppy.http.client_ip import client_ip
from yoppy.http.ids import id_parse
from yoppy.templatetags.yoppy_tags import json_for_script


@pytest.fixture
def public_channel(alice):
    return ChannelFactory(owner=alice, is_public=True, slug="alice-public", chunks_count=3)


@pytest.mark.parametrize("bad", ["abc", "1.5", "-3", "0", "²", "99999999999999999999999", " ", "1;DROP"])
def test_it_answers_404_for_a_malformed_conversation_id_on_every_chat_page(client, alice, public_channel, bad):
    client.force_login(alice)
    pages = [
        ("get", reverse("chat:channel", args=[public_channel.pk]), {"conversation": bad}),
        ("get", reverse("chat:public", args=[public_channel.slug]), {"conversation": bad}),
        ("post", reverse("chat:ask", args=[public_channel.pk]), {"conversation": bad, "question": "hi"}),
    ]
    for method, url, data in pages:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url, bad, response.status_code)


def test_a_well_formed_conversation_id_still_opens_the_conversation(client, alice, public_channel):
    conversation = Conversation.objects.create(
        channel=public_channel, user=alice, asker_kind="user", asker_ref=str(alice.pk), title="Sourdough talk"
    )
    client.force_login(alice)
    # The old ?conversation= link goes on to the conversation's own URL.
    response = client.get(reverse("chat:channel", args=[public_channel.pk]), {"conversation": str(conversation.pk)}, follow=True)
    assert response.status_code == 200 and response.context["conversation"] == conversation
    assert response.redirect_chain == [(reverse("chat:conversation", args=[public_channel.pk, conversation.pk]), 302)]


def test_id_parse_accepts_only_positive_bigints():
    assert id_parse("42") == 42 and id_parse(" 7 ") == 7
    assert [id_parse(v) for v in ("", "x", "0", "-1", "٣", str(2**63), None)] == [None] * 7


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.9"),  # no proxy: the header is the client's own words
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the proxy appended the real peer
        (2, "6.6.6.6, 203.0.113.5, 10.1.1.1", "203.0.113.5"),  # CDN, then the load balancer
        (2, "203.0.113.5", "10.0.0.9"),  # fewer hops than proxies: only the socket is trustworthy
        (1, "6.6.6.6, not-an-ip", "10.0.0.9"),
    ],
)
def test_the_client_ip_is_the_address_the_trusted_proxies_appended(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_a_forged_first_forwarded_hop_does_not_dodge_the_anonymous_allowance(client, settings, public_channel):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.ANON_QUESTIONS_PER_SESSION = 100
    settings.ANON_QUESTIONS_PER_IP = 2
    url = reverse("chat:ask", args=[public_channel.pk])
    statuses = []
    for n in range(3):
        client.cookies.clear()  # a new browser session each time, like a scripted client
        response = client.post(
            url, {"question": f"q{n}"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5", HTTP_HX_REQUEST="true"
        )
        statuses.append(response.status_code)
    assert statuses == [200, 200, 429]


def test_allauth_reads_the_same_proxy_count():
    from allauth import app_settings
    from django.conf import settings

    assert app_settings.TRUSTED_PROXY_COUNT == settings.TRUSTED_PROXY_COUNT


def test_json_for_script_leaves_nothing_that_can_close_a_script_element():
    value = {"name": "</script><script>alert(1)</script>&<!--"}
    text = json_for_script(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == value


def test_every_page_carries_a_content_security_policy_without_unsafe_inline_scripts(client, alice, public_channel):
    client.force_login(alice)
    for url in ("/", reverse("chat:public", args=[public_channel.slug]), reverse("dashboard"), "/accounts/login/"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in directives["script-src"], url
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'", url


def test_the_pages_have_no_inline_event_handlers_or_inline_scripts(client, alice, public_channel):
    import re

    client.force_login(alice)
    for url in ("/", reverse("chat:public", args=[public_channel.slug]), reverse("channels:list"), reverse("billing:overview")):
        html = client.get(url).content.decode()
        assert not re.search(r"\s(on[a-z]+|hx-on[:\w-]*)=", html), url
        for attributes in re.findall(r"<script([^>]*)>", html):
            assert "src=" in attributes or "application/ld+json" in attributes, (url, attributes)


def _technical_500_html(request) -> str:
    # Raised and caught here, so the traceback's local variables are only this frame's.
    from django.views.debug import technical_500_response

    try:
        int(request.GET["conversation"])
    except ValueError:
        return technical_500_response(request, *sys.exc_info()).content.decode()
    raise AssertionError("int('abc') did not raise")


def test_the_technical_500_page_does_not_show_the_database_password(rf, settings):
    html = _technical_500_html(rf.get("/chat/1/?conversation=abc"))
    password = settings.DATABASES["default"]["PASSWORD"]
    assert password and password in settings.DATABASE_URL  # the setting really carries it
    assert "DATABASE_URL" in html  # the setting is listed ...
    assert password not in html  # ... but its value is hidden, as are the other connection strings
    assert settings.REDIS_URL not in html


def test_healthz_answers_over_plain_http_when_everything_else_is_redirected(client, db):
    with override_settings(SECURE_SSL_REDIRECT=True):
        assert client.get("/").status_code == 301
        health = client.get(reverse("healthz"))
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_the_database_down_separately_from_redis(client):
    import psycopg
    from django.db import connection

    # The server ends this process's session, as a PostgreSQL restart would.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"], port=params["PORT"], user=params["USER"], password=params["PASSWORD"],
        dbname=params["NAME"], autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    try:
        with override_settings(SECURE_SSL_REDIRECT=True):
            response = client.get(reverse("healthz"))
    finally:
        connection.close()
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "down", "redis": "ok"}
