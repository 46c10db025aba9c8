"""PayPalGateway: webhook verification (PayPal's official signature vector, forgeries, the
certificate URL allow-list, certificate caching and dates, API mode) and the REST client
(OAuth token caching, subscriptions) against a local HTTP server with recorded answers."""

from __future__ import annotations

import base64
import json
import os
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from billing.gateways import GatewayError, PayPalGateway, WebhookEvent, WebhookVerificationError
from billing.gateways import paypal as paypal_module
from billing.gateways.paypal import cert_url_allowed
from tests.billing.recording_server import Recorded, RecordingServer  # noqa: F401  (imported from here by other tests)

DATA = Path(__file__).parent / "data"
EVENTS = DATA / "paypal_events"
REALDATA = Path(
    os.environ.get("YOPPY_REALDATA") or Path(__file__).resolve().parents[3] / "shared" / "realdata"
)
PAYPAL = REALDATA / "webhooks" / "paypal"
MOCKS = PAYPAL / "paypal_node_sdk_sandbox_mocks"
needs_realdata = pytest.mark.skipif(not PAYPAL.is_dir(), reason=f"no real PayPal samples at {PAYPAL}")

WEBHOOK_ID = "8PT597110X687430LKGECATA"
TEST_CERT_URL = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-yoppytest"
EVIL_CERT_URL = "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"


@pytest.fixture(autouse=True)
def _no_tokens_from_other_tests():
    # Tokens are cached per (base_url, client_id); a port reused by a later test must not
    # inherit an earlier test's token.
    paypal_module._TOKEN_CACHE.clear()
    yield
    paypal_module._TOKEN_CACHE.clear()


# --- a throwaway PayPal-like signer for events that have no public signed delivery ----------


@dataclass
class Signer:
    key: rsa.RSAPrivateKey
    pem: bytes

    def headers(
        self,
        body: bytes,
        *,
        webhook_id: str = WEBHOOK_ID,
        cert_url: str = TEST_CERT_URL,
        transmission_id: str = "b02ef980-9fce-11eb-b0ec-5bc241fbaaf3",
        transmission_time: str = "2024-04-01T09:58:21Z",
    ) -> dict[str, str]:
        message = f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}"
        signature = self.key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": transmission_time,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": cert_url,
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "Content-Type": "application/json",
        }


def make_signer(common_name: str, *, not_before: datetime, not_after: datetime) -> Signer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return Signer(key, certificate.public_bytes(serialization.Encoding.PEM))


VALID_FROM, VALID_UNTIL = datetime(2020, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def paypal_signer() -> Signer:
    """Stands in for PayPal: its certificate is issued to PayPal's signing host name."""
    return make_signer(
        "messageverificationcerts.sandbox.paypal.com", not_before=VALID_FROM, not_after=VALID_UNTIL
    )


@pytest.fixture(scope="module")
def attacker() -> Signer:
    return make_signer(
        "messageverificationcerts.sandbox.paypal.com.evil.example",
        not_before=VALID_FROM,
        not_after=VALID_UNTIL,
    )


class CertFetcher:
    """The injectable fetcher: serves PEMs by URL and counts fetches."""

    def __init__(self, pems: dict[str, bytes]) -> None:
        self.pems = pems
        self.fetched: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        if url not in self.pems:
            raise WebhookVerificationError("paypal certificate download: HTTP 404")
        return self.pems[url]


def local_gateway(fetcher: CertFetcher, **kwargs: Any) -> PayPalGateway:
    kwargs.setdefault("cert_cache", {})
    return PayPalGateway(
        "client-id", "client-secret", kwargs.pop("webhook_id", WEBHOOK_ID), cert_fetcher=fetcher, **kwargs
    )


def event_body(name: str) -> bytes:
    return (EVENTS / f"{name}.json").read_bytes()


# --- PayPal's official signature vector ------------------------------------------------------


@dataclass
class Vector:
    body: bytes
    headers: dict[str, str]
    webhook_id: str
    pem: bytes
    sent_at: datetime


@pytest.fixture
def vector() -> Vector:
    if not PAYPAL.is_dir():
        pytest.skip(f"no real PayPal samples at {PAYPAL}")
    spec = json.loads((PAYPAL / "signature_test_vector.json").read_text())
    return Vector(
        body=(PAYPAL / spec["body_file"]).read_bytes(),
        headers=spec["headers"],
        webhook_id=spec["webhook_id"],
        pem=(PAYPAL / spec["cert_file"]).read_bytes(),
        sent_at=datetime.fromisoformat(spec["headers"]["PAYPAL-TRANSMISSION-TIME"]),
    )


def vector_gateway(vector: Vector, **kwargs: Any) -> tuple[PayPalGateway, CertFetcher]:
    fetcher = CertFetcher({vector.headers["PAYPAL-CERT-URL"]: vector.pem})
    kwargs.setdefault("clock", lambda: vector.sent_at)  # check the certificate as of sending
    return local_gateway(fetcher, webhook_id=vector.webhook_id, **kwargs), fetcher


def test_it_accepts_paypals_official_vector_checked_as_of_its_transmission_time(vector):
    gateway, fetcher = vector_gateway(vector)

    event = gateway.verify_and_parse(body=vector.body, headers=vector.headers)

    assert event == WebhookEvent(
        provider="paypal",
        event_id="WH-0G2756385H040842W-5Y612302CV158622M",
        event_type="PAYMENT.SALE.COMPLETED",
        subscription_id="",  # a 2015 one-off sale: no billing_agreement_id
        payment_id="4EU7004268015634R",
        amount_minor=2000,
        currency="USD",
        occurred_at=datetime(2015, 5, 18, 15, 45, 13, tzinfo=UTC),
    )
    assert fetcher.fetched == [vector.headers["PAYPAL-CERT-URL"]]


def test_it_refuses_the_official_vector_today_because_its_certificate_expired_in_2017(vector):
    gateway, _ = vector_gateway(vector, clock=lambda: datetime.now(UTC))

    with pytest.raises(WebhookVerificationError, match="expired"):
        gateway.verify_and_parse(body=vector.body, headers=vector.headers)


def test_allowing_expired_certificates_explicitly_accepts_the_official_vector_today(vector):
    gateway, _ = vector_gateway(vector, clock=lambda: datetime.now(UTC), allow_expired_certs=True)

    assert (
        gateway.verify_and_parse(body=vector.body, headers=vector.headers).payment_id == "4EU7004268015634R"
    )


def test_it_refuses_a_certificate_that_is_not_valid_yet(vector):
    gateway, _ = vector_gateway(vector, clock=lambda: datetime(2015, 3, 1, tzinfo=UTC))

    with pytest.raises(WebhookVerificationError, match="not yet valid"):
        gateway.verify_and_parse(body=vector.body, headers=vector.headers)


def test_it_refuses_the_official_vector_re_serialised(vector):
    gateway, _ = vector_gateway(vector)
    reserialised = json.dumps(json.loads(vector.body), indent=1).encode()

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=reserialised, headers=vector.headers)


