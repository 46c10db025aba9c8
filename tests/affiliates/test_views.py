"""The earnings page: balances, chart, anonymised referrals, and the payout request form."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from affiliates.models import Payout
from affiliates.services import commission_record_for_payment
from tests.affiliates.factories import payment, refer
from tests.users.factories import UserFactory

URL = reverse("affiliates:earnings")
POST_URL = reverse("affiliates:payout_request")
BANK = {"currency": "INR", "amount": "600.00", "method": "bank", "account_number": "1234 5678 9012",
        "ifsc": "hdfc0001234", "holder_name": "Alice Rao"}  # fmt: skip


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"INR": 50000, "USD": 1000}


@pytest.fixture
def fan(alice):
    fan = UserFactory(email="gaurav.kumar@gmail.com")
    refer(fan, by=alice)
    return fan


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def earned(fan, *, amount_minor=360, currency="USD", days_ago=40):
    return commission_record_for_payment(
        payment=payment(fan, amount_minor=amount_minor, currency=currency,
                        paid_at=timezone.now() - dt.timedelta(days=days_ago))
    )  # fmt: skip


def test_the_earnings_page_needs_a_login(client):
    response = client.get(URL)

    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_a_personal_subscription_of_a_referred_fan_shows_as_1_44_dollars(alice_client, fan):
    earned(fan, amount_minor=360)

    page = alice_client.get(URL).content.decode()

    assert "<strong>$1.44</strong>" in page


def test_recent_commission_is_shown_pending(alice_client, fan):
    earned(fan, amount_minor=1800, days_ago=1)

    page = alice_client.get(URL).content.decode()

    assert "<td>$7.20</td>" in page and "<strong>$0.00</strong>" in page


def test_referred_users_are_anonymised(alice_client, fan):
    page = alice_client.get(URL).content.decode()

    assert "g***@g***.com" in page and "gaurav" not in page


def test_the_monthly_chart_is_drawn_on_the_server(alice_client, fan):
    earned(fan, days_ago=1)

    page = alice_client.get(URL).content.decode()

    assert '<svg class="bar-chart"' in page and "<script" not in page.split('id="monthly-chart"')[1]


def test_bob_sees_none_of_alices_earnings(client, bob, fan):
    earned(fan)
    client.force_login(bob)

    page = client.get(URL).content.decode()

    assert "$1.44" not in page and "g***@g***.com" not in page


def test_the_page_shows_the_creators_referral_link(alice_client, alice):
    page = alice_client.get(URL).content.decode()

    assert f"/?ref={alice.affiliate_profile.code}" in page


def test_a_payout_request_over_htmx_answers_with_the_payouts_partial_and_masks_the_account(alice_client, fan):
    earned(fan, amount_minor=200000, currency="INR")

    response = alice_client.post(POST_URL, BANK, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="payouts"')
    assert "Bank account ••••9012 (HDFC)" in page and "₹600.00" in page
    assert "123456789012" not in page and "Alice Rao" not in page
    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.currency, payout.destination.ifsc) == (60000, "INR", "HDFC0001234")


def test_a_payout_request_without_htmx_redirects_to_the_page(alice_client, fan):
    earned(fan, amount_minor=200000, currency="INR")

    response = alice_client.post(POST_URL, BANK)

    assert response.status_code == 302 and response["Location"] == URL


def test_the_payout_form_never_shows_the_bank_details_in_error_reports(alice_client, fan):
    response = alice_client.post(POST_URL, BANK, HTTP_HX_REQUEST="true")

    assert set(response.wsgi_request.sensitive_post_parameters) >= {"account_number", "ifsc", "holder_name"}


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("ifsc", "HDFC1001234", "An IFSC is 4 letters, a 0"),
        ("account_number", "12345abc90", "9 to 18 digits"),
        ("account_number", "12345678", "9 to 18 digits"),
        ("holder_name", "", "Required for a bank transfer"),
    ],
)
def test_invalid_bank_details_are_refused_without_echoing_the_account_number(alice_client, fan, field, value, error):
    earned(fan, amount_minor=200000, currency="INR")

    page = alice_client.post(POST_URL, {**BANK, field: value}, HTTP_HX_REQUEST="true").content.decode()

    assert error in page
    assert "1234 5678 9012" not in page and "123456789012" not in page
    assert not Payout.objects.exists()


def test_a_paypal_payout_needs_a_valid_email(alice_client, fan):
    earned(fan, amount_minor=5000)
    data = {"currency": "USD", "amount": "20", "method": "paypal", "paypal_email": "not-an-email"}

    page = alice_client.post(POST_URL, data, HTTP_HX_REQUEST="true").content.decode()

    assert "Enter a valid email address." in page and not Payout.objects.exists()


def test_a_paypal_payout_request_is_shown_masked(alice_client, fan):
    earned(fan, amount_minor=5000)
    data = {"currency": "USD", "amount": "20", "method": "paypal", "paypal_email": "alice.rao@gmail.com"}

    page = alice_client.post(POST_URL, data, HTTP_HX_REQUEST="true").content.decode()

    assert "PayPal a***@g***.com" in page and "alice.rao@gmail.com" not in page


def test_a_request_below_the_minimum_payout_shows_why(alice_client, fan):
    earned(fan, amount_minor=200000, currency="INR")

    page = alice_client.post(POST_URL, {**BANK, "amount": "100"}, HTTP_HX_REQUEST="true").content.decode()

    assert "The smallest payout is ₹500.00." in page and not Payout.objects.exists()


def test_a_request_above_the_available_balance_shows_the_most_that_can_be_withdrawn(alice_client, fan):
    earned(fan, amount_minor=200000, currency="INR")

    page = alice_client.post(POST_URL, {**BANK, "amount": "900"}, HTTP_HX_REQUEST="true").content.decode()

    assert "You can withdraw at most ₹800.00 in INR." in page and not Payout.objects.exists()
