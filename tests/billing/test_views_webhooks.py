"""The webhook endpoints over HTTP: signed deliveries are applied once, anything else writes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from pathlib import Path

import pytest
from cryptography import x509
from django.db import connection
from django.test import Client

from billing.gateways import paypal as paypal_module
from billing.models import Payment, Subscription, WebhookDelivery
from tests.billing.factories import checkout, gateway_plans
from tests.billing.test_gateway_paypal import TEST_CERT_URL, WEBHOOK_ID, event_body

REALDATA = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "webhooks" / "razorpay" / "docs_samples"
CURRENT, PREVIOUS = "whsec-current-91b2", "whsec-previous-04aa"
RAZORPAY_URL = "/billing/webhooks/razorpay/"
PAYPAL_URL = "/billing/webhooks/paypal/"


@pytest.fixture(autouse=True)
def _gateways(settings, db):
    settings.RAZORPAY_KEY_ID, settings.RAZORPAY_KEY_SECRET = "rzp_test_key", "rzp_test_secret"
    settings.RAZORPAY_WEBHOOK_SECRETS = [CURRENT, PREVIOUS]
    settings.PAYPAL_CLIENT_ID, settings.PAYPAL_CLIENT_SECRET = "pp-client", "pp-secret"
    settings.PAYPAL_WEBHOOK_ID = WEBHOOK_ID
    settings.PAYPAL_VERIFY_MODE = "local"
    gateway_plans()


def charged_body(*, sub: str = "sub_1", payment: str = "pay_1", amount: int = 29900) -> bytes:
    """A subscription.charged delivery shaped like Razorpay's, with our ids."""
    return json.dumps({
        "entity": "event", "account_id": "acc_1", "event": "subscription.charged", "contains": ["subscription", "payment"],
        "payload": {
            "subscription": {"entity": {"id": sub, "entity": "subscription", "plan_id": "plan_personal_inr",
                                        "status": "active", "current_end": 1777000000, "notes": []}},
            "payment": {"entity": {"id": payment, "entity": "payment", "amount": amount, "currency": "INR",
                                   "status": "captured", "notes": []}},
        },
        "created_at": 1774000000,
    }, separators=(",", ":")).encode()  # fmt: skip


def razorpay_post(client: Client, body: bytes, *, secret: str = CURRENT, event_id: str = "evt_1", **headers):
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {"HTTP_X_RAZORPAY_SIGNATURE": signature, "HTTP_X_RAZORPAY_EVENT_ID": event_id, **headers}
    return client.post(RAZORPAY_URL, body, content_type="application/json", **headers)


@pytest.mark.django_db
def test_a_signed_charge_is_applied_and_acknowledged(client, alice):
    checkout(alice)

    response = razorpay_post(client, charged_body())

    assert response.status_code == 200
    assert Payment.objects.get().amount_minor == 29900
    assert Subscription.objects.get().status == "active"


@pytest.mark.django_db
def test_an_event_signed_with_the_previous_secret_still_verifies(client, alice):
    checkout(alice)

    assert razorpay_post(client, charged_body(), secret=PREVIOUS).status_code == 200
    assert Payment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda body, headers: (body.replace(b"29900", b"29901"), headers), id="tampered body"),
        pytest.param(
            lambda body, headers: (json.dumps(json.loads(body), indent=2).encode(), headers), id="re-serialised JSON"
        ),
        pytest.param(
            lambda body, headers: (body, {**headers, "HTTP_X_RAZORPAY_SIGNATURE": hmac.new(
                b"wrong-secret", body, hashlib.sha256).hexdigest()}), id="wrong secret"),  # fmt: skip
        pytest.param(lambda body, headers: (body, {"HTTP_X_RAZORPAY_EVENT_ID": "evt_1"}), id="missing signature"),
    ],
)
def test_a_delivery_that_does_not_verify_gets_400_and_writes_nothing(client, alice, spoil):
    checkout(alice)
    body = charged_body()
    headers = {
        "HTTP_X_RAZORPAY_SIGNATURE": hmac.new(CURRENT.encode(), body, hashlib.sha256).hexdigest(),
        "HTTP_X_RAZORPAY_EVENT_ID": "evt_1",
    }
    body, headers = spoil(body, headers)

    response = client.post(RAZORPAY_URL, body, content_type="application/json", **headers)

    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists() and not Payment.objects.exists()
    assert Subscription.objects.get().status == "created"