def test_it_refuses_the_official_vector_with_a_changed_amount(vector):
    gateway, _ = vector_gateway(vector)

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=vector.body.replace(b'"20.00"', b'"2000.00"'), headers=vector.headers)


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("PAYPAL-TRANSMISSION-ID", "dfb3be50-fd74-11e4-8bf3-77339302725c"),
        ("PAYPAL-TRANSMISSION-TIME", "2015-05-18T15:45:14Z"),
        ("PAYPAL-TRANSMISSION-SIG", "A" * 344),
    ],
)
def test_it_refuses_the_official_vector_with_a_changed_header(vector, header, value):
    gateway, _ = vector_gateway(vector)

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=vector.body, headers={**vector.headers, header: value})


def test_it_refuses_the_official_vector_for_another_webhook_id(vector):
    gateway, _ = vector_gateway(vector)
    gateway.webhook_id = "4JH86294D6297924H"

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=vector.body, headers=vector.headers)


def test_it_refuses_a_signature_that_is_not_base64(vector):
    gateway, _ = vector_gateway(vector)

    with pytest.raises(WebhookVerificationError, match="base64"):
        gateway.verify_and_parse(
            body=vector.body, headers={**vector.headers, "PAYPAL-TRANSMISSION-SIG": "not*base64"}
        )


def test_it_refuses_any_auth_algo_but_sha256_with_rsa(vector):
    gateway, fetcher = vector_gateway(vector)

    with pytest.raises(WebhookVerificationError, match="auth algo"):
        gateway.verify_and_parse(
            body=vector.body, headers={**vector.headers, "PAYPAL-AUTH-ALGO": "SHA1withRSA"}
        )
    assert fetcher.fetched == []


@pytest.mark.parametrize(
    "header",
    [
        "PAYPAL-TRANSMISSION-ID",
        "PAYPAL-TRANSMISSION-TIME",
        "PAYPAL-TRANSMISSION-SIG",
        "PAYPAL-CERT-URL",
        "PAYPAL-AUTH-ALGO",
    ],
)
def test_it_refuses_a_delivery_missing_a_signature_header_and_names_it(vector, header):
    gateway, fetcher = vector_gateway(vector)
    headers = {name: value for name, value in vector.headers.items() if name != header}

    with pytest.raises(WebhookVerificationError, match=header):
        gateway.verify_and_parse(body=vector.body, headers=headers)
    assert fetcher.fetched == []


