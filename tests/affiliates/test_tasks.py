"""The payout_send job: approved in the admin → RQ job → RazorpayX (a local server) → webhook."""

from __future__ import annotations

import datetime as dt

import django_rq
import pytest
from django.urls import reverse
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from affiliates import tasks
from affiliates.models import Payout, PayoutDestination
from affiliates.selectors import balance_for_creator
from affiliates.services import commission_record_for_payment, payout_request, payout_webhook_apply
from billing.gateways import GatewayError
from tests.affiliates.factories import T0, payment, payout_event, refer
from tests.billing.test_gateway_razorpay import RecordingServer, ours

NOW = T0 + dt.timedelta(days=31)
BANK = PayoutDestination(account_number="123456789012", ifsc="HDFC0001234", holder_name="Alice Rao")


@pytest.fixture
def razorpayx(settings):
    running = RecordingServer()
    settings.RAZORPAY_API_BASE = running.url
    settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET = "rzp_test_key", "rzp_test_secret"
    settings.RAZORPAYX_ACCOUNT_NUMBER = "7878780080316316"
    settings.AFFILIATE_PAYOUT_MODE = "IMPS"
    running.answer("POST", "/v1/contacts", (200, ours("razorpay_contact.json")))
    running.answer("POST", "/v1/fund_accounts", (200, ours("razorpay_fund_account.json")))
    running.answer("POST", "/v1/payouts", (200, ours("razorpay_payout.json")))
    yield running
    running.stop()


@pytest.fixture
def requested(alice, charlie, settings):
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"INR": 50000}
    refer(charlie, by=alice)
    commission_record_for_payment(payment=payment(charlie, amount_minor=200000, currency="INR", paid_at=T0))
    return payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)


def approve(payout: Payout) -> Payout:
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.APPROVED)
    return Payout.objects.get(pk=payout.pk)


def test_a_payout_approved_in_the_admin_is_paid_through_razorpayx_and_closed_by_its_webhook(
    client, staff, alice, requested, razorpayx, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:affiliates_payout_changelist"), {"action": "approve", "_selected_action": [requested.pk]}
        )

    # The worker runs the job in this process, inside the test's transaction.
    django_rq.get_worker("billing", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)

    contact, fund_account, payout_call = razorpayx.requests
    assert contact.json()["reference_id"] == f"yoppy-creator-{alice.pk}"
    assert fund_account.json()["bank_account"] == {
        "name": "Alice Rao", "ifsc": "HDFC0001234", "account_number": "123456789012"
    }  # fmt: skip
    assert payout_call.headers["x-payout-idempotency"] == f"yoppy-payout-{requested.pk}"
    assert payout_call.json() == {
        "account_number": "7878780080316316",
        "fund_account_id": "fa_00000000000001",
        "amount": 60000,
        "currency": "INR",
        "mode": "IMPS",
        "purpose": "payout",
        "queue_if_low_balance": True,
        "reference_id": f"yoppy-payout-{requested.pk}",
        "narration": "Yoppy commission",
        "notes": {"payout": str(requested.pk)},
    }
    requested.refresh_from_db()
    assert (requested.status, requested.razorpay_payout_id) == ("processing", "pout_00000000000001")

    outcome = payout_webhook_apply(
        event=payout_event(event="payout.processed", payout_id="pout_00000000000001", utr="933815383814")
    )

    requested.refresh_from_db()
    assert outcome == f"payout #{requested.pk} paid"
    assert (requested.status, requested.reference) == ("paid", "933815383814")
    assert balance_for_creator(creator=alice, currency="INR", now=NOW).paid == 60000


def test_running_the_job_twice_sends_the_payout_once(requested, razorpayx):
    approve(requested)

    tasks.payout_send(requested.pk)
    tasks.payout_send(requested.pk)

    assert [r.path for r in razorpayx.requests] == ["/v1/contacts", "/v1/fund_accounts", "/v1/payouts"]


def test_a_job_for_a_payout_that_is_not_approved_does_nothing(requested, razorpayx):
    tasks.payout_send(requested.pk)  # still only requested
    tasks.payout_send(999_999)

    assert razorpayx.requests == []


def test_a_retryable_error_keeps_the_payout_approved_and_the_retry_uses_the_same_idempotency_key(
    requested, razorpayx
):
    approve(requested)
    razorpayx.answer(
        "POST", "/v1/payouts", (503, b"<html>busy</html>"), (200, ours("razorpay_payout.json"))
    )

    with pytest.raises(GatewayError):
        tasks.payout_send(requested.pk)
    requested.refresh_from_db()
    assert requested.status == "approved"

    tasks.payout_send(requested.pk)

    first, second = [r for r in razorpayx.requests if r.path == "/v1/payouts"]
    assert first.headers["x-payout-idempotency"] == second.headers["x-payout-idempotency"]
    assert first.body == second.body
    requested.refresh_from_db()
    assert requested.status == "processing"


def test_a_refused_payout_fails_and_its_money_is_available_again(alice, requested, razorpayx):
    approve(requested)
    razorpayx.answer(
        "POST", "/v1/fund_accounts",
        (400, b'{"error": {"code": "BAD_REQUEST_ERROR", "description": "Invalid IFSC Code", "field": "ifsc"}}'),
    )  # fmt: skip

    tasks.payout_send(requested.pk)

    requested.refresh_from_db()
    assert requested.status == "failed"
    assert "Invalid IFSC Code" in requested.failure_reason
    assert "123456789012" not in requested.failure_reason
    assert balance_for_creator(creator=alice, currency="INR", now=NOW).available == 80000


def test_without_razorpayx_configured_the_job_fails_and_the_payout_stays_approved(requested, razorpayx, settings):
    from django.core.exceptions import ImproperlyConfigured

    approve(requested)
    settings.RAZORPAYX_ACCOUNT_NUMBER = ""

    with pytest.raises(ImproperlyConfigured):
        tasks.payout_send(requested.pk)

    requested.refresh_from_db()
    assert requested.status == "approved" and razorpayx.requests == []
