"""PayPal payouts: approved in the admin → payout_send job → PayPal Payouts (a local server) →
PayPal's signed payout item webhooks settle the payout; without PayPal keys staff pay by hand."""

from __future__ import annotations

import datetime as dt
import json
import logging

import django_rq
import pytest
from cryptography import x509
from django.urls import reverse
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from affiliates import services, tasks
from affiliates.models import Payout, PayoutDestination
from affiliates.selectors import balance_for_creator
from affiliates.services import commission_record_for_payment, payout_request, payout_webhook_apply
from billing.gateways import GatewayError
from billing.gateways import paypal as paypal_module
from billing.models import WebhookDelivery
from tests.affiliates.factories import T0, payment, refer
from tests.billing.test_gateway_paypal import (
    DATA,
    EVENTS,
    TEST_CERT_URL,
    WEBHOOK_ID,
    CertFetcher,
    RecordingServer,
    local_gateway,
)

NOW = T0 + dt.timedelta(days=31)
PAYPAL = PayoutDestination(paypal_email="alice.rao@gmail.com")
CREATED = (DATA / "paypal_payout_created.json").read_bytes()


@pytest.fixture
def paypal(settings):
    """PayPal's API served locally, with keys configured."""
    running = RecordingServer()
    running.answer("POST", "/v1/oauth2/token", (200, (DATA / "paypal_token.json").read_bytes()))
    running.answer("POST", "/v1/payments/payouts", (201, CREATED))
    settings.PAYPAL_API_BASE = running.url
    settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = "client-id", "client-secret"
    settings.PAYPAL_WEBHOOK_ID, settings.PAYPAL_VERIFY_MODE = WEBHOOK_ID, "local"
    paypal_module._TOKEN_CACHE.clear()
    yield running
    running.stop()
    paypal_module._TOKEN_CACHE.clear()


@pytest.fixture
def requested(alice, charlie, settings):
    """Alice asks for the $1.44 she earned on Charlie's $3.60 Personal payment."""
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"USD": 100}
    refer(charlie, by=alice)
    commission_record_for_payment(payment=payment(charlie, amount_minor=360, currency="USD", paid_at=T0))
    return payout_request(creator=alice, amount_minor=144, currency="USD", destination=PAYPAL, now=NOW)


def approve(payout: Payout) -> Payout:
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.APPROVED)
    return Payout.objects.get(pk=payout.pk)


def sent(payout: Payout) -> Payout:
    """The payout as the job leaves it: PayPal accepted batch 5UXD2E8A7EBQJ."""
    Payout.objects.filter(pk=payout.pk).update(
        status=Payout.Status.PROCESSING, paypal_batch_id="5UXD2E8A7EBQJ", gateway_status="PENDING"
    )
    return Payout.objects.get(pk=payout.pk)


def event_body(event_type: str, payout: Payout, *, event_id: str = "", **resource) -> bytes:
    """PayPal's payout webhook fixture naming ``payout`` by our reference."""
    data = json.loads((EVENTS / f"{event_type}.json").read_text())
    if event_type.startswith("PAYMENT.PAYOUTSBATCH."):
        data["resource"]["batch_header"]["sender_batch_header"]["sender_batch_id"] = payout.reference_id
    else:
        data["resource"]["payout_item"]["sender_item_id"] = payout.reference_id
        data["resource"]["sender_batch_id"] = payout.reference_id
    data["resource"].update(resource)
    if event_id:
        data["id"] = event_id
    return json.dumps(data).encode()


def apply(signer, event_type: str, payout: Payout, **resource) -> str:
    """Sign, verify and parse the event with the real PayPalGateway, then apply it."""
    body = event_body(event_type, payout, **resource)
    event = local_gateway(CertFetcher({TEST_CERT_URL: signer.pem})).verify_and_parse(
        body=body, headers=signer.headers(body)
    )
    return payout_webhook_apply(event=event)