def test_it_reads_signature_headers_in_any_letter_case(vector):
    gateway, _ = vector_gateway(vector)
    lower = {name.lower(): value for name, value in vector.headers.items()}

    assert gateway.verify_and_parse(body=vector.body, headers=lower).event_type == "PAYMENT.SALE.COMPLETED"


# --- forged activations: the original's hole ---------------------------------------------------


def test_an_unsigned_subscription_activation_is_refused(paypal_signer):
    gateway = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem}))

    with pytest.raises(WebhookVerificationError, match="PAYPAL-TRANSMISSION-ID"):
        gateway.verify_and_parse(
            body=event_body("BILLING.SUBSCRIPTION.ACTIVATED"), headers={"Content-Type": "application/json"}
        )


def test_an_activation_signed_by_someone_else_but_pointing_at_paypals_certificate_is_refused(
    paypal_signer, attacker
):
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    gateway = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem}))

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=body, headers=attacker.headers(body, cert_url=TEST_CERT_URL))


def test_an_activation_pointing_at_the_forgers_own_certificate_host_is_refused_before_any_download(attacker):
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    fetcher = CertFetcher({EVIL_CERT_URL: attacker.pem})

    with pytest.raises(WebhookVerificationError, match="not on a PayPal host"):
        local_gateway(fetcher).verify_and_parse(
            body=body, headers=attacker.headers(body, cert_url=EVIL_CERT_URL)
        )
    assert fetcher.fetched == []


def test_a_certificate_not_issued_to_paypals_signing_host_is_refused(attacker):
    # Defence in depth: even served from a PayPal URL, only PayPal's signing certificate counts.
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    gateway = local_gateway(CertFetcher({TEST_CERT_URL: attacker.pem}))

    with pytest.raises(WebhookVerificationError, match="not issued to PayPal"):
        gateway.verify_and_parse(body=body, headers=attacker.headers(body, cert_url=TEST_CERT_URL))


def test_the_official_vectors_headers_replayed_on_a_forged_activation_are_refused(vector):
    gateway, _ = vector_gateway(vector)

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=event_body("BILLING.SUBSCRIPTION.ACTIVATED"), headers=vector.headers)


# --- the certificate URL allow-list --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
        "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
        "https://api-m.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
        "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
        "https://api-m.paypal.com:443/v1/notifications/certs/CERT-1",
        "https://API.PayPal.com/v1/notifications/certs/CERT-1",
    ],
)
def test_paypal_certificate_urls_are_allowed(url):
    assert cert_url_allowed(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
        "https://evil.example/api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
        "https://evil.example\\@api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com\\.evil.example/v1/notifications/certs/CERT-1",
        "https://api.paypal.com./v1/notifications/certs/CERT-1",
        "https://paypal.com/v1/notifications/certs/CERT-1",
        "https://www.paypal.com/v1/notifications/certs/CERT-1",
        "https://evilapi.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
        "https://api.paypal.com:99999/v1/notifications/certs/CERT-1",
        "https://api.paypal.com/v1/oauth2/token",
        "https://api.paypal.com/v1/notifications/certs/../../../evil",
        "https://api.paypal.com/v1/notifications/certs/CERT-1?next=https://evil.example/cert",
        "https://api.paypal.com/v1/notifications/certs/CERT-1#fragment",
        "https://api.paypal.com/v1/notifications/certs/CERT-1%0A",
        "ftp://api.paypal.com/v1/notifications/certs/CERT-1",
        "//api.paypal.com/v1/notifications/certs/CERT-1",
        "https://api.paypal.com /v1/notifications/certs/CERT-1",
        "",
    ],
)
def test_lookalike_and_plain_http_certificate_urls_are_refused(url):
    assert not cert_url_allowed(url)


# --- certificate cache ---------------------------------------------------------------------------


def test_the_certificate_is_downloaded_once_per_url_and_then_served_from_the_cache(paypal_signer):
    other_url = TEST_CERT_URL.replace("yoppytest", "yoppytest2")
    fetcher = CertFetcher({TEST_CERT_URL: paypal_signer.pem, other_url: paypal_signer.pem})
    cache: dict[str, x509.Certificate] = {}
    gateway = local_gateway(fetcher, cert_cache=cache)
    body = event_body("PAYMENT.SALE.COMPLETED")

    gateway.verify_and_parse(body=body, headers=paypal_signer.headers(body))
    gateway.verify_and_parse(body=body, headers=paypal_signer.headers(body, transmission_id="second"))
    # A new gateway (one per request) sharing the cache does not download again either.
    local_gateway(fetcher, cert_cache=cache).verify_and_parse(body=body, headers=paypal_signer.headers(body))
    gateway.verify_and_parse(body=body, headers=paypal_signer.headers(body, cert_url=other_url))

    assert fetcher.fetched == [TEST_CERT_URL, other_url]
    assert set(cache) == {TEST_CERT_URL, other_url}