@pytest.mark.django_db
def test_an_unknown_provider_is_404(client):
    assert client.post("/billing/webhooks/stripe/", b"{}", content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_only_post_is_accepted(client):
    assert client.get(RAZORPAY_URL).status_code == 405


@pytest.mark.django_db
def test_five_deliveries_in_sequence_have_one_effect_and_all_get_2xx(client, alice):
    checkout(alice)

    codes = [razorpay_post(client, charged_body()).status_code for _ in range(5)]

    assert codes == [200] * 5
    assert Payment.objects.count() == 1 and WebhookDelivery.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_five_deliveries_at_the_same_moment_have_one_effect_and_all_get_2xx(alice):
    checkout(alice)
    body = charged_body()
    start = threading.Barrier(5)
    codes: list[int] = []

    def deliver() -> None:
        try:
            start.wait()
            codes.append(razorpay_post(Client(), body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [200] * 5
    assert Payment.objects.count() == 1 and WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_refund_before_its_charge_gets_409_so_the_gateway_retries(client, alice):
    checkout(alice)
    refund = json.dumps({
        "entity": "event", "event": "refund.processed", "contains": ["refund", "payment"],
        "payload": {"refund": {"entity": {"id": "rfnd_1", "entity": "refund", "amount": 10000, "currency": "INR",
                                          "payment_id": "pay_1", "notes": []}}},
        "created_at": 1774500000,
    }).encode()  # fmt: skip

    assert razorpay_post(client, refund, event_id="evt_refund").status_code == 409
    assert razorpay_post(client, charged_body(), event_id="evt_charge").status_code == 200
    assert razorpay_post(client, refund, event_id="evt_refund").status_code == 200
    assert Payment.objects.get().refunds.get().amount_minor == 10000


@pytest.mark.django_db
def test_a_verified_webhook_clears_the_cached_plan_when_it_commits(client, alice, django_capture_on_commit_callbacks):
    from billing.selectors import plan_get_for_user

    checkout(alice)
    assert plan_get_for_user(user=alice).slug == "free"  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        razorpay_post(client, charged_body())

    assert plan_get_for_user(user=alice).slug == "personal"


@pytest.mark.django_db
def test_a_signed_paypal_activation_with_a_cached_certificate_is_applied(client, alice, monkeypatch, paypal_signer):
    checkout(alice, provider="paypal", sub="I-BW452GLLEP1G", currency="USD")
    data = json.loads(event_body("BILLING.SUBSCRIPTION.ACTIVATED"))
    data["resource"]["plan_id"] = "P-PERSONAL-USD"
    body = json.dumps(data).encode()
    monkeypatch.setitem(paypal_module._CERT_CACHE, TEST_CERT_URL, x509.load_pem_x509_certificate(paypal_signer.pem))
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in paypal_signer.headers(body).items()}

    response = client.post(PAYPAL_URL, body, content_type="application/json", **headers)

    assert response.status_code == 200
    assert Subscription.objects.get().status == "active"


@pytest.mark.django_db
def test_a_forged_paypal_activation_grants_nothing(client, alice, monkeypatch, paypal_signer):
    checkout(alice, provider="paypal", sub="I-BW452GLLEP1G", currency="USD")
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    monkeypatch.setitem(paypal_module._CERT_CACHE, TEST_CERT_URL, x509.load_pem_x509_certificate(paypal_signer.pem))
    headers = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in paypal_signer.headers(body).items()}
    forged = body.replace(b"I-BW452GLLEP1G", b"I-FORGED000000")

    assert client.post(PAYPAL_URL, forged, content_type="application/json", **headers).status_code == 400
    assert client.post(PAYPAL_URL, body, content_type="application/json").status_code == 400  # unsigned
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
@pytest.mark.skipif(not REALDATA.is_dir(), reason="no Razorpay docs samples beside the project")
def test_every_razorpay_docs_sample_is_acknowledged_through_the_endpoint(client):
    samples = sorted(REALDATA.rglob("*.json"))

    codes = {path.name: razorpay_post(client, path.read_bytes(), event_id=f"evt_{i}").status_code
             for i, path in enumerate(samples)}  # fmt: skip

    # Refunds of payments we never saw ask for a redelivery; everything else is acknowledged.
    assert {name for name, code in codes.items() if code == 409} == {
        name for name in codes if name.startswith("refund.processed")
    }
    assert all(code in (200, 409) for code in codes.values())


def activated_body(*, sub: str = "sub_1") -> bytes:
    return json.dumps({
        "entity": "event", "account_id": "acc_1", "event": "subscription.activated", "contains": ["subscription"],
        "payload": {"subscription": {"entity": {"id": sub, "entity": "subscription", "plan_id": "plan_personal_inr",
                                                "status": "active", "current_end": 1777000000, "notes": []}}},
        "created_at": 1774000001,
    }, separators=(",", ":")).encode()  # fmt: skip


@pytest.mark.django_db
def test_a_signed_body_replayed_under_a_new_event_id_has_no_effect_and_no_second_email(
    client, alice, django_capture_on_commit_callbacks
):
    import django_rq

    checkout(alice)
    queue = django_rq.get_queue("billing")
    body = activated_body()

    with django_capture_on_commit_callbacks(execute=True):
        first = razorpay_post(client, body, event_id="evt_original")
    with django_capture_on_commit_callbacks(execute=True):
        replay = razorpay_post(client, body, event_id="evt_forged_new_id")

    assert first.status_code == 200 and first.json() == {"status": "ok"}
    assert replay.status_code == 200 and replay.json() == {"status": "duplicate"}
    assert WebhookDelivery.objects.count() == 1
    # One follow-up job (the "your subscription is active" e-mail), for the first delivery only.
    assert [job.args for job in queue.get_jobs()] == [[WebhookDelivery.objects.get().pk]]


@pytest.mark.django_db
def test_two_different_signed_bodies_are_two_deliveries(client, alice):
    checkout(alice)
    assert razorpay_post(client, activated_body(), event_id="evt_a").json() == {"status": "ok"}
    assert razorpay_post(client, charged_body(), event_id="evt_b").json() == {"status": "ok"}
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("url", [RAZORPAY_URL, PAYPAL_URL])
def test_a_deeply_nested_webhook_body_is_a_clear_400_not_a_500(client, url):
    body = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    if url == RAZORPAY_URL:
        response = razorpay_post(client, body)
    else:
        response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_signed_but_deeply_nested_razorpay_body_is_refused_with_400(client):
    body = b"[" * 5000 + b"]" * 5000
    response = razorpay_post(client, body)
    assert response.status_code == 400 and not WebhookDelivery.objects.exists()
