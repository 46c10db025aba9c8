"""The Site row (allauth's e-mails read it) is named from SITE_NAME and SITE_URL on migrate."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_names_the_site_from_settings_after_migrate(settings):
    assert Site.objects.get(pk=settings.SITE_ID).domain == urlsplit(settings.SITE_URL).netloc

    settings.SITE_URL, settings.SITE_NAME = "https://yoppy.example.org", "Yoppy Test"
    call_command("migrate", verbosity=0)

    site = Site.objects.get(pk=settings.SITE_ID)
    assert (site.domain, site.name) == ("yoppy.example.org", "Yoppy Test")


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_the_confirmation_email_names_the_site_not_example_com(client, settings):
    settings.SITE_URL, settings.SITE_NAME = "https://yoppy.example.org", "Yoppy Test"
    call_command("migrate", verbosity=0)

    client.post(reverse("account_signup"),
                {"email": "careful@example.com", "password1": "a long enough passphrase 7",
                 "password2": "a long enough passphrase 7"})  # fmt: skip

    message = mail.outbox[0]
    assert "example.com" not in (message.subject + message.body).replace("careful@example.com", "")
    assert "Yoppy Test" in message.subject + message.body