def test_a_refused_certificate_is_not_cached(attacker):
    fetcher = CertFetcher({TEST_CERT_URL: attacker.pem})
    cache: dict[str, x509.Certificate] = {}
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")

    for _ in range(2):
        with pytest.raises(WebhookVerificationError):
            local_gateway(fetcher, cert_cache=cache).verify_and_parse(
                body=body, headers=attacker.headers(body)
            )

    assert cache == {} and len(fetcher.fetched) == 2


def test_a_cached_certificate_is_still_refused_once_it_expires(paypal_signer):
    cache: dict[str, x509.Certificate] = {}
    fetcher = CertFetcher({TEST_CERT_URL: paypal_signer.pem})
    body = event_body("BILLING.SUBSCRIPTION.CANCELLED")
    local_gateway(fetcher, cert_cache=cache).verify_and_parse(body=body, headers=paypal_signer.headers(body))

    later = local_gateway(fetcher, cert_cache=cache, clock=lambda: VALID_UNTIL + timedelta(seconds=1))
    with pytest.raises(WebhookVerificationError, match="expired"):
        later.verify_and_parse(body=body, headers=paypal_signer.headers(body))


def test_a_download_that_is_not_a_certificate_is_refused():
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    fetcher = CertFetcher({TEST_CERT_URL: b"<html>maintenance</html>"})
    headers = {
        "PAYPAL-TRANSMISSION-ID": "t",
        "PAYPAL-TRANSMISSION-TIME": "2024-01-01T00:00:00Z",
        "PAYPAL-TRANSMISSION-SIG": base64.b64encode(b"x" * 256).decode(),
        "PAYPAL-CERT-URL": TEST_CERT_URL,
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }

    with pytest.raises(WebhookVerificationError, match="not a PEM"):
        local_gateway(fetcher).verify_and_parse(body=body, headers=headers)


# --- parsing the subscription events we act on --------------------------------------------------

SUB, PLAN = "I-BW452GLLEP1G", "P-5ML4271244454362WXNWU5NQ"

# event: (subscription_id, payment_id, amount_minor, currency, plan_id, customer_ref, occurred_at)
EXPECTED = {
    # No amount on activation: money is counted on PAYMENT.SALE.COMPLETED only.
    "BILLING.SUBSCRIPTION.ACTIVATED": (SUB, "", None, "", PLAN, "user-42", "2024-04-01T09:58:20.123+00:00"),
    "BILLING.SUBSCRIPTION.CANCELLED": (SUB, "", None, "", PLAN, "user-42", "2024-06-02T11:42:48.514+00:00"),
    "BILLING.SUBSCRIPTION.SUSPENDED": (SUB, "", None, "", PLAN, "user-42", "2024-06-03T08:00:01+00:00"),
    "BILLING.SUBSCRIPTION.PAYMENT.FAILED": (
        SUB,
        "",
        360,
        "USD",
        PLAN,
        "user-42",
        "2024-05-01T10:05:09+00:00",
    ),
    # A sale names no plan: billing finds it through the subscription id.
    "PAYMENT.SALE.COMPLETED": (
        SUB,
        "44P499886K055384U",
        1800,
        "USD",
        "",
        "user-42",
        "2024-04-01T09:58:35.950+00:00",
    ),
    # A refund's payment_id is the sale refunded; its negative total is a positive amount.
    "PAYMENT.SALE.REFUNDED": (
        SUB,
        "44P499886K055384U",
        1800,
        "USD",
        "",
        "user-42",
        "2024-04-20T15:42:24+00:00",
    ),
}


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_it_verifies_and_parses_the_subscription_event(paypal_signer, event_type):
    body = event_body(event_type)
    subscription_id, payment_id, amount, currency, plan_id, customer_ref, occurred = EXPECTED[event_type]

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    # The cycle end and refund id have their own tests below.
    assert replace(event, period_end=None, refund_id="") == WebhookEvent(
        provider="paypal",
        event_id=json.loads(body)["id"],
        event_type=event_type,
        subscription_id=subscription_id,
        payment_id=payment_id,
        amount_minor=amount,
        currency=currency,
        gateway_plan_id=plan_id,
        customer_ref=customer_ref,
        occurred_at=datetime.fromisoformat(occurred),
    )


@pytest.mark.parametrize("event_type", sorted(e for e in EXPECTED if e.startswith("BILLING.")))
def test_a_subscription_event_gives_the_next_billing_time_as_period_end(paypal_signer, event_type):
    body = event_body(event_type)
    billing_info = json.loads(body)["resource"].get("billing_info") or {}

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    expected = billing_info.get("next_billing_time")
    assert event.period_end == (datetime.fromisoformat(expected) if expected else None)


