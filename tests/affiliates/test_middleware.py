"""Referral capture: public pages and ?ref= links remember the creator, first touch wins, for
30 days; sign-up attaches it once; nobody refers themselves; no query when there is nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from affiliates.middleware import COOKIE_NAME, SESSION_KEY, ReferralCaptureMiddleware
from affiliates.models import Referral
from affiliates.services import affiliate_profile_get_or_create
from tests.channels_app.factories import ChannelFactory
from yoppy.users.models import User

PASSWORD = "a much longer passphrase 42"


@pytest.fixture
def alices_page(alice):
    return ChannelFactory(owner=alice, slug="alice-cooks", is_public=True)


@pytest.fixture
def bobs_code(bob):
    return affiliate_profile_get_or_create(user=bob).code


def sign_up(client, email: str = "newfan@example.com") -> User:
    client.post(reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD})
    return User.objects.get(email=email)


def test_a_fan_who_visits_a_public_page_and_signs_up_is_referred_by_its_owner(client, alices_page, alice):
    client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))

    fan = sign_up(client)

    assert (fan.referral.referrer, fan.referral.source) == (alice, Referral.Source.PAGE)


def test_a_ref_link_on_any_page_refers_to_the_codes_creator(client, bob, bobs_code):
    client.get(reverse("landing"), {"ref": bobs_code})

    fan = sign_up(client)

    assert (fan.referral.referrer, fan.referral.source) == (bob, Referral.Source.CODE)


def test_the_first_touch_wins(client, alices_page, alice, bobs_code):
    client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))
    client.get(reverse("landing"), {"ref": bobs_code})

    assert sign_up(client).referral.referrer == alice


def test_the_session_keeps_the_touch_when_the_cookie_is_lost(client, alices_page, alice, bobs_code):
    client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))
    del client.cookies[COOKIE_NAME]
    client.get(reverse("landing"), {"ref": bobs_code})

    assert sign_up(client).referral.referrer == alice


def test_a_touch_older_than_30_days_is_forgotten_and_a_new_one_can_replace_it(client, alices_page, bob, bobs_code):
    start = timezone.now()
    with freeze_time(start - dt.timedelta(days=31)):
        client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))

    client.get(reverse("landing"), {"ref": bobs_code})

    assert sign_up(client).referral.referrer == bob


def test_a_touch_older_than_30_days_refers_nobody(client, alices_page):
    start = timezone.now()
    with freeze_time(start - dt.timedelta(days=30, hours=1)):
        client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))

    assert not hasattr(sign_up(client), "referral")


def test_a_touch_29_days_old_still_counts(client, alices_page, alice):
    with freeze_time(timezone.now() - dt.timedelta(days=29)):
        client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))

    assert sign_up(client).referral.referrer == alice


def test_the_cookie_lasts_30_days_and_is_signed(client, alices_page):
    response = client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))

    cookie = response.cookies[COOKIE_NAME]
    assert cookie["max-age"] == 30 * 24 * 3600 and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert ":" in cookie.value and cookie.value != client.session[SESSION_KEY]


def test_a_forged_cookie_is_ignored(client, alice, bob):
    client.cookies[COOKIE_NAME] = f"{bob.pk}:code:{int(timezone.now().timestamp())}"

    assert not hasattr(sign_up(client), "referral")


def test_a_creator_visiting_their_own_page_signed_in_captures_nothing(client, alices_page, alice):
    client.force_login(alice)

    response = client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))

    assert COOKIE_NAME not in response.cookies and SESSION_KEY not in client.session


def test_a_creator_cannot_refer_themselves(alice):
    from affiliates.services import referral_attach

    assert referral_attach(user=alice, referrer_id=alice.pk, source="code", touched_at=timezone.now()) is None
    assert not Referral.objects.exists()


def test_a_referral_is_attached_once(alice, bob, charlie):
    from affiliates.services import referral_attach

    now = timezone.now()
    first = referral_attach(user=charlie, referrer_id=alice.pk, source="page", touched_at=now)
    second = referral_attach(user=charlie, referrer_id=bob.pk, source="page", touched_at=now)

    assert first.referrer == alice and second is None
    assert Referral.objects.get(user=charlie).referrer == alice


def test_a_private_page_or_an_unknown_code_captures_nothing(client, alice):
    ChannelFactory(owner=alice, slug="alice-secret", is_public=False)
    client.get("/c/alice-secret/")
    client.get(reverse("landing"), {"ref": "nosuchcode"})

    assert not hasattr(sign_up(client), "referral")


def test_a_page_with_nothing_to_capture_costs_no_query(db):
    request = RequestFactory().get("/dashboard/")
    request.resolver_match = None

    with CaptureQueriesContext(connection) as queries:
        ReferralCaptureMiddleware(lambda r: None).process_view(request, lambda r: None, (), {})
    assert len(queries) == 0


def test_a_visitor_who_already_carries_a_touch_costs_no_query(client, alices_page):
    client.get(reverse("chat:public", kwargs={"slug": "alice-cooks"}))
    request = RequestFactory().get("/c/alice-cooks/")
    request.COOKIES[COOKIE_NAME] = client.cookies[COOKIE_NAME].value
    request.resolver_match = type("Match", (), {"view_name": "chat:public"})()

    with CaptureQueriesContext(connection) as queries:
        ReferralCaptureMiddleware(lambda r: None).process_view(request, lambda r: None, (), {"slug": "alice-cooks"})
    assert len(queries) == 0
