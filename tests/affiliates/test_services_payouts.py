"""Payout requests (minimum, balance, racing requests, encryption) and staff decisions."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, connections

from affiliates import services
from affiliates.models import AuditEntry, Payout, PayoutDestination
from affiliates.services import PayoutRefused, PayoutStateError, commission_record_for_payment, payout_request
from tests.affiliates.factories import T0, payment, refer

NOW = T0 + dt.timedelta(days=31)
BANK = PayoutDestination(account_number="123456789012", ifsc="HDFC0001234", holder_name="Alice Rao")
PAYPAL = PayoutDestination(paypal_email="alice.rao@gmail.com")


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"INR": 50000, "USD": 1000}


def earn(creator, fan, *, inr: int = 0, usd: int = 0) -> None:
    """Give ``creator`` this much available commission (40 % Personal payments by ``fan``)."""
    if not hasattr(fan, "referral"):
        refer(fan, by=creator)
    if inr:
        commission_record_for_payment(payment=payment(fan, amount_minor=inr * 10 // 4, currency="INR", paid_at=T0))
    if usd:
        commission_record_for_payment(payment=payment(fan, amount_minor=usd * 10 // 4, currency="USD", paid_at=T0))


def test_a_creator_requests_a_bank_payout_of_part_of_their_available_inr(alice, charlie):
    earn(alice, charlie, inr=80000)

    payout = payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)

    assert (payout.status, payout.method, payout.amount_minor) == ("requested", "bank", 60000)
    assert payout.destination == BANK
    assert payout.destination_masked == "Bank account ••••9012 (HDFC)"


def test_a_request_below_the_minimum_payout_is_refused(alice, charlie):
    earn(alice, charlie, inr=80000)

    with pytest.raises(PayoutRefused, match="smallest payout is ₹500.00"):
        payout_request(creator=alice, amount_minor=49999, currency="INR", destination=BANK, now=NOW)


def test_a_request_above_the_available_balance_is_refused(alice, charlie):
    earn(alice, charlie, usd=1200)

    with pytest.raises(PayoutRefused, match=r"at most \$12.00"):
        payout_request(creator=alice, amount_minor=1201, currency="USD", destination=PAYPAL, now=NOW)


def test_pending_commission_cannot_be_withdrawn_yet(alice, charlie):
    earn(alice, charlie, usd=5000)

    with pytest.raises(PayoutRefused):
        payout_request(creator=alice, amount_minor=1000, currency="USD", destination=PAYPAL, now=T0)


def test_a_bank_transfer_is_only_in_inr(alice, charlie):
    earn(alice, charlie, usd=5000)

    with pytest.raises(PayoutRefused, match="INR"):
        payout_request(creator=alice, amount_minor=1000, currency="USD", destination=BANK, now=NOW)


def test_bank_details_are_encrypted_at_rest(alice, charlie):
    earn(alice, charlie, inr=80000)
    payout = payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM affiliates_payout WHERE id = %s", [payout.pk])
        raw = " ".join(str(value) for value in cursor.fetchone())

    for secret in ("123456789012", "HDFC0001234", "Alice Rao"):
        assert secret not in raw
    assert Payout.objects.get(pk=payout.pk).destination.account_number == "123456789012"


def test_the_destination_repr_and_the_payout_repr_are_masked(alice, charlie):
    earn(alice, charlie, inr=80000)
    payout = payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)

    for text in (repr(BANK), str(BANK), repr(payout), str(payout), repr(payout.destination)):
        assert "123456789012" not in text and "Alice Rao" not in text
    assert repr(PAYPAL) == "PayoutDestination(PayPal a***@g***.com)"


def test_a_destination_encrypted_under_an_old_key_still_decrypts_after_rotation(alice, charlie, settings):
    from cryptography.fernet import Fernet

    from yoppy import crypto

    earn(alice, charlie, inr=80000)
    payout = payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]

    assert Payout.objects.get(pk=payout.pk).destination == BANK
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(crypto.DecryptionError) as caught:
        _ = Payout.objects.get(pk=payout.pk).destination
    assert "123456789012" not in repr(caught.value)


def test_a_second_request_can_only_spend_what_the_first_left(alice, charlie):
    earn(alice, charlie, usd=2500)
    payout_request(creator=alice, amount_minor=1500, currency="USD", destination=PAYPAL, now=NOW)

    with pytest.raises(PayoutRefused):
        payout_request(creator=alice, amount_minor=1500, currency="USD", destination=PAYPAL, now=NOW)
    payout_request(creator=alice, amount_minor=1000, currency="USD", destination=PAYPAL, now=NOW)


@pytest.mark.django_db(transaction=True)
def test_of_two_requests_racing_for_the_same_balance_only_one_succeeds(alice, charlie, monkeypatch):
    from affiliates import selectors

    earn(alice, charlie, usd=1500)
    services.affiliate_profile_get_or_create(user=alice)
    read_balance = selectors.balance_for_creator

    def slow_balance(**kwargs):
        # Widen the window between reading the balance and spending it: without the lock both
        # requests would read $15.00 here and both be accepted.
        balance = read_balance(**kwargs)
        time.sleep(0.5)
        return balance

    monkeypatch.setattr(selectors, "balance_for_creator", slow_balance)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def request() -> None:
        try:
            start.wait(timeout=10)
            payout_request(creator=alice, amount_minor=1500, currency="USD", destination=PAYPAL, now=NOW)
            outcomes.append("paid")
        except PayoutRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["paid", "refused"]
    assert Payout.objects.filter(creator=alice).count() == 1


# --- staff decisions --------------------------------------------------------------------------


@pytest.fixture
def requested(alice, charlie):
    earn(alice, charlie, inr=80000)
    return payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)


@pytest.fixture
def requested_paypal(alice, charlie):
    earn(alice, charlie, usd=5000)
    return payout_request(creator=alice, amount_minor=5000, currency="USD", destination=PAYPAL, now=NOW)


def test_approving_a_bank_payout_queues_it_for_razorpayx_after_commit(
    requested, staff, django_capture_on_commit_callbacks
):
    import django_rq

    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_approve(payout=requested, actor=staff)

    assert (payout.status, payout.decided_by) == ("approved", staff)
    assert django_rq.get_queue("billing").job_ids == [f"affiliate-payout-send-{payout.pk}"]
    [entry] = AuditEntry.objects.all()
    assert (entry.actor, entry.action, entry.payout) == (staff, "payout_approve", payout)


def test_approving_a_paypal_payout_leaves_it_to_be_paid_by_hand(requested_paypal, staff):
    import django_rq

    payout = services.payout_approve(payout=requested_paypal, actor=staff)

    assert payout.status == Payout.Status.MANUAL
    assert django_rq.get_queue("billing").job_ids == []


def test_staff_mark_a_hand_paid_payout_paid_with_its_reference(requested_paypal, staff):
    services.payout_approve(payout=requested_paypal, actor=staff)

    payout = services.payout_mark_paid(payout=requested_paypal, actor=staff, reference="PAYPAL-TX-42", now=NOW)

    assert (payout.status, payout.reference, payout.paid_at) == ("paid", "PAYPAL-TX-42", NOW)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "detail")) == [
        ("payout_approve", {"amount_minor": 5000, "currency": "USD", "method": "paypal"}),
        ("payout_mark_paid", {"reference": "PAYPAL-TX-42"}),
    ]


def test_a_bank_payout_cannot_be_marked_paid_by_hand(requested, staff):
    services.payout_approve(payout=requested, actor=staff)

    with pytest.raises(PayoutStateError):
        services.payout_mark_paid(payout=requested, actor=staff, reference="x")


def test_rejecting_a_payout_records_the_reason_and_frees_the_balance(requested, staff, alice):
    from affiliates.selectors import balance_for_creator

    payout = services.payout_reject(payout=requested, actor=staff, reason="Holder name does not match")

    assert (payout.status, payout.rejection_reason) == ("rejected", "Holder name does not match")
    assert balance_for_creator(creator=alice, currency="INR", now=NOW).available == 80000
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.reason, entry.actor) == ("payout_reject", "Holder name does not match", staff)


def test_a_rejection_needs_a_reason(requested, staff):
    with pytest.raises(PayoutStateError):
        services.payout_reject(payout=requested, actor=staff, reason="  ")
    assert Payout.objects.get(pk=requested.pk).status == "requested"


def test_a_decided_payout_cannot_be_decided_again(requested, staff):
    services.payout_reject(payout=requested, actor=staff, reason="no")

    with pytest.raises(PayoutStateError):
        services.payout_approve(payout=requested, actor=staff)
    assert AuditEntry.objects.count() == 1


def test_audit_entries_cannot_be_edited(requested, staff):
    from affiliates.models import AppendOnlyError

    entry = services.payout_reject(payout=requested, actor=staff, reason="no").audit.get()
    entry.reason = "yes"
    with pytest.raises(AppendOnlyError):
        entry.save()
