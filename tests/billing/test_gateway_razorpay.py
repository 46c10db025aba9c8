"""RazorpayGateway: webhook signatures over the raw bytes (real vector + Razorpay's docs samples)
and the API client against a local HTTP server answering with recorded Razorpay responses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from billing.gateways import GatewayError, RazorpayGateway, WebhookEvent, WebhookVerificationError
from tests.billing.recording_server import Recorded, RecordingServer  # noqa: F401  (imported from here by other tests)

DATA = Path(__file__).parent / "data"
REALDATA = Path(
    os.environ.get("YOPPY_REALDATA") or Path(__file__).resolve().parents[3] / "shared" / "realdata"
)
RAZORPAY = REALDATA / "webhooks" / "razorpay"
DOCS = RAZORPAY / "docs_samples"
MOCKS = RAZORPAY / "razorpay_python_tests_mocks"
needs_realdata = pytest.mark.skipif(not RAZORPAY.is_dir(), reason=f"no real Razorpay samples at {RAZORPAY}")

SECRET = "whsec-current-7f3a"
PREVIOUS_SECRET = "whsec-previous-91bc"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def gateway(**kwargs: Any) -> RazorpayGateway:
    kwargs.setdefault("webhook_secrets", [SECRET])
    return RazorpayGateway("rzp_test_key", "rzp_test_secret", **kwargs)


def delivery(body: bytes, *, secret: str = SECRET, event_id: str = "") -> dict[str, str]:
    headers = {"X-Razorpay-Signature": sign(body, secret), "Content-Type": "application/json"}
    if event_id:
        headers["X-Razorpay-Event-Id"] = event_id
    return headers


@pytest.fixture
def vector() -> tuple[bytes, str, str]:
    if not RAZORPAY.is_dir():
        pytest.skip(f"no real Razorpay samples at {RAZORPAY}")
    spec = json.loads((RAZORPAY / "signature_test_vectors.json").read_text())["webhook_signature"]
    return (RAZORPAY / spec["body_file"]).read_bytes(), spec["secret"], spec["signature"]


# --- signature: the real vector from razorpay-python's own tests ---------------------------


def test_it_accepts_the_real_vector_signed_over_the_exact_file_bytes(vector):
    body, secret, signature = vector

    event = gateway(webhook_secrets=[secret]).verify_and_parse(
        body=body, headers={"X-Razorpay-Signature": signature}
    )

    assert (event.provider, event.event_type, event.payment_id) == (
        "razorpay",
        "payment.authorized",
        "pay_6koWN7bvxujzxM",
    )
    assert (event.amount_minor, event.currency) == (1000000, "INR")


def test_it_refuses_the_real_vector_once_the_same_json_is_re_serialised(vector):
    body, secret, signature = vector
    reserialised = json.dumps(json.loads(body)).encode()
    assert json.loads(reserialised) == json.loads(body) and reserialised != body

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway(webhook_secrets=[secret]).verify_and_parse(
            body=reserialised, headers={"X-Razorpay-Signature": signature}
        )


def test_it_refuses_the_real_vector_with_its_trailing_newline_stripped(vector):
    body, secret, signature = vector

    with pytest.raises(WebhookVerificationError):
        gateway(webhook_secrets=[secret]).verify_and_parse(
            body=body.rstrip(b"\n"), headers={"X-Razorpay-Signature": signature}
        )


def test_it_refuses_the_upstream_negative_case_of_a_made_up_signature_over_an_empty_body(vector):
    _, secret, _ = vector

    with pytest.raises(WebhookVerificationError):
        gateway(webhook_secrets=[secret]).verify_and_parse(
            body=b"", headers={"X-Razorpay-Signature": "test_signature"}
        )


# --- signature: failures and rotation ------------------------------------------------------

BODY = json.dumps({"event": "subscription.charged", "payload": {}, "created_at": 1700000000}).encode()


def test_it_refuses_a_webhook_without_a_signature_header():
    with pytest.raises(WebhookVerificationError, match="X-Razorpay-Signature"):
        gateway().verify_and_parse(body=BODY, headers={"Content-Type": "application/json"})


def test_it_refuses_a_tampered_body():
    headers = delivery(BODY)

    with pytest.raises(WebhookVerificationError):
        gateway().verify_and_parse(body=BODY.replace(b"1700000000", b"1700000001"), headers=headers)


def test_it_refuses_a_body_signed_with_another_secret():
    with pytest.raises(WebhookVerificationError) as caught:
        gateway().verify_and_parse(body=BODY, headers=delivery(BODY, secret="someone-elses-secret"))

    assert SECRET not in str(caught.value) and sign(BODY) not in str(caught.value)


def test_it_refuses_everything_when_no_secret_is_configured():
    with pytest.raises(WebhookVerificationError, match="not configured"):
        gateway(webhook_secrets=[""]).verify_and_parse(body=BODY, headers=delivery(BODY))


def test_it_wants_a_list_of_secrets_not_one_string():
    with pytest.raises(TypeError):
        gateway(webhook_secrets=SECRET)


def test_it_reads_the_signature_header_in_any_letter_case():
    event = gateway().verify_and_parse(body=BODY, headers={"x-razorpay-signature": sign(BODY)})

    assert event.event_type == "subscription.charged"


def test_during_rotation_it_accepts_the_current_and_the_previous_secret(caplog):
    rotating = gateway(webhook_secrets=[SECRET, PREVIOUS_SECRET])

    assert rotating.verify_and_parse(body=BODY, headers=delivery(BODY)).event_type == "subscription.charged"
    with caplog.at_level("INFO", logger="billing.gateways.razorpay"):
        assert rotating.verify_and_parse(body=BODY, headers=delivery(BODY, secret=PREVIOUS_SECRET))
    assert "previous secret #1" in caplog.text and PREVIOUS_SECRET not in caplog.text


def test_after_rotation_the_dropped_secret_is_refused():
    with pytest.raises(WebhookVerificationError):
        gateway(webhook_secrets=[SECRET]).verify_and_parse(
            body=BODY, headers=delivery(BODY, secret=PREVIOUS_SECRET)
        )


def test_a_signed_body_that_is_not_json_is_still_refused():
    with pytest.raises(WebhookVerificationError, match="not valid JSON"):
        gateway().verify_and_parse(body=b"not json", headers=delivery(b"not json"))


# --- parsing: Razorpay's own docs samples, signed here ---------------------------------------

SUB = "sub_DEX6xcJ1HSW4CR"
PLAN = "plan_BvrFKjSxauOH7N"

# file: (event_type, subscription_id, plan_id, payment_id, amount_minor, currency, created_at)
DOCS_SAMPLES = {
    "subscriptions/subscription.activated__Future_start_date_and_no_upfront_amount.json": (
        "subscription.activated",
        SUB,
        PLAN,
        "",
        None,
        "",
        1567690383,
    ),
    # This sample nests created_at inside payload; the parser finds it there.
    "subscriptions/subscription.activated__Immediate_start_date_Upfront_amount_Both.json": (
        "subscription.activated",
        SUB,
        PLAN,
        "pay_DEXFWroJ6LikKT",
        100000,
        "INR",
        1567690383,
    ),
    "subscriptions/subscription.charged.json": (
        "subscription.charged",
        SUB,
        PLAN,
        "pay_DEXFWroJ6LikKT",
        100000,
        "INR",
        1567690383,
    ),
    "subscriptions/subscription.pending.json": ("subscription.pending", SUB, PLAN, "", None, "", 1567691026),
    "subscriptions/subscription.halted.json": ("subscription.halted", SUB, PLAN, "", None, "", 1567691269),
    "subscriptions/subscription.cancelled.json": (
        "subscription.cancelled",
        "sub_DEXpmJhEIZK4fe",
        "plan_BvrHngQ0xLNnNG",
        "",
        None,
        "",
        1567692732,
    ),
    "subscriptions/subscription.completed.json": (
        "subscription.completed",
        SUB,
        PLAN,
        "pay_DEXkZ54GsNwVk9",
        100000,
        "INR",
        1567692150,
    ),
    # Razorpay's payment.failed samples carry "currency": "" — kept as "", never guessed.
    "payments/payment.failed__Card.json": (
        "payment.failed",
        "",
        "",
        "pay_DESp9bgForNoUd",
        100,
        "",
        1691735748,
    ),
    "payments/payment.failed__Netbanking.json": (
        "payment.failed",
        "",
        "",
        "pay_DEAU825sJlCbGa",
        50000,
        "",
        1567610215,
    ),
    "payments/payment.failed__UPI.json": (
        "payment.failed",
        "",
        "",
        "pay_DESyzxuld02Zul",
        100,
        "",
        1567675356,
    ),
    "payments/payment.failed__Wallets.json": (
        "payment.failed",
        "",
        "",
        "pay_Epiu9wz2hXBGsJ",
        10000,
        "",
        1589347099,
    ),
    # Refunds: the refund's own amount (50000), not the payment's (500000); payment_id is the
    # payment refunded.
    "refunds/refund.processed__Normal_Refunds.json": (
        "refund.processed",
        "",
        "",
        "pay_FPoJKWQQ8lK13n",
        50000,
        "INR",
        1597734071,
    ),
    "refunds/refund.created__Normal_Refunds.json": (
        "refund.created",
        "",
        "",
        "pay_FPoJKWQQ8lK13n",
        50000,
        "INR",
        1597734071,
    ),
}


@needs_realdata
@pytest.mark.parametrize("sample", sorted(DOCS_SAMPLES))
def test_it_parses_razorpays_docs_sample(sample):
    body = (DOCS / sample).read_bytes()
    event_type, subscription_id, plan_id, payment_id, amount, currency, created_at = DOCS_SAMPLES[sample]

    event = gateway().verify_and_parse(body=body, headers=delivery(body, event_id="evt_docs_1"))

    # The cycle end and refund id have their own tests below.
    assert replace(event, period_end=None, refund_id="") == WebhookEvent(
        provider="razorpay",
        event_id="evt_docs_1",
        event_type=event_type,
        subscription_id=subscription_id,
        payment_id=payment_id,
        amount_minor=amount,
        currency=currency,
        gateway_plan_id=plan_id,
        customer_ref="",
        occurred_at=datetime.fromtimestamp(created_at, tz=UTC),
    )
    assert event.raw == json.loads(body)


@needs_realdata
def test_a_subscription_event_gives_the_end_of_the_current_cycle():
    body = (DOCS / "subscriptions/subscription.charged.json").read_bytes()

    event = gateway().verify_and_parse(body=body, headers=delivery(body))

    assert event.period_end == datetime.fromtimestamp(1572892200, tz=UTC)


@needs_realdata
def test_a_refund_event_names_the_refund_and_the_payment_it_refunds():
    body = (DOCS / "refunds/refund.processed__Normal_Refunds.json").read_bytes()

    event = gateway().verify_and_parse(body=body, headers=delivery(body))

    assert (event.refund_id, event.payment_id, event.amount_minor) == (
        "rfnd_FS8TWyPrCsa0OB",
        "pay_FPoJKWQQ8lK13n",
        50000,
    )


def test_a_lost_dispute_is_a_chargeback_of_its_payment():
    dispute = {"id": "disp_1", "entity": "dispute", "payment_id": "pay_1", "amount": 36000, "currency": "INR",
               "phase": "chargeback", "status": "lost", "created_at": 1700000000}  # fmt: skip
    body = json.dumps({"entity": "event", "event": "payment.dispute.lost", "contains": ["dispute"],
                       "payload": {"dispute": {"entity": dispute}}, "created_at": 1700000100}).encode()  # fmt: skip

    event = gateway().verify_and_parse(body=body, headers=delivery(body))

    assert (event.event_type, event.refund_id, event.payment_id, event.amount_minor, event.currency) == (
        "payment.dispute.lost", "disp_1", "pay_1", 36000, "INR",
    )  # fmt: skip


@needs_realdata
def test_every_subscription_docs_sample_verifies_and_names_its_subscription_and_plan():
    for path in sorted((DOCS / "subscriptions").glob("*.json")):
        body = path.read_bytes()
        event = gateway().verify_and_parse(body=body, headers=delivery(body))
        assert event.subscription_id.startswith("sub_") and event.gateway_plan_id.startswith("plan_"), (
            path.name
        )


@needs_realdata
def test_without_an_event_id_header_the_id_is_a_hash_of_the_body_so_a_retry_still_deduplicates():
    body = (DOCS / "subscriptions/subscription.charged.json").read_bytes()

    first = gateway().verify_and_parse(body=body, headers=delivery(body))
    again = gateway().verify_and_parse(body=body, headers=delivery(body))

    assert first.event_id == again.event_id == "sha256:" + hashlib.sha256(body).hexdigest()


@needs_realdata
def test_our_reference_in_the_subscription_notes_becomes_customer_ref():
    data = json.loads((DOCS / "subscriptions/subscription.charged.json").read_text())
    data["payload"]["subscription"]["entity"]["notes"] = {"yoppy_ref": "user-42", "other": "x"}
    body = json.dumps(data).encode()

    assert gateway().verify_and_parse(body=body, headers=delivery(body)).customer_ref == "user-42"


@needs_realdata
def test_a_usd_subscription_keeps_its_own_plan_id_and_currency():
    # The original mapped only INR plan ids, so USD subscribers silently got Free.
    data = json.loads((DOCS / "subscriptions/subscription.charged.json").read_text())
    data["payload"]["subscription"]["entity"]["plan_id"] = "plan_USDcreator0001"
    data["payload"]["payment"]["entity"].update(amount=1800, currency="USD")
    body = json.dumps(data).encode()

    event = gateway().verify_and_parse(body=body, headers=delivery(body))

    assert (event.gateway_plan_id, event.amount_minor, event.currency) == ("plan_USDcreator0001", 1800, "USD")


# --- the API client against a local server -----------------------------------------------


@pytest.fixture
def server():
    running = RecordingServer()
    yield running
    running.stop()


def mock(name: str) -> bytes:
    path = MOCKS / name
    if not path.is_file():
        pytest.skip(f"no recorded Razorpay response at {path}")
    return path.read_bytes()


def ours(name: str) -> bytes:
    return (DATA / name).read_bytes()


def api(server: RecordingServer, **kwargs: Any) -> RazorpayGateway:
    return gateway(base_url=server.url, **kwargs)


BASIC = "Basic " + base64.b64encode(b"rzp_test_key:rzp_test_secret").decode()


def test_customer_create_posts_name_and_email_with_basic_auth_and_returns_the_id(server):
    server.answer("POST", "/v1/customers", (200, ours("razorpay_customer.json")))

    customer_id = api(server).customer_create(email="gaurav.kumar@example.com", name="Gaurav Kumar")

    assert customer_id == "cust_1Aa00000000004"
    [request] = server.requests
    assert request.headers["authorization"] == BASIC
    assert request.json() == {
        "name": "Gaurav Kumar",
        "email": "gaurav.kumar@example.com",
        "fail_existing": "0",
    }


def test_subscription_create_sends_plan_count_customer_and_our_reference_and_returns_the_checkout(server):
    server.answer("POST", "/v1/subscriptions", (200, ours("razorpay_subscription_created.json")))

    checkout = api(server).subscription_create(
        plan_id="plan_00000000000001",
        total_count=12,
        customer_id="cust_1Aa00000000004",
        customer_ref="user-42",
    )

    assert (checkout.subscription_id, checkout.checkout_url, checkout.status) == (
        "sub_00000000000001",
        "https://rzp.io/i/z3b1R61A9",
        "created",
    )
    [request] = server.requests
    assert (request.method, request.path, request.headers["authorization"]) == (
        "POST",
        "/v1/subscriptions",
        BASIC,
    )
    assert request.json() == {
        "plan_id": "plan_00000000000001",
        "total_count": 12,
        "customer_id": "cust_1Aa00000000004",
        "notes": {"yoppy_ref": "user-42"},
    }


@needs_realdata
def test_subscription_create_sends_the_sdks_recorded_request_and_reads_its_recorded_answer(server):
    server.answer("POST", "/v1/subscriptions", (200, mock("fake_subscription.json")))

    checkout = api(server).subscription_create(
        plan_id="plan_8kihN0YqhnF8a7", customer_id="cust_8kipRefUGdjnqY", total_count=6
    )

    assert server.requests[0].json() == json.loads(mock("init_subscription.json"))
    # The SDK's recorded subscription has no short_url: no checkout page, not an error.
    assert (checkout.subscription_id, checkout.checkout_url, checkout.status) == (
        "sub_8kip7ybbcOyc9J",
        "",
        "active",
    )


@needs_realdata
@pytest.mark.parametrize(("at_cycle_end", "flag"), [(False, 0), (True, 1)])
def test_subscription_cancel_posts_to_the_cancel_path_with_the_cycle_end_flag(server, at_cycle_end, flag):
    server.answer(
        "POST", "/v1/subscriptions/sub_8RlLljfA4AnDVx/cancel", (200, mock("fake_subscription_cancelled.json"))
    )

    cancelled = api(server).subscription_cancel("sub_8RlLljfA4AnDVx", at_cycle_end=at_cycle_end)

    assert cancelled["status"] == "cancelled"
    assert server.requests[0].json() == {"cancel_at_cycle_end": flag}


def test_an_id_cannot_escape_its_path_segment(server):
    with pytest.raises(GatewayError):
        api(server).subscription_cancel("../payouts")

    assert server.requests[0].path == "/v1/subscriptions/..%2Fpayouts/cancel"


def test_payout_create_sends_the_razorpayx_body_and_the_idempotency_key(server):
    server.answer("POST", "/v1/payouts", (200, ours("razorpay_payout.json")))

    payout = api(server).payout_create(
        account_number="7878780080316316",
        fund_account_id="fa_00000000000001",
        amount_minor=1000000,
        mode="imps",
        reference_id="commission-payout-17",
        idempotency_key="commission-payout-17",
        narration="Yoppy commission",
        notes={"creator": "user-42"},
    )

    assert (payout["id"], payout["status"]) == ("pout_00000000000001", "queued")
    [request] = server.requests
    assert request.headers["x-payout-idempotency"] == "commission-payout-17"
    assert request.headers["authorization"] == BASIC
    assert request.json() == {
        "account_number": "7878780080316316",
        "fund_account_id": "fa_00000000000001",
        "amount": 1000000,
        "currency": "INR",
        "mode": "IMPS",
        "purpose": "payout",
        "queue_if_low_balance": True,
        "reference_id": "commission-payout-17",
        "narration": "Yoppy commission",
        "notes": {"creator": "user-42"},
    }


@pytest.mark.parametrize("key", ["abc", "x" * 37, "payout/17", "", "ключ-1234"])
def test_payout_create_refuses_an_idempotency_key_razorpayx_would_reject(server, key):
    with pytest.raises(ValueError, match="idempotency_key"):
        api(server).payout_create(
            account_number="7878780080316316",
            fund_account_id="fa_1",
            amount_minor=10000,
            mode="IMPS",
            reference_id="r1",
            idempotency_key=key,
        )
    assert server.requests == []


@needs_realdata
def test_a_400_becomes_a_clear_non_retryable_error_with_razorpays_code_and_field(server):
    server.answer("POST", "/v1/subscriptions", (400, mock("bad_request_error.json")))

    with pytest.raises(GatewayError) as caught:
        api(server).subscription_create(plan_id="plan_x", total_count=1)

    error = caught.value
    assert (error.retryable, error.status, error.code) == (False, 400, "BAD_REQUEST_ERROR")
    assert str(error) == (
        "razorpay POST /v1/subscriptions: HTTP 400 BAD_REQUEST_ERROR: The amount is invalid (field amount)"
    )
    assert "rzp_test_secret" not in str(error)


def test_a_401_is_not_retryable(server):
    server.answer(
        "POST",
        "/v1/customers",
        (401, b'{"error": {"code": "BAD_REQUEST_ERROR", "description": "Authentication failed"}}'),
    )

    with pytest.raises(GatewayError) as caught:
        api(server).customer_create(email="a@example.com", name="A")

    assert (caught.value.retryable, caught.value.status) == (False, 401)
    assert "Authentication failed" in str(caught.value)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limits_and_server_errors_are_retryable(server, status):
    server.answer("POST", "/v1/customers", (status, b"<html>upstream trouble</html>"))

    with pytest.raises(GatewayError) as caught:
        api(server).customer_create(email="a@example.com", name="A")

    assert (caught.value.retryable, caught.value.status) == (True, status)


def test_a_timeout_is_retryable(server):
    server.answer("POST", "/v1/customers", (200, ours("razorpay_customer.json"), 1.0))

    with pytest.raises(GatewayError, match="timed out") as caught:
        api(server, timeout=0.2).customer_create(email="a@example.com", name="A")

    assert caught.value.retryable


def test_a_refused_connection_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    with pytest.raises(GatewayError) as caught:
        gateway(base_url=f"http://127.0.0.1:{closed_port}", timeout=2).customer_create(
            email="a@example.com", name="A"
        )

    assert caught.value.retryable
