"""Sign up, verify, log in, log out and reset a password through django-allauth."""

from __future__ import annotations

import re

from django.core import mail
from django.test import override_settings
from django.urls import reverse

from tests.users.factories import PASSWORD
from yoppy.users.models import User

NEW_PASSWORD = "a much longer passphrase 42"


def test_signing_up_puts_the_new_user_on_the_free_plan_and_opens_the_dashboard(client, db):
    response = client.post(
        reverse("account_signup"),
        {"email": "newfan@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert b"Your plan: <span class=\"plan-name\">Free</span>" in response.content
    assert User.objects.get(email="newfan@example.com").plan_assignment.plan.slug == "free"


@override_settings(ACCOUNT_EMAIL_VERIFICATION="mandatory")
def test_with_mandatory_verification_the_dashboard_waits_for_the_emailed_link(client, db):
    client.post(
        reverse("account_signup"),
        {"email": "careful@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert client.get(reverse("dashboard")).status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[0].body).group(0)
    confirm_path = link.split("testserver", 1)[-1]

    client.post(confirm_path)

    assert client.get(reverse("dashboard")).status_code == 200


def test_logging_in_and_out(client, alice):
    response = client.post(reverse("account_login"), {"login": "ALICE@example.com", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    client.post(reverse("account_logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_password_reset_email_is_sent_for_a_known_address(client, alice):
    client.post(reverse("account_reset_password"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_social_login_buttons_are_absent_without_keys(client, db):
    page = client.get(reverse("account_login"))
    assert b"google" not in page.content.lower() and b"discord" not in page.content.lower()


def test_google_and_discord_login_switch_on_when_their_keys_are_set():
    """INSTALLED_APPS is read once at start-up, so this starts a fresh process with the keys."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yoppy.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "GOOGLE_CLIENT_ID": "id", "GOOGLE_CLIENT_SECRET": "secret",
        "DISCORD_CLIENT_ID": "id", "DISCORD_CLIENT_SECRET": "secret",
    }  # fmt: skip
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings; from django.urls import reverse\n"
        "print(settings.GOOGLE_LOGIN_ENABLED, settings.DISCORD_LOGIN_ENABLED)\n"
        "print(reverse('google_login'), reverse('discord_login'))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "/accounts/google/login/", "/accounts/discord/login/"]