def test_a_refund_names_its_own_id_and_the_sale_it_refunds(paypal_signer):
    body = event_body("PAYMENT.SALE.REFUNDED")
    resource = json.loads(body)["resource"]

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    assert (event.refund_id, event.payment_id) == (resource["id"], resource["sale_id"])


def test_a_reversal_is_parsed_like_a_refund(paypal_signer):
    data = json.loads(event_body("PAYMENT.SALE.REFUNDED"))
    data["event_type"] = "PAYMENT.SALE.REVERSED"
    data["id"] = "WH-REVERSED-1"
    body = json.dumps(data).encode()

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    assert (event.refund_id, event.payment_id, event.amount_minor) == (
        data["resource"]["id"], data["resource"]["sale_id"], 1800,
    )  # fmt: skip


@needs_realdata
def test_a_sale_with_the_legacy_custom_field_gives_it_as_customer_ref(paypal_signer):
    body = (PAYPAL / "slots_booker_event-sale-completed.json").read_bytes()

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    assert (event.payment_id, event.amount_minor, event.currency) == ("8DD45480M3876045S", 100, "GBP")
    assert event.customer_ref == "place=663256237643868344,profile=87348398764847854"


def test_a_signed_body_without_an_event_id_is_refused(paypal_signer):
    body = json.dumps({"event_type": "BILLING.SUBSCRIPTION.ACTIVATED", "resource": {}}).encode()

    with pytest.raises(WebhookVerificationError, match="no id"):
        local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
            body=body, headers=paypal_signer.headers(body)
        )


# --- a local PayPal API ---------------------------------------------------------------------------


TOKEN = json.loads((DATA / "paypal_token.json").read_text())["access_token"]


@pytest.fixture
def server():
    running = RecordingServer(not_found=b'{"name": "RESOURCE_NOT_FOUND"}')
    running.answer("POST", "/v1/oauth2/token", (200, (DATA / "paypal_token.json").read_bytes()))
    yield running
    running.stop()


def api_gateway(server: RecordingServer, **kwargs: Any) -> PayPalGateway:
    return PayPalGateway("client-id", "client-secret", WEBHOOK_ID, server.url, **kwargs)


def recorded_mock(name: str) -> bytes:
    path = MOCKS / name
    if not path.is_file():
        pytest.skip(f"no recorded PayPal response at {path}")
    return json.dumps(json.loads(path.read_text())["response_body"]).encode()


# --- API-mode verification ----------------------------------------------------------------------


@needs_realdata
def test_api_mode_asks_paypal_with_the_headers_our_webhook_id_and_the_event_bytes_as_received(server, vector):
    server.answer(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        (200, recorded_mock("POST_v1_notifications_verify_webhook_signature_200.json")),
    )

    event = api_gateway(server, verify_mode="api").verify_and_parse(body=vector.body, headers=vector.headers)

    assert event.event_id == "WH-0G2756385H040842W-5Y612302CV158622M"
    assert server.paths() == ["/v1/oauth2/token", "/v1/notifications/verify-webhook-signature"]
    verify = server.requests[1]
    assert verify.headers["authorization"] == f"Bearer {TOKEN}"
    sent = json.loads(verify.body)
    assert sent == {
        "auth_algo": "SHA256withRSA",
        "cert_url": vector.headers["PAYPAL-CERT-URL"],
        "transmission_id": vector.headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_sig": vector.headers["PAYPAL-TRANSMISSION-SIG"],
        "transmission_time": vector.headers["PAYPAL-TRANSMISSION-TIME"],
        "webhook_id": WEBHOOK_ID,
        "webhook_event": json.loads(vector.body),
    }
    assert verify.body.endswith(b'"webhook_event": ' + vector.body + b"}")  # the bytes, not a re-dump


def test_api_mode_refuses_an_event_paypal_does_not_confirm(server, attacker):
    server.answer(
        "POST", "/v1/notifications/verify-webhook-signature", (200, b'{"verification_status": "FAILURE"}')
    )
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")

    with pytest.raises(WebhookVerificationError, match="not valid"):
        api_gateway(server, verify_mode="api").verify_and_parse(body=body, headers=attacker.headers(body))


def test_api_mode_treats_paypal_rejecting_the_request_as_a_failed_verification(server, attacker):
    server.answer(
        "POST",
        "/v1/notifications/verify-webhook-signature",
        (400, b'{"name": "VALIDATION_ERROR", "message": "Invalid request", "details": []}'),
    )
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")

    with pytest.raises(WebhookVerificationError, match="VALIDATION_ERROR"):
        api_gateway(server, verify_mode="api").verify_and_parse(body=body, headers=attacker.headers(body))


