"""payout_webhook_apply: RazorpayX payout.* events move our payout, final states stay final."""

from __future__ import annotations

import datetime as dt

import pytest

from affiliates.models import Payout, PayoutDestination
from affiliates.selectors import balance_for_creator
from affiliates.services import commission_record_for_payment, payout_request, payout_webhook_apply
from tests.affiliates.factories import T0, payment, payout_event, refer

NOW = T0 + dt.timedelta(days=31)
BANK = PayoutDestination(account_number="123456789012", ifsc="HDFC0001234", holder_name="Alice Rao")


@pytest.fixture
def sent(alice, charlie, settings):
    """A bank payout of ₹600 that the payout_send job handed to RazorpayX as pout_A."""
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"INR": 50000}
    refer(charlie, by=alice)
    commission_record_for_payment(payment=payment(charlie, amount_minor=200000, currency="INR", paid_at=T0))
    payout = payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.PROCESSING, razorpay_payout_id="pout_A", gateway_status="queued"
    )
    return Payout.objects.get(pk=payout.pk)


def apply(payout: Payout, event: str, **kwargs) -> str:
    kwargs.setdefault("payout_id", "pout_A")
    kwargs.setdefault("reference_id", payout.reference_id)
    return payout_webhook_apply(event=payout_event(event=event, **kwargs))


def test_a_processed_payout_is_paid_with_its_utr(sent):
    outcome = apply(sent, "payout.processed", utr="933815383814")

    sent.refresh_from_db()
    assert outcome == f"payout #{sent.pk} paid"
    assert (sent.status, sent.reference, sent.gateway_status) == ("paid", "933815383814", "processed")
    assert sent.paid_at == dt.datetime(2018, 12, 21, 9, 5, 20, tzinfo=dt.UTC)  # the event's created_at


@pytest.mark.parametrize("event", ["payout.queued", "payout.pending", "payout.initiated"])
def test_a_payout_on_its_way_stays_processing(sent, event):
    status = {"payout.initiated": "processing"}.get(event, "")

    apply(sent, event, status=status)

    sent.refresh_from_db()
    assert sent.status == "processing"


def test_payout_updated_takes_the_status_from_the_entity(sent):
    apply(sent, "payout.updated", status="processed", utr="UTR1")

    sent.refresh_from_db()
    assert (sent.status, sent.reference) == ("paid", "UTR1")


@pytest.mark.parametrize(
    ("event", "status"), [("payout.failed", "failed"), ("payout.reversed", "reversed"), ("payout.rejected", "failed")]
)
def test_a_payout_that_did_not_arrive_gives_the_money_back_to_the_available_balance(sent, alice, event, status):
    assert balance_for_creator(creator=alice, currency="INR", now=NOW).available == 20000

    apply(sent, event, failure_reason="Beneficiary bank offline")

    sent.refresh_from_db()
    assert (sent.status, sent.failure_reason) == (status, "Beneficiary bank offline")
    assert balance_for_creator(creator=alice, currency="INR", now=NOW).available == 80000


@pytest.mark.parametrize("later", ["payout.reversed", "payout.failed", "payout.queued", "payout.processed"])
def test_events_after_a_final_one_are_ignored(sent, alice, later):
    apply(sent, "payout.processed", utr="UTR1")

    outcome = apply(sent, later, utr="UTR2")

    sent.refresh_from_db()
    assert outcome == f"ignored: payout #{sent.pk} is already paid"
    assert (sent.status, sent.reference) == ("paid", "UTR1")
    assert balance_for_creator(creator=alice, currency="INR", now=NOW).paid == 60000


def test_a_failed_payout_stays_failed_when_a_late_processing_event_arrives(sent):
    apply(sent, "payout.failed")

    apply(sent, "payout.processed")

    sent.refresh_from_db()
    assert sent.status == "failed"


def test_a_payout_is_found_by_our_reference_when_the_job_never_saved_razorpays_id(sent):
    # The job crashed after RazorpayX accepted the payout: only the reference_id links them.
    Payout.objects.filter(pk=sent.pk).update(status=Payout.Status.APPROVED, razorpay_payout_id="")

    apply(sent, "payout.processed", payout_id="pout_NEW")

    sent.refresh_from_db()
    assert (sent.status, sent.razorpay_payout_id) == ("paid", "pout_NEW")


def test_an_unknown_payout_is_ignored(sent):
    assert apply(sent, "payout.processed", payout_id="pout_other", reference_id="someone-else-1") == (
        "ignored: no payout for pout_other"
    )
    sent.refresh_from_db()
    assert sent.status == "processing"


def test_a_reference_naming_another_payout_with_a_different_razorpay_id_is_ignored(sent):
    assert apply(sent, "payout.processed", payout_id="pout_forged").startswith("ignored")


def test_an_event_without_a_payout_entity_is_ignored(db):
    from billing.gateways import WebhookEvent

    event = WebhookEvent(provider="razorpay", event_id="e1", event_type="payout.processed", raw={"payload": {}})

    assert payout_webhook_apply(event=event) == "ignored: payout.processed without a payout entity"
