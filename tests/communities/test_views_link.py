"""An owner links their Yoppy account to their Whop user once, through Whop OAuth 2.1 with PKCE
and state; the tokens are stored encrypted."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from communities.models import WhopAccount
from tests.communities.conftest import OWNER
from yoppy import crypto


def start(client):
    response = client.get(reverse("communities:link"))
    assert response.status_code == 302
    return {k: v[0] for k, v in parse_qs(urlparse(response["Location"]).query).items()}, response["Location"]


@pytest.mark.django_db
def test_an_owner_links_their_account_with_pkce_and_state(client, whop, alice):
    client.force_login(alice)
    query, location = start(client)
    assert location.startswith(f"{whop.url}/oauth/authorize?")
    assert query["code_challenge_method"] == "S256" and len(query["state"]) >= 32 and "code_verifier" not in query
    whop.codes["code_1"] = (query["code_challenge"], OWNER)  # the owner approved on Whop

    response = client.get(reverse("communities:link_callback"), {"code": "code_1", "state": query["state"]})

    assert response.status_code == 200 and "Linked with Whop" in response.content.decode()
    account = WhopAccount.objects.get(user=alice)
    assert account.whop_user_id == OWNER
    assert account.access_token != "at_1" and crypto.decrypt(account.access_token) == "at_1"
    assert crypto.decrypt(account.refresh_token) == "rt_at_1"
    exchange = next(form for method, path, form in whop.requests if path == "/oauth/token")
    assert exchange["redirect_uri"] == "http://localhost:8000/whop/link/callback/" and len(exchange["code_verifier"]) >= 43


@pytest.mark.django_db
def test_a_callback_with_another_state_is_refused_and_links_nothing(client, whop, alice):
    client.force_login(alice)
    query, _ = start(client)
    whop.codes["code_1"] = (query["code_challenge"], OWNER)
    response = client.get(reverse("communities:link_callback"), {"code": "code_1", "state": "forged"})
    assert response.status_code == 400 and not WhopAccount.objects.exists()
    # The pending sign-in is used up: the real state no longer works either.
    again = client.get(reverse("communities:link_callback"), {"code": "code_1", "state": query["state"]})
    assert again.status_code == 400


@pytest.mark.django_db
def test_a_code_exchanged_without_the_right_verifier_is_refused(client, whop, alice):
    client.force_login(alice)
    query, _ = start(client)
    whop.codes["code_1"] = ("a-challenge-of-some-other-verifier", OWNER)
    response = client.get(reverse("communities:link_callback"), {"code": "code_1", "state": query["state"]})
    assert response.status_code == 400 and "start again" in response.content.decode()
    assert not WhopAccount.objects.exists()


@pytest.mark.django_db
def test_linking_needs_a_signed_in_yoppy_account(client, whop):
    response = client.get(reverse("communities:link"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_linking_again_moves_the_whop_user_to_the_account_that_proved_it(client, whop, alice, bob):
    WhopAccount.objects.create(user=bob, whop_user_id=OWNER)
    client.force_login(alice)
    query, _ = start(client)
    whop.codes["code_2"] = (query["code_challenge"], OWNER)
    assert client.get(reverse("communities:link_callback"), {"code": "code_2", "state": query["state"]}).status_code == 200
    assert list(WhopAccount.objects.values_list("user__email", "whop_user_id")) == [("alice@example.com", OWNER)]