def test_api_mode_with_paypal_down_is_a_retryable_error_not_a_rejection(server, paypal_signer):
    server.answer("POST", "/v1/notifications/verify-webhook-signature", (503, b""))
    body = event_body("PAYMENT.SALE.COMPLETED")

    with pytest.raises(GatewayError) as caught:
        api_gateway(server, verify_mode="api").verify_and_parse(
            body=body, headers=paypal_signer.headers(body)
        )

    assert caught.value.retryable and not isinstance(caught.value, WebhookVerificationError)


def test_api_mode_refuses_unsigned_or_off_host_deliveries_without_asking_paypal(server, attacker):
    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    gateway = api_gateway(server, verify_mode="api")

    with pytest.raises(WebhookVerificationError):
        gateway.verify_and_parse(body=body, headers={})
    with pytest.raises(WebhookVerificationError, match="not on a PayPal host"):
        gateway.verify_and_parse(body=body, headers=attacker.headers(body, cert_url=EVIL_CERT_URL))
    assert server.requests == []


def test_an_unknown_verify_mode_is_a_configuration_error():
    with pytest.raises(ValueError):
        PayPalGateway("id", "secret", WEBHOOK_ID, verify_mode="trust")


# --- OAuth and the subscription API ------------------------------------------------------------


def test_one_token_serves_several_calls(server):
    server.answer(
        "GET",
        "/v1/billing/subscriptions/I-BW452GLLEP1G",
        (200, (DATA / "paypal_subscription_active.json").read_bytes()),
    )
    gateway = api_gateway(server)

    gateway.subscription_get("I-BW452GLLEP1G")
    api_gateway(server).subscription_get("I-BW452GLLEP1G")  # a new instance, same credentials

    assert server.paths() == [
        "/v1/oauth2/token",
        "/v1/billing/subscriptions/I-BW452GLLEP1G",
        "/v1/billing/subscriptions/I-BW452GLLEP1G",
    ]
    token_request = server.requests[0]
    assert (
        token_request.headers["authorization"]
        == "Basic " + base64.b64encode(b"client-id:client-secret").decode()
    )
    assert parse_qs(token_request.body.decode()) == {"grant_type": ["client_credentials"]}
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in server.requests[1:])


def test_a_token_about_to_expire_is_replaced(server):
    short_lived = json.dumps({"access_token": "short", "token_type": "Bearer", "expires_in": 30}).encode()
    server.answer("POST", "/v1/oauth2/token", (200, short_lived))
    server.answer("GET", "/v1/billing/subscriptions/I-1", (200, b"{}"))

    api_gateway(server).subscription_get("I-1")
    api_gateway(server).subscription_get("I-1")

    assert server.paths().count("/v1/oauth2/token") == 2


def test_a_token_revoked_early_is_fetched_again_once(server):
    server.answer(
        "POST",
        "/v1/oauth2/token",
        (200, b'{"access_token": "old", "expires_in": 32400}'),
        (200, b'{"access_token": "new", "expires_in": 32400}'),
    )
    server.answer(
        "GET",
        "/v1/billing/subscriptions/I-1",
        (401, b'{"name": "AUTHENTICATION_FAILURE"}'),
        (200, b'{"id": "I-1"}'),
    )

    assert api_gateway(server).subscription_get("I-1") == {"id": "I-1"}
    assert [r.headers.get("authorization") for r in server.requests if r.method == "GET"] == [
        "Bearer old",
        "Bearer new",
    ]


def test_wrong_client_credentials_are_a_clear_non_retryable_error(server):
    server.answer(
        "POST",
        "/v1/oauth2/token",
        (401, b'{"error": "invalid_client", "error_description": "Client Authentication failed"}'),
    )

    with pytest.raises(GatewayError) as caught:
        api_gateway(server).subscription_get("I-1")

    assert (
        str(caught.value)
        == "paypal POST /v1/oauth2/token: HTTP 401 invalid_client: Client Authentication failed"
    )
    assert not caught.value.retryable and "client-secret" not in str(caught.value)


def test_subscription_create_sends_plan_reference_and_urls_and_returns_the_approve_link(server):
    server.answer(
        "POST", "/v1/billing/subscriptions", (201, (DATA / "paypal_subscription_created.json").read_bytes())
    )

    checkout = api_gateway(server).subscription_create(
        plan_id=PLAN,
        custom_id="user-42",
        return_url="https://yoppy.example/billing/return",
        cancel_url="https://yoppy.example/billing/cancel",
        request_id="sub-create-user-42-1",
    )

    assert (checkout.subscription_id, checkout.status) == (SUB, "APPROVAL_PENDING")
    assert (
        checkout.checkout_url
        == "https://www.paypal.com/webapps/billing/subscriptions?ba_token=BA-2M539689T3856352J"
    )
    create = server.requests[1]
    assert create.headers["paypal-request-id"] == "sub-create-user-42-1"
    assert json.loads(create.body) == {
        "plan_id": PLAN,
        "custom_id": "user-42",
        "application_context": {
            "return_url": "https://yoppy.example/billing/return",
            "cancel_url": "https://yoppy.example/billing/cancel",
            "user_action": "SUBSCRIBE_NOW",
            "shipping_preference": "NO_SHIPPING",
        },
    }


