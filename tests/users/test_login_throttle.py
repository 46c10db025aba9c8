"""Failed log-ins throttle the address they come from, not the account: an attacker cannot lock
a creator out by failing on purpose, and still cannot guess on at full speed."""

from __future__ import annotations

from django.urls import reverse

from tests.users.factories import PASSWORD


def _login(client, *, ip: str, password: str):
    return client.post(
        reverse("account_login"), {"login": "alice@example.com", "password": password}, REMOTE_ADDR=ip
    )


def _throttled(response) -> bool:
    return response.status_code == 429 or "Too many failed login attempts" in response.content.decode()


def test_ten_failures_from_one_address_do_not_stop_the_owner_logging_in_from_another(client, alice):
    attacker = [_login(client, ip="198.51.100.66", password="wrong-guess") for _ in range(10)]

    assert _throttled(attacker[-1])
    # Even the right password is refused from the attacking address for now ...
    assert _throttled(_login(client, ip="198.51.100.66", password=PASSWORD))
    # ... while the owner, from their own address, gets in.
    response = _login(client, ip="203.0.113.10", password=PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")


def test_one_address_is_throttled_across_accounts_too(client, alice, bob):
    for n in range(10):
        email = "alice@example.com" if n % 2 else "bob@example.com"
        client.post(reverse("account_login"), {"login": email, "password": "nope"}, REMOTE_ADDR="198.51.100.67")
    response = client.post(
        reverse("account_login"), {"login": "charlie@example.com", "password": "nope"}, REMOTE_ADDR="198.51.100.67"
    )
    assert _throttled(response)


def test_five_failures_on_one_account_from_one_address_throttle_that_pair(client, alice):
    responses = [_login(client, ip="198.51.100.68", password="wrong") for _ in range(6)]
    assert not _throttled(responses[0])
    assert _throttled(responses[-1])
