"""Fans who arrive become users: the landing page and a new account's dashboard link to the demo
persona (issue 12)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from channels_app.models import Channel
from tests.users.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    UserFactory(email="admin@yoppy.local", is_staff=True, is_superuser=True)  # the demo's owner
    call_command("load_demo_channels")
    channel = Channel.objects.get(is_demo=True)
    Channel.objects.filter(pk=channel.pk).update(is_public=True)
    return channel


def test_the_landing_page_links_to_the_demo_persona(client, demo):
    assert f'href="{reverse("chat:public", args=[demo.slug])}"' in client.get("/").content.decode()


def test_a_new_accounts_dashboard_links_to_the_demo_persona(client, alice, demo):
    client.force_login(alice)

    page = client.get(reverse("dashboard")).content.decode()

    assert 'id="demo-persona"' in page and f'href="{reverse("chat:public", args=[demo.slug])}"' in page


def test_without_a_public_demo_there_is_no_dead_link(client, alice):
    client.force_login(alice)

    assert 'id="demo-persona"' not in client.get(reverse("dashboard")).content.decode()
