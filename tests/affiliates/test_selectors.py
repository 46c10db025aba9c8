"""Balances, the monthly chart and the referred-users list: reads over the ledger and payouts."""

from __future__ import annotations

import datetime as dt

import pytest

from affiliates import selectors
from affiliates.models import Payout, PayoutDestination
from affiliates.services import commission_record_for_payment, commission_reverse_for_refund, payout_request
from tests.affiliates.factories import T0, payment, refer, refund
from tests.users.factories import UserFactory

DAY = dt.timedelta(days=1)
PAYPAL = PayoutDestination(paypal_email="alice@example.com")


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"USD": 100, "INR": 5000}


@pytest.fixture
def fan(charlie, alice):
    refer(charlie, by=alice)
    return charlie


def usd(alice, now):
    return selectors.balance_for_creator(creator=alice, currency="USD", now=now)


def test_a_commission_is_pending_for_the_hold_then_available(fan, alice):
    commission_record_for_payment(payment=payment(fan, amount_minor=360, paid_at=T0))

    assert (usd(alice, T0 + 29 * DAY).pending, usd(alice, T0 + 29 * DAY).available) == (144, 0)
    assert (usd(alice, T0 + 30 * DAY).pending, usd(alice, T0 + 30 * DAY).available) == (0, 144)


def test_balances_are_kept_per_currency(fan, alice):
    commission_record_for_payment(payment=payment(fan, amount_minor=360, currency="USD"))
    commission_record_for_payment(payment=payment(fan, amount_minor=29900, currency="INR"))

    balances = selectors.balance_list_for_creator(creator=alice, now=T0 + 31 * DAY)

    assert [(b.currency, b.available) for b in balances] == [("INR", 11960), ("USD", 144)]


def test_a_refund_during_the_hold_lowers_pending_and_never_touches_available(fan, alice):
    paid = payment(fan, amount_minor=360, paid_at=T0)
    commission_record_for_payment(payment=paid)
    commission_reverse_for_refund(refund=refund(paid, amount_minor=180, at=T0 + 5 * DAY))

    assert (usd(alice, T0 + 6 * DAY).pending, usd(alice, T0 + 6 * DAY).available) == (72, 0)
    assert usd(alice, T0 + 30 * DAY).available == 72


def test_a_refund_after_the_hold_lowers_available(fan, alice):
    paid = payment(fan, amount_minor=360, paid_at=T0)
    commission_record_for_payment(payment=paid)
    commission_reverse_for_refund(refund=refund(paid, at=T0 + 40 * DAY))

    assert usd(alice, T0 + 39 * DAY).available == 144
    assert usd(alice, T0 + 40 * DAY).available == 0


def test_a_payout_moves_money_from_available_to_in_payout_then_paid(fan, alice):
    for month in range(3):
        commission_record_for_payment(payment=payment(fan, amount_minor=360, paid_at=T0 + month * 30 * DAY))
    now = T0 + 61 * DAY  # two commissions past their hold, one pending
    payout = payout_request(creator=alice, amount_minor=200, currency="USD", destination=PAYPAL, now=now)

    assert usd(alice, now) == selectors.Balance("USD", pending=144, available=88, in_payout=200, paid=0)
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.PAID)
    assert usd(alice, now) == selectors.Balance("USD", pending=144, available=88, in_payout=0, paid=200)


@pytest.mark.parametrize("ending", [Payout.Status.REJECTED, Payout.Status.FAILED, Payout.Status.REVERSED])
def test_a_payout_that_did_not_arrive_is_available_again(fan, alice, ending):
    commission_record_for_payment(payment=payment(fan, amount_minor=360, paid_at=T0))
    now = T0 + 31 * DAY
    payout = payout_request(creator=alice, amount_minor=144, currency="USD", destination=PAYPAL, now=now)
    assert usd(alice, now).available == 0

    Payout.objects.filter(pk=payout.pk).update(status=ending)

    assert (usd(alice, now).available, usd(alice, now).in_payout, usd(alice, now).paid) == (144, 0, 0)


def test_only_the_creators_own_ledger_counts(fan, alice, bob):
    commission_record_for_payment(payment=payment(fan, paid_at=T0))

    assert selectors.balance_list_for_creator(creator=bob, now=T0 + 40 * DAY) == []


def test_the_monthly_chart_nets_reversals_and_fills_empty_months(fan, alice):
    march = payment(fan, amount_minor=360, paid_at=T0)
    commission_record_for_payment(payment=march)
    commission_record_for_payment(payment=payment(fan, amount_minor=1800, plan="creator", paid_at=T0 + 31 * DAY))
    commission_reverse_for_refund(refund=refund(march, amount_minor=180, at=T0 + 2 * DAY))

    [(currency, bars)] = selectors.commission_monthly_for_creator(
        creator=alice, months=3, now=T0 + 40 * DAY
    ).items()

    assert currency == "USD"
    assert [(bar.month, bar.amount_minor, bar.percent) for bar in bars] == [
        (dt.date(2026, 2, 1), 0, 0),
        (dt.date(2026, 3, 1), 72, 9),
        (dt.date(2026, 4, 1), 810, 100),
    ]


def test_referred_users_are_listed_anonymised_with_their_month_and_plan(alice):
    fan = UserFactory(email="gaurav.kumar@gmail.com")
    refer(fan, by=alice)

    [row] = selectors.referral_list_for_creator(creator=alice)

    assert (row.email_masked, row.plan) == ("g***@g***.com", "Free")
    assert row.joined == fan.date_joined.date().replace(day=1)


def test_a_public_page_refers_to_its_owner_and_a_private_one_to_nobody(alice):
    from tests.channels_app.factories import ChannelFactory

    ChannelFactory(owner=alice, slug="alice-cooks", is_public=True)
    ChannelFactory(owner=alice, slug="alice-secret", is_public=False)

    assert selectors.referrer_for_public_page(slug="alice-cooks") == alice.pk
    assert selectors.referrer_for_public_page(slug="alice-secret") is None