def test_subscription_cancel_posts_the_reason_and_accepts_no_content(server):
    server.answer("POST", "/v1/billing/subscriptions/I-BW452GLLEP1G/cancel", (204, b""))

    assert api_gateway(server).subscription_cancel("I-BW452GLLEP1G", reason="Not satisfied") is None
    assert json.loads(server.requests[1].body) == {"reason": "Not satisfied"}


def test_subscription_get_returns_the_subscription(server):
    server.answer(
        "GET",
        "/v1/billing/subscriptions/I-BW452GLLEP1G",
        (200, (DATA / "paypal_subscription_active.json").read_bytes()),
    )

    subscription = api_gateway(server).subscription_get("I-BW452GLLEP1G")

    assert (subscription["status"], subscription["plan_id"], subscription["custom_id"]) == (
        "ACTIVE",
        PLAN,
        "user-42",
    )


@needs_realdata
def test_a_recorded_paypal_400_becomes_a_clear_error_with_name_and_details(server):
    server.answer(
        "GET",
        "/v1/billing/subscriptions/I-1",
        (400, recorded_mock("GET_v1_notifications_webhooks_events_400.json")),
    )

    with pytest.raises(GatewayError) as caught:
        api_gateway(server).subscription_get("I-1")

    assert (caught.value.status, caught.value.code, caught.value.retryable) == (
        400,
        "VALIDATION_ERROR",
        False,
    )
    assert "Invalid data provided (start_time Invalid data provided)" in str(caught.value)


def test_a_paypal_timeout_is_retryable(server):
    server.answer("GET", "/v1/billing/subscriptions/I-1", (200, b"{}", 1.0))

    with pytest.raises(GatewayError, match="timed out") as caught:
        api_gateway(server, timeout=0.2).subscription_get("I-1")

    assert caught.value.retryable


# --- Payouts (creator commissions in USD) --------------------------------------------------------


def send_payout(server: RecordingServer, **kwargs: Any) -> dict[str, Any]:
    kwargs = {"sender_batch_id": "yoppy-payout-7", "receiver_email": "alice.rao@gmail.com",
              "amount_minor": 144, "currency": "USD", **kwargs}  # fmt: skip
    return api_gateway(server).payout_create(**kwargs)


def test_payout_create_sends_one_email_item_with_the_exact_amount_and_our_id(server):
    server.answer("POST", "/v1/payments/payouts", (201, (DATA / "paypal_payout_created.json").read_bytes()))

    answer = send_payout(server, note="Your Yoppy referral commission", email_subject="You have a payout from Yoppy")

    assert answer["batch_header"]["payout_batch_id"] == "5UXD2E8A7EBQJ"
    assert answer["batch_header"]["batch_status"] == "PENDING"
    create = server.requests[1]
    assert (create.method, create.path) == ("POST", "/v1/payments/payouts")
    assert create.headers["authorization"] == f"Bearer {TOKEN}"
    assert create.headers["paypal-request-id"] == "yoppy-payout-7"
    assert json.loads(create.body) == {
        "sender_batch_header": {"sender_batch_id": "yoppy-payout-7", "email_subject": "You have a payout from Yoppy"},
        "items": [
            {
                "recipient_type": "EMAIL",
                "amount": {"value": "1.44", "currency": "USD"},
                "receiver": "alice.rao@gmail.com",
                "sender_item_id": "yoppy-payout-7",
                "note": "Your Yoppy referral commission",
            }
        ],
    }


@pytest.mark.parametrize(
    ("amount_minor", "currency", "value"),
    [(144, "USD", "1.44"), (100000, "usd", "1000.00"), (5, "USD", "0.05"), (29, "EUR", "0.29"), (500, "JPY", "500")],
)
def test_payout_amounts_are_written_as_exact_decimals(server, amount_minor, currency, value):
    server.answer("POST", "/v1/payments/payouts", (201, (DATA / "paypal_payout_created.json").read_bytes()))

    send_payout(server, amount_minor=amount_minor, currency=currency)

    assert json.loads(server.requests[1].body)["items"][0]["amount"] == {"value": value, "currency": currency.upper()}