def post_webhook(client, signer, body: bytes):
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in signer.headers(body).items()}
    return client.post("/billing/webhooks/paypal/", body, content_type="application/json", **headers)


# --- the whole way ------------------------------------------------------------------------------


def test_a_paypal_payout_approved_in_the_admin_is_sent_by_the_job_and_paid_by_paypals_webhook(
    client, staff, alice, requested, paypal, paypal_signer, monkeypatch, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:affiliates_payout_changelist"), {"action": "approve", "_selected_action": [requested.pk]}
        )
    django_rq.get_worker("billing", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)

    _token, create = paypal.requests
    assert json.loads(create.body) == {
        "sender_batch_header": {"sender_batch_id": requested.reference_id,
                                "email_subject": "You have a payout from Yoppy"},
        "items": [{"recipient_type": "EMAIL", "amount": {"value": "1.44", "currency": "USD"},
                   "receiver": "alice.rao@gmail.com", "sender_item_id": requested.reference_id,
                   "note": "Your Yoppy referral commission"}],
    }  # fmt: skip
    requested.refresh_from_db()
    assert (requested.status, requested.paypal_batch_id, requested.gateway_status) == (
        "processing", "5UXD2E8A7EBQJ", "PENDING",
    )  # fmt: skip

    client.logout()
    monkeypatch.setitem(paypal_module._CERT_CACHE, TEST_CERT_URL, x509.load_pem_x509_certificate(paypal_signer.pem))
    response = post_webhook(client, paypal_signer, event_body("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", requested))

    assert response.status_code == 200
    requested.refresh_from_db()
    assert (requested.status, requested.reference, requested.paypal_item_id) == (
        "paid", "0C413693MN970190K", "8AELMXH8UB2P8",
    )  # fmt: skip
    assert requested.paid_at == dt.datetime(2026, 4, 1, 10, 18, 43, 41000, tzinfo=dt.UTC)  # the event's time
    assert WebhookDelivery.objects.get().outcome == f"payout #{requested.pk} paid"
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).paid == 144

    late = event_body("PAYMENT.PAYOUTS-ITEM.FAILED", requested, event_id="WH-LATE-FAILED-1")
    assert post_webhook(client, paypal_signer, late).status_code == 200

    requested.refresh_from_db()
    assert requested.status == "paid"
    assert WebhookDelivery.objects.get(event_id="WH-LATE-FAILED-1").outcome == (
        f"ignored: payout #{requested.pk} is already paid"
    )


def test_without_paypal_configured_an_approved_paypal_payout_is_left_to_pay_by_hand(requested, staff, settings):
    settings.PAYPAL_CLIENT_ID = ""

    payout = services.payout_approve(payout=requested, actor=staff)

    assert payout.status == Payout.Status.MANUAL
    assert django_rq.get_queue("billing").job_ids == []


