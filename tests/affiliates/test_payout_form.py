"""The payout form groups its fields by method, keeps what was typed on an error, and does not say
its help text twice (issue 12). The browser half (only the chosen method's fields show) is in
tests/browser/test_journey_upgrades.py."""

from __future__ import annotations

import re

import pytest

from affiliates.models import Payout
from tests.affiliates.test_views import BANK, POST_URL, URL, earned

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"INR": 50000, "USD": 1000}


@pytest.fixture
def fan(alice):
    from tests.affiliates.factories import refer
    from tests.users.factories import UserFactory

    fan = UserFactory(email="gaurav.kumar@gmail.com")
    refer(fan, by=alice)
    return fan


def _group(page: str, method: str) -> str:
    return re.search(rf'<fieldset class="plain" data-payout-method="{method}">(.*?)</fieldset>', page, re.S).group(1)


def test_it_groups_the_bank_and_paypal_fields_under_their_method(client, alice):
    client.force_login(alice)

    page = client.get(URL).content.decode()

    assert 'name="account_number"' in _group(page, "bank") and 'name="ifsc"' in _group(page, "bank")
    assert 'name="paypal_email"' in _group(page, "paypal") and 'name="ifsc"' not in _group(page, "paypal")
    # The switching script is a deferred file: no inline handlers for the CSP to refuse.
    assert re.search(r'<script src="[^"]*js/payout-form\.js" defer></script>', page)
    assert not re.search(r"\son[a-z]+=", page)


def test_it_keeps_the_typed_values_when_the_request_is_refused(client, alice, fan):
    client.force_login(alice)
    earned(fan, amount_minor=200000, currency="INR")

    page = client.post(POST_URL, {**BANK, "account_number": "12345678"}, HTTP_HX_REQUEST="true").content.decode()

    assert 'value="hdfc0001234"' in page and 'value="Alice Rao"' in page and 'value="600.00"' in page
    assert "12345678" not in page  # the account number alone is never echoed
    assert not Payout.objects.exists()


def test_it_shows_the_error_instead_of_repeating_the_help_text(client, alice, fan):
    client.force_login(alice)
    earned(fan, amount_minor=200000, currency="INR")

    page = client.post(POST_URL, {**BANK, "account_number": "12345678"}, HTTP_HX_REQUEST="true").content.decode()

    assert "An account number is 9 to 18 digits." in page
    assert '>9 to 18 digits.</span>' not in page
    assert '<span class="helptext" id="id_ifsc_helptext">e.g. HDFC0001234</span>' in page  # fields without an error keep theirs
