"""The billing page compares plans with prices in the visitor's currency, offers upgrades that
work when a gateway is configured, and says plainly when none is (issue 12)."""

from __future__ import annotations

import re

import pytest

from billing.money import visitor_currency
from tests.billing.factories import gateway_plans

URL = "/billing/"


@pytest.mark.parametrize(
    ("accept_language", "country", "expected"),
    [("en-IN,en;q=0.9", "", "INR"), ("hi", "", "INR"), ("en-US,en;q=0.9", "", "USD"), ("", "", "USD"),
     ("en-US", "IN", "INR"), ("en-IN", "GB", "USD")],
)  # fmt: skip
def test_it_picks_the_visitors_currency_from_the_country_or_the_locale(accept_language, country, expected):
    assert visitor_currency(accept_language=accept_language, country=country) == expected


@pytest.mark.django_db
def test_without_a_gateway_it_says_so_once_and_offers_no_upgrade_buttons(client, alice):
    gateway_plans()
    client.force_login(alice)

    page = client.get(URL).content.decode()

    assert page.count('data-testid="no-gateway"') == 1
    assert "/billing/subscribe/" not in page and "Upgrade —" not in page
    assert "questions a month" in page  # the comparison is still there


@pytest.mark.django_db
def test_with_a_gateway_it_shows_prices_and_the_checkout_in_the_visitors_currency_first(client, alice, razorpay):
    client.force_login(alice)

    indian = client.get(URL, headers={"Accept-Language": "en-IN,en;q=0.8"}).content.decode()
    american = client.get(URL, headers={"Accept-Language": "en-US"}).content.decode()

    personal = re.search(r'data-plan="personal">(.*?)</article>', indian, re.S).group(1)
    assert re.search(r'class="price">₹[\d,]+ / month', personal)
    assert personal.index("Razorpay, INR") < personal.index("Razorpay, USD")
    personal = re.search(r'data-plan="personal">(.*?)</article>', american, re.S).group(1)
    assert re.search(r'class="price">\$[\d.]+ / month', personal)
    assert personal.index("Razorpay, USD") < personal.index("Razorpay, INR")
    assert 'data-testid="no-gateway"' not in indian