def test_with_paypal_configured_approving_queues_the_send_job_after_commit(
    requested, staff, paypal, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payout = services.payout_approve(payout=requested, actor=staff)

    assert payout.status == Payout.Status.APPROVED
    assert django_rq.get_queue("billing").job_ids == [f"affiliate-payout-send-{payout.pk}"]


# --- the job ------------------------------------------------------------------------------------


def test_running_the_job_twice_sends_the_payout_once(requested, paypal):
    approve(requested)

    tasks.payout_send(requested.pk)
    tasks.payout_send(requested.pk)

    assert paypal.paths().count("/v1/payments/payouts") == 1


def test_a_retryable_error_keeps_the_payout_approved_and_the_retry_sends_the_same_batch_id(requested, paypal):
    approve(requested)
    paypal.answer("POST", "/v1/payments/payouts", (503, b'{"name": "SERVICE_UNAVAILABLE"}'), (201, CREATED))

    with pytest.raises(GatewayError):
        tasks.payout_send(requested.pk)
    requested.refresh_from_db()
    assert requested.status == "approved"

    tasks.payout_send(requested.pk)

    first, second = [r for r in paypal.requests if r.path == "/v1/payments/payouts"]
    assert first.body == second.body and first.headers["paypal-request-id"] == second.headers["paypal-request-id"]
    requested.refresh_from_db()
    assert requested.status == "processing"


def test_a_batch_id_paypal_already_has_means_an_earlier_attempt_got_through(requested, paypal):
    approve(requested)
    paypal.answer(
        "POST", "/v1/payments/payouts",
        (400, b'{"name": "USER_BUSINESS_ERROR", "message": "User business error.", "details": [{"field": '
              b'"SENDER_BATCH_ID", "issue": "Batch with given sender_batch_id already exists"}]}'),
    )  # fmt: skip

    tasks.payout_send(requested.pk)

    requested.refresh_from_db()
    assert (requested.status, requested.gateway_status, requested.failure_reason) == ("processing", "DUPLICATE", "")


def test_a_refused_payout_fails_and_its_money_is_available_again(alice, requested, paypal):
    approve(requested)
    paypal.answer(
        "POST", "/v1/payments/payouts",
        (422, b'{"name": "INSUFFICIENT_FUNDS", "message": "Sender does not have sufficient funds."}'),
    )  # fmt: skip

    tasks.payout_send(requested.pk)

    requested.refresh_from_db()
    assert requested.status == "failed"
    assert "INSUFFICIENT_FUNDS" in requested.failure_reason and "alice.rao" not in requested.failure_reason
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).available == 144


def test_a_batch_paypal_denies_at_once_fails_the_payout(alice, requested, paypal):
    approve(requested)
    denied = json.loads(CREATED)
    denied["batch_header"]["batch_status"] = "DENIED"
    paypal.answer("POST", "/v1/payments/payouts", (201, json.dumps(denied).encode()))

    tasks.payout_send(requested.pk)

    requested.refresh_from_db()
    assert (requested.status, requested.paypal_batch_id) == ("failed", "5UXD2E8A7EBQJ")
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).available == 144


def test_without_paypal_keys_the_job_fails_and_the_payout_stays_approved(requested, paypal, settings):
    from django.core.exceptions import ImproperlyConfigured

    approve(requested)
    settings.PAYPAL_CLIENT_SECRET = ""

    with pytest.raises(ImproperlyConfigured):
        tasks.payout_send(requested.pk)

    requested.refresh_from_db()
    assert requested.status == "approved" and paypal.requests == []


# --- PayPal's payout item events ----------------------------------------------------------------

ITEM_STATUS = {
    "SUCCEEDED": "paid",
    "PENDING": "processing",
    "HELD": "processing",
    "UNCLAIMED": "processing",
    "FAILED": "failed",
    "BLOCKED": "failed",
    "DENIED": "failed",
    "CANCELED": "failed",
    "RETURNED": "failed",
    "REFUNDED": "reversed",
    "REVERSED": "reversed",
}


@pytest.mark.parametrize(("name", "status"), sorted(ITEM_STATUS.items()))
def test_each_payout_item_event_gives_the_payout_its_status(paypal_signer, requested, name, status):
    payout = sent(requested)

    outcome = apply(paypal_signer, f"PAYMENT.PAYOUTS-ITEM.{name}", payout)

    payout.refresh_from_db()
    assert (outcome, payout.status, payout.paypal_item_id) == (f"payout #{payout.pk} {status}", status, "8AELMXH8UB2P8")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("FAILED", "Receiver's account is locked or inactive."),
        ("DENIED", "Transaction was declined by PayPal's risk checks."),
        ("RETURNED", "Not claimed within 30 days; PayPal returned the money."),
    ],
)
def test_a_paypal_payout_that_did_not_arrive_says_why_and_gives_the_money_back(
    paypal_signer, alice, requested, name, reason
):
    payout = sent(requested)
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).available == 0

    apply(paypal_signer, f"PAYMENT.PAYOUTS-ITEM.{name}", payout)

    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", reason)
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).available == 144


