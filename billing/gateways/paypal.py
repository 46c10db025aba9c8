"""PayPal: subscriptions (USD), OAuth tokens, and webhook verification.

The original accepted PayPal webhooks unverified, so a forged BILLING.SUBSCRIPTION.ACTIVATED
granted a plan. Every event is now verified, in one of two modes:

- ``local``: PayPal signs ``transmission_id|transmission_time|webhook_id|crc32(raw body)`` with
  RSA-SHA256; we check it against the certificate at ``PAYPAL-CERT-URL`` after making sure that
  URL is https on a PayPal API host, and that the certificate is PayPal's and currently valid.
- ``api``: we ask PayPal (``POST /v1/notifications/verify-webhook-signature``) and accept only
  ``verification_status == "SUCCESS"``.

Creator payouts in USD go out through the Payouts API (``payout_create``, one item per batch);
their ``PAYMENT.PAYOUTS-ITEM.*`` webhooks report what became of each item.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import zlib
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from .base import (
    Gateway,
    GatewayError,
    SubscriptionCheckout,
    WebhookEvent,
    WebhookVerificationError,
    body_sha256,
    from_iso,
    headers_lower,
    json_object,
    major_units,
    minor_units,
    text,
)

LIVE_BASE_URL = "https://api-m.paypal.com"
SANDBOX_BASE_URL = "https://api-m.sandbox.paypal.com"

# Hosts PayPal serves signing certificates from. Exact names: a lookalike such as
# api.paypal.com.evil.example must not pass.
CERT_HOSTS = frozenset(
    {"api.paypal.com", "api.sandbox.paypal.com", "api-m.paypal.com", "api-m.sandbox.paypal.com"}
)
# e.g. /v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77; no "..", no query.
_CERT_PATH = re.compile(r"/v1/notifications/certs/[A-Za-z0-9_-]+")
# The subject PayPal's webhook signing certificates are issued to.
CERT_NAMES = frozenset({"messageverificationcerts.paypal.com", "messageverificationcerts.sandbox.paypal.com"})
AUTH_ALGO = "SHA256withRSA"

_SIGNATURE_HEADERS = (
    "paypal-transmission-id",
    "paypal-transmission-time",
    "paypal-transmission-sig",
    "paypal-cert-url",
    "paypal-auth-algo",
)

# In-process caches shared by every PayPalGateway (one is built per request): certificates by
# URL, and OAuth tokens by (base_url, client_id) as (token, monotonic expiry).
_CERT_CACHE: dict[str, x509.Certificate] = {}
_TOKEN_CACHE: dict[tuple[str, str], tuple[str, float]] = {}
_TOKEN_LOCK = threading.Lock()
# Fetch a fresh token when the cached one has less than this left.
_TOKEN_MARGIN_S = 60.0


def cert_url_allowed(url: str) -> bool:
    """True only for https://<PayPal API host>/v1/notifications/certs/<name> with no tricks
    (user info, odd ports, backslashes, whitespace, dot segments, queries)."""
    if not isinstance(url, str) or any(ch in url for ch in "\\ \t\r\n@"):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and parts.hostname in CERT_HOSTS
        and port in (None, 443)
        and bool(_CERT_PATH.fullmatch(parts.path))
        and not parts.query
        and not parts.fragment
    )


class PayPalGateway(Gateway):
    """PayPal REST client and webhook verifier.

    ``cert_fetcher(url) -> PEM bytes`` and ``cert_cache`` (a dict-like keyed by URL) replace the
    network and the shared in-process cache, for tests or a cross-process cache. Certificates
    are checked against ``clock()`` (aware UTC ``datetime``); ``allow_expired_certs=True`` skips
    that date check and exists only for recorded test vectors.
    """

    name = "paypal"

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        webhook_id: str,
        base_url: str = SANDBOX_BASE_URL,
        verify_mode: str = "local",
        *,
        timeout: float = 10.0,
        cert_fetcher: Callable[[str], bytes] | None = None,
        cert_cache: MutableMapping[str, x509.Certificate] | None = None,
        clock: Callable[[], datetime] | None = None,
        allow_expired_certs: bool = False,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        if verify_mode not in ("local", "api"):
            raise ValueError('verify_mode is "local" or "api"')
        self._client_id = client_id
        self._client_secret = client_secret
        self.webhook_id = webhook_id
        self.verify_mode = verify_mode
        self._cert_fetcher = cert_fetcher or self._cert_download
        self._cert_cache = _CERT_CACHE if cert_cache is None else cert_cache
        self._clock = clock or (lambda: datetime.now(UTC))
        self._allow_expired_certs = allow_expired_certs

    # --- webhooks --------------------------------------------------------------------------

    def verify_and_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify and parse one delivery. ``WebhookVerificationError``: reject it (400).
        ``GatewayError``: the check could not be made now (certificate download or PayPal's
        API failed); answer 5xx and PayPal delivers again."""
        if not isinstance(body, bytes | bytearray):
            raise TypeError("body must be the raw request bytes")
        body = bytes(body)
        if not self.webhook_id:
            raise WebhookVerificationError("paypal webhook id is not configured")
        signed = headers_lower(headers)
        missing = [name.upper() for name in _SIGNATURE_HEADERS if not signed.get(name, "").strip()]
        if missing:
            raise WebhookVerificationError(f"paypal webhook without {', '.join(missing)}")
        if signed["paypal-auth-algo"] != AUTH_ALGO:
            raise WebhookVerificationError("paypal webhook auth algo is not SHA256withRSA")
        # Checked in both modes: a certificate URL off PayPal's hosts is forged by definition.
        if not cert_url_allowed(signed["paypal-cert-url"]):
            raise WebhookVerificationError("paypal webhook certificate URL is not on a PayPal host")
        if self.verify_mode == "api":
            self._verify_with_api(body=body, headers=signed)
        else:
            self._verify_locally(body=body, headers=signed)
        # Parsed only once PayPal's signature vouches for it: an unsigned body never reaches the
        # JSON parser.
        return replace(self._parse(json_object(body, provider=self.name)), body_sha256=body_sha256(body))

    def _verify_locally(self, *, body: bytes, headers: dict[str, str]) -> None:
        try:
            signature = base64.b64decode(headers["paypal-transmission-sig"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError("paypal webhook signature is not base64") from exc
        certificate = self._certificate(headers["paypal-cert-url"])
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise WebhookVerificationError("paypal certificate does not hold an RSA key")
        message = "|".join(
            (
                headers["paypal-transmission-id"],
                headers["paypal-transmission-time"],
                self.webhook_id,
                str(zlib.crc32(body) & 0xFFFFFFFF),
            )
        )
        try:
            public_key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature as exc:
            raise WebhookVerificationError("paypal webhook signature does not match") from exc

    def _certificate(self, url: str) -> x509.Certificate:
        """The signing certificate at ``url`` (allow-listed by the caller), cached by URL and
        checked for its subject and dates on every use."""
        certificate = self._cert_cache.get(url)
        if certificate is None:
            pem = self._cert_fetcher(url)
            try:
                # PayPal may serve the chain; the signing certificate comes first.
                certificate = x509.load_pem_x509_certificates(pem)[0]
            except (ValueError, IndexError) as exc:
                raise WebhookVerificationError("paypal certificate is not a PEM certificate") from exc
            names = {attr.value for attr in certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)}
            if not names & CERT_NAMES:
                raise WebhookVerificationError("paypal certificate is not issued to PayPal's signing host")
            self._cert_cache[url] = certificate
        if not self._allow_expired_certs:
            now = self._clock()
            if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
                raise WebhookVerificationError("paypal certificate is expired or not yet valid")
        return certificate

    def _cert_download(self, url: str) -> bytes:
        try:
            response = httpx.get(url, timeout=self.timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise GatewayError(
                f"paypal certificate download failed: {type(exc).__name__}", retryable=True
            ) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise GatewayError(
                f"paypal certificate download: HTTP {response.status_code}",
                retryable=True,
                status=response.status_code,
            )
        if response.status_code != 200:
            raise WebhookVerificationError(f"paypal certificate download: HTTP {response.status_code}")
        return response.content

    def _verify_with_api(self, *, body: bytes, headers: dict[str, str]) -> None:
        envelope = json.dumps(
            {
                "auth_algo": headers["paypal-auth-algo"],
                "cert_url": headers["paypal-cert-url"],
                "transmission_id": headers["paypal-transmission-id"],
                "transmission_sig": headers["paypal-transmission-sig"],
                "transmission_time": headers["paypal-transmission-time"],
                "webhook_id": self.webhook_id,
            }
        )
        # The event goes in as the bytes received: PayPal checks its CRC, and re-serialising
        # the parsed JSON (key order, escapes, number format) would make genuine events fail.
        request_body = envelope[:-1].encode() + b', "webhook_event": ' + body + b"}"
        try:
            answer = self._api(
                "POST",
                "/v1/notifications/verify-webhook-signature",
                content=request_body,
                headers={"Content-Type": "application/json"},
            )
        except GatewayError as exc:
            if exc.status in (400, 422):
                raise WebhookVerificationError(
                    f"paypal refused to verify the webhook ({exc.code or exc.status})"
                ) from exc
            raise
        if answer.get("verification_status") != "SUCCESS":
            raise WebhookVerificationError("paypal says the webhook signature is not valid")

    def _parse(self, data: dict[str, Any]) -> WebhookEvent:
        event_id = text(data.get("id"))
        event_type = text(data.get("event_type"))
        if not event_id or not event_type:
            raise WebhookVerificationError("paypal webhook is not an event (no id or event_type)")
        resource = data.get("resource") if isinstance(data.get("resource"), dict) else {}
        resource_type = text(data.get("resource_type")).lower()
        fields: dict[str, Any] = {}

        if event_type.startswith("BILLING.SUBSCRIPTION.") or resource_type == "subscription":
            fields["subscription_id"] = text(resource.get("id"))
            fields["gateway_plan_id"] = text(resource.get("plan_id"))
            fields["customer_ref"] = text(resource.get("custom_id"))
            billing = resource.get("billing_info") if isinstance(resource.get("billing_info"), dict) else {}
            fields["period_end"] = from_iso(billing.get("next_billing_time"))
            # Money moves on PAYMENT.SALE.COMPLETED only; ACTIVATED carries no amount on purpose
            # (the original counted commission on both and paid it twice).
            if event_type == "BILLING.SUBSCRIPTION.PAYMENT.FAILED":
                billing_info = (
                    resource.get("billing_info") if isinstance(resource.get("billing_info"), dict) else {}
                )
                failed = billing_info.get("last_failed_payment")
                amount = failed.get("amount") if isinstance(failed, dict) else None
                if isinstance(amount, dict):
                    fields.update(_money(amount.get("value"), amount.get("currency_code")))
        elif event_type.startswith("PAYMENT.SALE.") or resource_type in ("sale", "refund"):
            # A subscription's sale names its subscription billing_agreement_id; a refund points
            # at the sale it reverses with sale_id.
            # A reversal (chargeback) is money taken back like a refund.
            refunded = (
                event_type in ("PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REVERSED") or resource_type == "refund"
            )
            sale_id = text(resource.get("sale_id"))
            fields["payment_id"] = sale_id or ("" if refunded else text(resource.get("id")))
            if refunded:
                fields["refund_id"] = text(resource.get("id"))
            fields["subscription_id"] = text(resource.get("billing_agreement_id"))
            fields["customer_ref"] = text(resource.get("custom_id")) or text(resource.get("custom"))
            amount = resource.get("amount")
            if isinstance(amount, dict):
                fields.update(_money(amount.get("total"), amount.get("currency")))
        elif event_type.startswith("PAYMENT.PAYOUTS-ITEM.") or resource_type == "payouts_item":
            # The item's own status is in the event name; the payout it belongs to is ours by
            # payout_item.sender_item_id. Affiliates reads the ids from ``raw``.
            item = resource.get("payout_item") if isinstance(resource.get("payout_item"), dict) else {}
            amount = item.get("amount")
            if isinstance(amount, dict):
                fields.update(_money(amount.get("value"), amount.get("currency")))

        return WebhookEvent(
            provider=self.name,
            event_id=event_id,
            event_type=event_type,
            occurred_at=from_iso(data.get("create_time")),
            raw=data,
            **fields,
        )

    # --- API -------------------------------------------------------------------------------

    def _error_detail(self, payload: Any) -> tuple[str, str]:
        if not isinstance(payload, dict):
            return "", ""
        if "error" in payload:  # OAuth errors
            return text(payload.get("error")), text(payload.get("error_description"))
        detail = text(payload.get("message"))
        issues = [
            f"{text(item.get('field'))} {text(item.get('issue'))}".strip()
            for item in payload.get("details") or []
            if isinstance(item, dict)
        ]
        if issues:
            detail += f" ({'; '.join(issues)})"
        if text(payload.get("debug_id")):
            detail += f" [debug_id {payload['debug_id']}]"
        return text(payload.get("name")), detail

    def _token(self, *, fresh: bool = False) -> str:
        """An OAuth access token, reused until a minute before PayPal says it expires."""
        key = (self.base_url, self._client_id)
        with _TOKEN_LOCK:
            cached = _TOKEN_CACHE.get(key)
            if cached and not fresh and cached[1] - time.monotonic() > _TOKEN_MARGIN_S:
                return cached[0]
            answer = self._send_json(
                "POST",
                "/v1/oauth2/token",
                auth=(self._client_id, self._client_secret),
                data={"grant_type": "client_credentials"},
                headers={"Accept": "application/json"},
            )
            token = text(answer.get("access_token"))
            if not token:
                raise GatewayError("paypal POST /v1/oauth2/token: no access_token", retryable=False)
            expires_in = answer.get("expires_in")
            lifetime = float(expires_in) if isinstance(expires_in, int | float) else 0.0
            _TOKEN_CACHE[key] = (token, time.monotonic() + lifetime)
            return token

    def _api(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call with the bearer token; a 401 (token revoked early) gets one fresh token."""
        headers = dict(kwargs.pop("headers", None) or {})
        for attempt in (1, 2):
            headers["Authorization"] = f"Bearer {self._token(fresh=attempt == 2)}"
            try:
                response = self._send(method, path, headers=headers, **kwargs)
            except GatewayError as exc:
                if exc.status == 401 and attempt == 1:
                    continue
                raise
            if not response.content:
                return {}  # 204 No Content (cancel)
            try:
                payload = response.json()
            except ValueError as exc:
                raise GatewayError(f"paypal {method} {path}: body is not JSON", retryable=True) from exc
            return payload if isinstance(payload, dict) else {}
        raise AssertionError("unreachable")

    def subscription_create(
        self, *, plan_id: str, custom_id: str, return_url: str, cancel_url: str, request_id: str = ""
    ) -> SubscriptionCheckout:
        """Create a subscription to ``plan_id`` (a USD plan); the buyer approves it at
        ``checkout_url``. ``custom_id`` (our reference, at most 127 characters) comes back on
        the subscription's webhooks. ``request_id`` (``PayPal-Request-Id``) makes a retry
        return the first result instead of creating a second subscription."""
        if len(custom_id) > 127:
            raise ValueError("custom_id is at most 127 characters")
        headers = {"PayPal-Request-Id": request_id} if request_id else {}
        subscription = self._api(
            "POST",
            "/v1/billing/subscriptions",
            headers=headers,
            json={
                "plan_id": plan_id,
                "custom_id": custom_id,
                "application_context": {
                    "return_url": return_url,
                    "cancel_url": cancel_url,
                    "user_action": "SUBSCRIBE_NOW",
                    "shipping_preference": "NO_SHIPPING",
                },
            },
        )
        approve = next(
            (
                text(link.get("href"))
                for link in subscription.get("links") or []
                if isinstance(link, dict) and link.get("rel") == "approve"
            ),
            "",
        )
        return SubscriptionCheckout(
            subscription_id=text(subscription.get("id")),
            checkout_url=approve,
            status=text(subscription.get("status")),
            raw=subscription,
        )

    def subscription_cancel(
        self, subscription_id: str, *, reason: str = "Cancelled by the subscriber"
    ) -> None:
        """Cancel now (PayPal answers 204). ``reason`` is shown to the buyer, up to 128 chars."""
        self._api(
            "POST",
            f"/v1/billing/subscriptions/{quote(subscription_id, safe='')}/cancel",
            json={"reason": reason[:128]},
        )

    def subscription_get(self, subscription_id: str) -> dict[str, Any]:
        return self._api("GET", f"/v1/billing/subscriptions/{quote(subscription_id, safe='')}")

    def payout_create(
        self,
        *,
        sender_batch_id: str,
        receiver_email: str,
        amount_minor: int,
        currency: str,
        note: str = "",
        email_subject: str = "",
        email_message: str = "",
    ) -> dict[str, Any]:
        """Send ``amount_minor`` to the PayPal account of ``receiver_email`` as a batch of one
        item (``POST /v1/payments/payouts``). Returns PayPal's answer: ``batch_header`` with
        ``payout_batch_id`` and ``batch_status`` (PENDING when the batch passed PayPal's first
        checks, DENIED when it did not).

        ``sender_batch_id`` is the idempotency key: PayPal pays a batch id once in 30 days, so
        a retry after a timeout or 5xx cannot pay twice. It is also the item's
        ``sender_item_id``, the name the item's webhooks carry back. When PayPal says the batch
        id was already used, ``PayoutAlreadyCreated`` is raised."""
        currency = currency.upper()
        header: dict[str, str] = {"sender_batch_id": sender_batch_id}
        if email_subject:
            header["email_subject"] = email_subject
        if email_message:
            header["email_message"] = email_message
        item: dict[str, Any] = {
            "recipient_type": "EMAIL",
            "amount": {"value": major_units(amount_minor, currency), "currency": currency},
            "receiver": receiver_email,
            "sender_item_id": sender_batch_id,
        }
        if note:
            item["note"] = note
        try:
            return self._api(
                "POST",
                "/v1/payments/payouts",
                # Within PayPal's 30 days the same request id returns the first answer, so a
                # retry whose first attempt got through learns the batch id instead of an error.
                headers={"PayPal-Request-Id": sender_batch_id},
                json={"sender_batch_header": header, "items": [item]},
            )
        except GatewayError as exc:
            # PayPal answers a reused sender_batch_id with 400 USER_BUSINESS_ERROR whose details
            # name SENDER_BATCH_ID ("Batch with given sender_batch_id already exists"). Other
            # USER_BUSINESS_ERRORs (e.g. an unpayable receiver) are real refusals.
            message = str(exc).lower()
            if exc.status in (400, 422) and "sender_batch_id" in message and "already exists" in message:
                raise PayoutAlreadyCreated(str(exc), status=exc.status, code=exc.code) from exc
            raise


class PayoutAlreadyCreated(GatewayError):
    """PayPal already has a batch with this ``sender_batch_id`` (used in the last 30 days): an
    earlier attempt got through. Nothing new was sent; the item's webhooks tell its fate."""

    def __init__(self, message: str, *, status: int | None, code: str) -> None:
        super().__init__(message, retryable=False, status=status, code=code)


def _money(value: Any, currency: Any) -> dict[str, Any]:
    """{"amount_minor", "currency"} from PayPal's decimal string, or {} when unreadable."""
    currency = text(currency).upper()
    if not currency or not isinstance(value, str | int | float):
        return {}
    try:
        return {"amount_minor": minor_units(value, currency), "currency": currency}
    except ValueError:
        return {}
