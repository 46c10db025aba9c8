"""A creator who hits a problem on the channel list can get out of it (issue 12)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from channels_app.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_it_sends_a_direct_visit_to_the_add_url_to_the_add_form_instead_of_a_blank_405(alice_client):
    response = alice_client.get(reverse("channels:add"))

    assert response.status_code == 302 and response["Location"] == reverse("channels:list")
    assert 'id="channel-add"' in alice_client.get(response["Location"]).content.decode()


def test_it_opens_the_collection_section_when_its_form_has_an_error(alice_client):
    page = alice_client.post(reverse("channels:add_uploads"), {"title": ""}).content.decode()

    details = re.search(r'<details class="uploads-only"[^>]*>', page).group(0)
    assert " open" in details
    assert 'class="errorlist"' in page.split(details, 1)[1].split("</details>", 1)[0]


def test_it_links_the_channel_limit_of_a_collection_to_the_upgrade(alice_client):
    for title in ["One", "Two"]:
        alice_client.post(reverse("channels:add_uploads"), {"title": title})

    page = alice_client.post(reverse("channels:add_uploads"), {"title": "Three"}).content.decode()

    section = page.split('<details class="uploads-only" open>', 1)[1].split("</details>", 1)[0]
    assert "Free plan includes 2 channels" in section and f'href="{reverse("billing:overview")}"' in section
    assert Channel.objects.count() == 2


def test_it_links_the_channel_limit_of_a_youtube_channel_to_the_upgrade(alice_client):
    for handle in ["@one", "@two"]:
        alice_client.post(reverse("channels:add"), {"url": handle})

    page = alice_client.post(reverse("channels:add"), {"url": "@three"}).content.decode()

    alert = re.search(r'<div class="errorlist" role="alert">(.*?)</div>', page, re.S).group(1)
    assert "Free plan includes 2 channels" in alert and reverse("billing:overview") in alert