def test_a_reused_sender_batch_id_is_reported_as_already_created(server):
    server.answer(
        "POST",
        "/v1/payments/payouts",
        (400, json.dumps({
            "name": "USER_BUSINESS_ERROR", "message": "User business error.", "debug_id": "f1d3b4c5e6a7",
            "details": [{"field": "SENDER_BATCH_ID", "location": "body",
                         "issue": "Batch with given sender_batch_id already exists",
                         "link": [{"href": "https://api-m.sandbox.paypal.com/v1/payments/payouts/5UXD2E8A7EBQJ",
                                   "rel": "self", "method": "GET", "encType": "application/json"}]}],
        }).encode()),
    )  # fmt: skip

    with pytest.raises(paypal_module.PayoutAlreadyCreated) as caught:
        send_payout(server)

    assert (caught.value.status, caught.value.code, caught.value.retryable) == (400, "USER_BUSINESS_ERROR", False)


def test_a_refused_payout_is_a_non_retryable_error_that_names_paypals_reason(server):
    server.answer(
        "POST",
        "/v1/payments/payouts",
        (422, b'{"name": "INSUFFICIENT_FUNDS", "message": "Sender does not have sufficient funds.", '
              b'"debug_id": "a1b2c3", "details": []}'),
    )  # fmt: skip

    with pytest.raises(GatewayError) as caught:
        send_payout(server)

    assert not isinstance(caught.value, paypal_module.PayoutAlreadyCreated)
    assert (caught.value.status, caught.value.code, caught.value.retryable) == (422, "INSUFFICIENT_FUNDS", False)
    assert "Sender does not have sufficient funds" in str(caught.value)
    assert "alice.rao@gmail.com" not in str(caught.value)


def test_paypal_down_while_sending_a_payout_is_retryable(server):
    server.answer("POST", "/v1/payments/payouts", (503, b'{"name": "SERVICE_UNAVAILABLE"}'))

    with pytest.raises(GatewayError) as caught:
        send_payout(server)

    assert caught.value.retryable


PAYOUT_ITEM_EVENTS = sorted(path.stem for path in EVENTS.glob("PAYMENT.PAYOUTS-ITEM.*.json"))


def test_every_payout_item_event_paypal_documents_has_a_fixture():
    documented = {"SUCCEEDED", "FAILED", "RETURNED", "BLOCKED", "DENIED", "UNCLAIMED", "REFUNDED", "REVERSED",
                  "CANCELED", "HELD", "PENDING"}  # fmt: skip
    assert {name.rsplit(".", 1)[1] for name in PAYOUT_ITEM_EVENTS} == documented


@pytest.mark.parametrize("event_type", PAYOUT_ITEM_EVENTS)
def test_it_verifies_and_parses_a_payout_item_event_with_its_amount(paypal_signer, event_type):
    body = event_body(event_type)

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    data = json.loads(body)
    assert (event.event_type, event.event_id, event.amount_minor, event.currency) == (
        event_type, data["id"], 144, "USD",
    )  # fmt: skip
    assert event.occurred_at == datetime.fromisoformat(data["create_time"])
    assert (event.subscription_id, event.payment_id, event.refund_id) == ("", "", "")
    assert event.raw["resource"]["payout_item"]["sender_item_id"] == "yoppy-payout-1"


@pytest.mark.parametrize("event_type", ["PAYMENT.PAYOUTSBATCH.SUCCESS", "PAYMENT.PAYOUTSBATCH.DENIED"])
def test_a_payout_batch_event_is_parsed_without_money(paypal_signer, event_type):
    body = event_body(event_type)

    event = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem})).verify_and_parse(
        body=body, headers=paypal_signer.headers(body)
    )

    assert (event.event_type, event.amount_minor) == (event_type, None)
    assert event.raw["resource"]["batch_header"]["payout_batch_id"] == "5UXD2E8A7EBQJ"


def test_an_unverified_body_is_never_parsed_even_when_it_is_not_json(paypal_signer, attacker):
    # Nested far past Python's recursion limit: parsed before the signature check, this raised
    # RecursionError; now the forged signature is refused first.
    body = b"[" * 100_000 + b"]" * 100_000
    gateway = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem}))

    with pytest.raises(WebhookVerificationError, match="does not match"):
        gateway.verify_and_parse(body=body, headers=attacker.headers(body, cert_url=TEST_CERT_URL))


def test_a_signed_body_nested_too_deeply_is_refused_clearly(paypal_signer):
    body = b'{"a":' * 200 + b"1" + b"}" * 200
    gateway = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem}))

    with pytest.raises(WebhookVerificationError, match="nested too deeply"):
        gateway.verify_and_parse(body=body, headers=paypal_signer.headers(body))


def test_a_signed_event_carries_the_hash_of_its_body(paypal_signer):
    import hashlib

    body = event_body("BILLING.SUBSCRIPTION.ACTIVATED")
    gateway = local_gateway(CertFetcher({TEST_CERT_URL: paypal_signer.pem}))

    event = gateway.verify_and_parse(body=body, headers=paypal_signer.headers(body))

    assert event.body_sha256 == hashlib.sha256(body).hexdigest()
