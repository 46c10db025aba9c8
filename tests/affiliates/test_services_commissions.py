"""The commission ledger: what a referred user's payments earn, what refunds take back, once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from affiliates.models import AppendOnlyError, Commission
from affiliates.services import commission_record_for_payment, commission_reverse_for_refund
from billing.models import Plan, Refund
from tests.affiliates.factories import T0, payment, refer, refund


@pytest.fixture
def fan(charlie, alice):
    refer(charlie, by=alice)
    return charlie


def test_a_referred_fans_3_60_personal_payment_earns_alice_exactly_144_cents(fan, alice):
    commission = commission_record_for_payment(payment=payment(fan, plan="personal", amount_minor=360))

    assert (commission.creator, commission.amount_minor, commission.currency) == (alice, 144, "USD")
    assert commission.rate == Decimal("0.400")


def test_a_creator_plan_payment_earns_45_percent(fan):
    commission = commission_record_for_payment(payment=payment(fan, plan="creator", amount_minor=1800))

    assert commission.amount_minor == 810


def test_an_inr_payment_earns_in_inr(fan):
    commission = commission_record_for_payment(
        payment=payment(fan, plan="personal", amount_minor=29900, currency="INR", provider="razorpay")
    )

    assert (commission.amount_minor, commission.currency) == (11960, "INR")


def test_half_a_minor_unit_rounds_up(fan):
    # 45 % of 10 cents is 4.5 → 5 (half-up, not banker's 4); 45 % of 1 001 cents is 450.45 → 450.
    assert commission_record_for_payment(payment=payment(fan, plan="creator", amount_minor=10)).amount_minor == 5
    assert commission_record_for_payment(payment=payment(fan, plan="creator", amount_minor=1001)).amount_minor == 450


def test_the_rate_is_the_plans_rate_at_payment_time(fan):
    Plan.objects.filter(slug="personal").update(affiliate_commission_rate=Decimal("0.250"))

    assert commission_record_for_payment(payment=payment(fan, amount_minor=360)).amount_minor == 90


def test_a_payment_by_a_user_nobody_referred_earns_nothing(bob):
    assert commission_record_for_payment(payment=payment(bob)) is None
    assert not Commission.objects.exists()


def test_a_plan_with_a_zero_rate_earns_nothing(fan):
    Plan.objects.filter(slug="personal").update(affiliate_commission_rate=0)

    assert commission_record_for_payment(payment=payment(fan)) is None


def test_the_same_payment_delivered_twice_earns_once(fan):
    paid = payment(fan)

    first = commission_record_for_payment(payment=paid)
    again = commission_record_for_payment(payment=paid)

    assert first == again and Commission.objects.count() == 1


def test_a_commission_becomes_available_after_the_holding_period(fan, settings):
    settings.AFFILIATE_HOLD_DAYS = 30

    commission = commission_record_for_payment(payment=payment(fan, paid_at=T0))

    assert commission.available_at == T0 + dt.timedelta(days=30)


def test_a_full_refund_reverses_the_whole_commission(fan):
    paid = payment(fan, amount_minor=360)
    commission_record_for_payment(payment=paid)

    reversal = commission_reverse_for_refund(refund=refund(paid))

    assert (reversal.kind, reversal.amount_minor, reversal.currency) == ("reversal", -144, "USD")


def test_a_partial_refund_reverses_in_proportion(fan):
    paid = payment(fan, amount_minor=360)
    commission_record_for_payment(payment=paid)

    reversal = commission_reverse_for_refund(refund=refund(paid, amount_minor=90))

    assert reversal.amount_minor == -36


def test_partial_refunds_adding_up_to_the_payment_reverse_exactly_what_was_earned(fan):
    paid = payment(fan, plan="creator", amount_minor=1001)  # earned 450
    commission_record_for_payment(payment=paid)

    for amount in (333, 333, 335):
        commission_reverse_for_refund(refund=refund(paid, amount_minor=amount))

    assert sum(Commission.objects.values_list("amount_minor", flat=True)) == 0


def test_refunds_beyond_the_payment_never_reverse_more_than_was_earned(fan):
    paid = payment(fan, amount_minor=360)
    commission_record_for_payment(payment=paid)

    commission_reverse_for_refund(refund=refund(paid))
    extra = commission_reverse_for_refund(refund=refund(paid, amount_minor=100))

    assert extra.amount_minor == 0
    assert sum(Commission.objects.values_list("amount_minor", flat=True)) == 0


def test_a_chargeback_reverses_like_a_refund(fan):
    paid = payment(fan, amount_minor=360)
    commission_record_for_payment(payment=paid)

    assert commission_reverse_for_refund(refund=refund(paid, kind=Refund.Kind.CHARGEBACK)).amount_minor == -144


def test_the_same_refund_delivered_twice_reverses_once(fan):
    paid = payment(fan)
    commission_record_for_payment(payment=paid)
    refunded = refund(paid, amount_minor=100)

    first = commission_reverse_for_refund(refund=refunded)
    again = commission_reverse_for_refund(refund=refunded)

    assert first == again and Commission.objects.filter(kind="reversal").count() == 1


def test_a_refund_of_a_payment_that_earned_nothing_reverses_nothing(bob):
    assert commission_reverse_for_refund(refund=refund(payment(bob))) is None


def test_a_reversal_during_the_hold_comes_off_the_pending_commission(fan):
    paid = payment(fan, paid_at=T0)
    earning = commission_record_for_payment(payment=paid)

    reversal = commission_reverse_for_refund(refund=refund(paid, at=T0 + dt.timedelta(days=2)))

    assert reversal.available_at == earning.available_at


def test_a_reversal_after_the_hold_comes_off_the_available_balance_at_once(fan):
    paid = payment(fan, paid_at=T0)
    commission_record_for_payment(payment=paid)
    late = T0 + dt.timedelta(days=45)

    assert commission_reverse_for_refund(refund=refund(paid, at=late)).available_at == late


def test_the_ledger_cannot_be_edited_or_deleted(fan):
    commission = commission_record_for_payment(payment=payment(fan))

    commission.amount_minor = 1_000_000
    with pytest.raises(AppendOnlyError):
        commission.save()
    with pytest.raises(AppendOnlyError):
        commission.delete()
    with pytest.raises(AppendOnlyError):
        Commission.objects.filter(pk=commission.pk).update(amount_minor=1)
    with pytest.raises(AppendOnlyError):
        Commission.objects.all().delete()
    assert Commission.objects.get().amount_minor == 144


def test_the_database_itself_refuses_a_second_row_for_the_same_payment_or_refund(fan):
    from django.db import IntegrityError, transaction

    paid = payment(fan)
    earning = commission_record_for_payment(payment=paid)
    reversal = commission_reverse_for_refund(refund=refund(paid, amount_minor=100))

    for row in (earning, reversal):
        copy = {f.attname: getattr(row, f.attname) for f in Commission._meta.concrete_fields if f.name != "id"}
        with pytest.raises(IntegrityError), transaction.atomic():
            Commission.objects.create(**copy)