def test_an_unclaimed_payout_waits_and_fails_when_paypal_returns_it(paypal_signer, requested):
    payout = sent(requested)

    apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.UNCLAIMED", payout)
    payout.refresh_from_db()
    assert (payout.status, payout.gateway_status) == ("processing", "UNCLAIMED")

    apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.RETURNED", payout)
    payout.refresh_from_db()
    assert payout.status == "failed"


@pytest.mark.parametrize("later", ["REFUNDED", "REVERSED", "RETURNED", "FAILED", "PENDING"])
def test_events_after_a_paid_payout_are_ignored_and_money_taken_back_is_logged(
    paypal_signer, alice, requested, later, caplog
):
    payout = sent(requested)
    apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout)

    with caplog.at_level(logging.WARNING, logger="affiliates.services"):
        outcome = apply(paypal_signer, f"PAYMENT.PAYOUTS-ITEM.{later}", payout)

    payout.refresh_from_db()
    assert outcome == f"ignored: payout #{payout.pk} is already paid"
    assert (payout.status, payout.reference) == ("paid", "0C413693MN970190K")
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).paid == 144
    assert ("left paid, check by hand" in caplog.text) == (later != "PENDING")


def test_a_payout_is_found_by_paypals_item_id_once_known(paypal_signer, requested):
    payout = sent(requested)
    apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.UNCLAIMED", payout)

    # An item event names the item by sender_item_id too, but the stored item id is enough.
    body = json.loads(event_body("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout))
    body["resource"]["payout_item"]["sender_item_id"] = ""
    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=json.dumps(body).encode(), headers=paypal_signer.headers(json.dumps(body).encode())
    )

    assert payout_webhook_apply(event=event) == f"payout #{payout.pk} paid"


def test_an_item_naming_another_paypal_item_id_for_a_known_payout_is_ignored(paypal_signer, requested):
    payout = sent(requested)
    apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.UNCLAIMED", payout)

    outcome = apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout, payout_item_id="OTHERITEM123")

    payout.refresh_from_db()
    assert outcome == "ignored: no payout for PayPal item OTHERITEM123"
    assert payout.status == "processing"


def test_an_item_of_someone_elses_batch_is_ignored(paypal_signer, requested):
    payout = sent(requested)
    body = json.loads(event_body("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout))
    body["resource"]["payout_item"]["sender_item_id"] = "Payouts_2018_100007"
    raw = json.dumps(body).encode()
    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=raw, headers=paypal_signer.headers(raw)
    )

    assert payout_webhook_apply(event=event) == "ignored: no payout for PayPal item 8AELMXH8UB2P8"


def test_an_item_for_our_reference_with_another_amount_is_ignored(paypal_signer, requested):
    # Another deployment sharing the PayPal account numbers its payouts the same way.
    payout = sent(requested)
    resource = json.loads(event_body("PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout))["resource"]
    item = {**resource["payout_item"], "amount": {"value": "25.00", "currency": "USD"}}

    outcome = apply(paypal_signer, "PAYMENT.PAYOUTS-ITEM.SUCCEEDED", payout, payout_item=item)

    payout.refresh_from_db()
    assert outcome.startswith("ignored: PayPal item 8AELMXH8UB2P8 amount differs")
    assert payout.status == "processing"


def test_a_successful_batch_is_only_acknowledged(paypal_signer, requested):
    payout = sent(requested)

    assert apply(paypal_signer, "PAYMENT.PAYOUTSBATCH.SUCCESS", payout) == "ignored: batch event"
    payout.refresh_from_db()
    assert payout.status == "processing"


def test_a_denied_batch_fails_its_one_payout(paypal_signer, alice, requested):
    payout = sent(requested)

    assert apply(paypal_signer, "PAYMENT.PAYOUTSBATCH.DENIED", payout) == f"payout #{payout.pk} failed"
    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "PayPal denied the payout batch.")
    assert balance_for_creator(creator=alice, currency="USD", now=NOW).available == 144
