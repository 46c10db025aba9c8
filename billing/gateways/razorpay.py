"""Razorpay: subscriptions (INR and USD), customers, RazorpayX payouts, and signed webhooks.

Customers and subscriptions go through the razorpay SDK, on a requests session of ours: a
response hook turns every non-2xx answer into our ``GatewayError`` before the SDK reads it (the
SDK keeps neither the HTTP status, so a 429 would look like any bad request, nor a non-JSON
error body), and each call carries our timeout (the SDK sets none). RazorpayX (contacts, fund
accounts, payouts) is not in the SDK and goes through ``Gateway._send`` with httpx.

Webhook signature: ``X-Razorpay-Signature`` = hex HMAC-SHA256 of the raw body with the webhook
secret. The razorpay SDK's ``verify_webhook_signature`` takes a ``str`` body and re-encodes it,
so we sign the bytes ourselves: the bytes received are the bytes checked.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

import razorpay
import requests

from .base import (
    Gateway,
    GatewayError,
    SubscriptionCheckout,
    WebhookEvent,
    WebhookVerificationError,
    body_sha256,
    from_unix,
    headers_lower,
    json_object,
    text,
)

logger = logging.getLogger(__name__)

# The note that carries our reference through Razorpay, set by subscription_create and read back
# from webhooks into WebhookEvent.customer_ref.
CUSTOMER_REF_NOTE = "yoppy_ref"

# RazorpayX: "4-36 characters, alphabets, numbers, hyphens, underscores and space".
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\- ]{4,36}$")


class RazorpayGateway(Gateway):
    """Razorpay API client and webhook verifier.

    ``webhook_secrets`` lists the secrets accepted, the current one first. To rotate: set the new
    secret in the Razorpay dashboard and put it first here, keep the previous one after it for as
    long as deliveries signed with it may still arrive (retries go on for about a day), then drop
    it. The grace period is the caller's configuration; this class only accepts the list.
    """

    name = "razorpay"

    def __init__(
        self,
        key_id: str,
        key_secret: str,
        webhook_secrets: Sequence[str],
        *,
        base_url: str = "https://api.razorpay.com",
        timeout: float = 10.0,
    ) -> None:
        super().__init__(base_url=base_url, timeout=timeout)
        if isinstance(webhook_secrets, str):
            raise TypeError("webhook_secrets is a list of secrets, the current one first")
        self._auth = (key_id, key_secret)
        self._webhook_secrets = [secret.encode() for secret in webhook_secrets if secret]

    # --- webhooks --------------------------------------------------------------------------

    def verify_and_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        self._verify(body=body, headers=headers_lower(headers))
        return self._parse(body=body, headers=headers_lower(headers))

    def _verify(self, *, body: bytes, headers: dict[str, str]) -> None:
        if not isinstance(body, bytes | bytearray):
            raise TypeError("body must be the raw request bytes")
        if not self._webhook_secrets:
            raise WebhookVerificationError("razorpay webhook secret is not configured")
        signature = headers.get("x-razorpay-signature", "").strip()
        if not signature:
            raise WebhookVerificationError("razorpay webhook without X-Razorpay-Signature")
        for index, secret in enumerate(self._webhook_secrets):
            expected = hmac.new(secret, bytes(body), hashlib.sha256).hexdigest()
            if hmac.compare_digest(expected, signature):
                if index:
                    # Tells whoever rotates the secret that the old one is still in use.
                    logger.info("razorpay webhook signed with previous secret #%d", index)
                return
        raise WebhookVerificationError("razorpay webhook signature does not match")

    def _parse(self, *, body: bytes, headers: dict[str, str]) -> WebhookEvent:
        data = json_object(body, provider=self.name)
        payload = data.get("payload") if isinstance(data.get("payload"), dict) else {}
        subscription = _entity(payload, "subscription")
        payment = _entity(payload, "payment")
        refund = _entity(payload, "refund")
        # A lost dispute is a chargeback: money taken back from us, like a refund.
        refund = refund or _entity(payload, "dispute")

        # Money: the refund's own amount for refund.*, else the payment's (charged / failed).
        # Subscription-only events (activated without an upfront charge, halted, cancelled)
        # carry no amount: the plan's price lives on the plan, not the event.
        money = refund or payment
        amount = money.get("amount")
        amount_minor = amount if isinstance(amount, int) and not isinstance(amount, bool) else None

        # Razorpay retries a delivery with the same X-Razorpay-Event-Id; the body has no id.
        event_id = headers.get("x-razorpay-event-id", "").strip()
        if not event_id:
            event_id = "sha256:" + hashlib.sha256(body).hexdigest()

        return WebhookEvent(
            provider=self.name,
            event_id=event_id,
            event_type=text(data.get("event")),
            subscription_id=text(subscription.get("id")),
            payment_id=text(refund.get("payment_id")) or text(payment.get("id")),
            refund_id=text(refund.get("id")),
            amount_minor=amount_minor,
            currency=text(money.get("currency")).upper(),
            gateway_plan_id=text(subscription.get("plan_id")),
            customer_ref=_note(subscription) or _note(payment) or _note(refund),
            period_end=from_unix(subscription.get("current_end")),
            # One docs sample nests created_at inside payload; read it there too.
            occurred_at=from_unix(data.get("created_at")) or from_unix(payload.get("created_at")),
            raw=data,
            body_sha256=body_sha256(body),
        )

    # --- API -------------------------------------------------------------------------------

    def _error_detail(self, payload: Any) -> tuple[str, str]:
        error = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(error, dict):
            return "", ""
        detail = text(error.get("description"))
        if text(error.get("field")):
            detail += f" (field {error['field']})"
        return text(error.get("code")), detail

    # --- subscriptions, through the SDK ---------------------------------------------------

    def _client(self) -> razorpay.Client:
        session = requests.Session()
        session.hooks["response"].append(self._raise_for_status)
        return razorpay.Client(session=session, auth=self._auth, base_url=self.base_url)

    def _raise_for_status(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        if not response.ok:
            path = requests.utils.urlparse(response.url).path
            raise self._http_error(f"{self.name} {response.request.method} {path}", response.status_code, response.content)

    def _sdk(self, what: str, call: Any) -> dict[str, Any]:
        """Run ``call(client)``; transport failures become retryable ``GatewayError``s."""
        try:
            answer = call(self._client())
        except requests.Timeout as exc:
            raise GatewayError(f"{self.name} {what}: timed out after {self.timeout}s", retryable=True) from exc
        except requests.RequestException as exc:
            raise GatewayError(f"{self.name} {what}: {type(exc).__name__}", retryable=True) from exc
        except ValueError as exc:  # a 2xx whose body is not JSON
            raise GatewayError(f"{self.name} {what}: answer is not JSON", retryable=True) from exc
        if not isinstance(answer, dict):
            raise GatewayError(f"{self.name} {what}: expected a JSON object", retryable=False)
        return answer

    def customer_create(self, *, email: str, name: str) -> str:
        """The Razorpay customer id for this email, creating the customer if needed.

        ``fail_existing: "0"`` makes Razorpay return the existing customer instead of an error,
        so calling twice is safe."""
        customer = self._sdk(
            "POST /v1/customers",
            lambda client: client.customer.create(
                {"name": name, "email": email, "fail_existing": "0"}, timeout=self.timeout
            ),
        )
        return text(customer.get("id"))

    def subscription_create(
        self,
        *,
        plan_id: str,
        total_count: int,
        customer_id: str = "",
        customer_ref: str = "",
        notes: Mapping[str, str] | None = None,
    ) -> SubscriptionCheckout:
        """Create a subscription to ``plan_id`` for ``total_count`` cycles; its currency is the plan's.

        ``customer_ref`` rides in the ``yoppy_ref`` note and comes back on every webhook of this
        subscription. Not idempotent: after a retryable error, look the subscription up before
        creating another."""
        all_notes = dict(notes or {})
        if customer_ref:
            all_notes[CUSTOMER_REF_NOTE] = customer_ref
        request: dict[str, Any] = {"plan_id": plan_id, "total_count": total_count}
        if customer_id:
            request["customer_id"] = customer_id
        if all_notes:
            request["notes"] = all_notes
        subscription = self._sdk(
            "POST /v1/subscriptions", lambda client: client.subscription.create(request, timeout=self.timeout)
        )
        return SubscriptionCheckout(
            subscription_id=text(subscription.get("id")),
            checkout_url=text(subscription.get("short_url")),
            status=text(subscription.get("status")),
            raw=subscription,
        )

    def subscription_cancel(self, subscription_id: str, *, at_cycle_end: bool = False) -> dict[str, Any]:
        """Cancel now, or at the end of the paid cycle. Returns the subscription entity."""
        # Quoted: the SDK puts the id into the path as it is, and an id must not leave its segment.
        quoted = quote(subscription_id, safe="")
        return self._sdk(
            f"POST /v1/subscriptions/{quoted}/cancel",
            lambda client: client.subscription.cancel(
                quoted, {"cancel_at_cycle_end": 1 if at_cycle_end else 0}, timeout=self.timeout
            ),
        )

    def payout_create(
        self,
        *,
        account_number: str,
        fund_account_id: str,
        amount_minor: int,
        mode: str,
        reference_id: str,
        idempotency_key: str,
        currency: str = "INR",
        purpose: str = "payout",
        narration: str = "",
        notes: Mapping[str, str] | None = None,
        queue_if_low_balance: bool = True,
    ) -> dict[str, Any]:
        """RazorpayX payout of ``amount_minor`` paise from our ``account_number`` (the RazorpayX
        business account, not the creator's) to the creator's ``fund_account_id``.

        ``idempotency_key`` (``X-Payout-Idempotency``, mandatory since March 2025) must be
        stable for this payout, e.g. derived from our payout row id: retrying with the same key
        and the same body never pays twice. Returns the payout entity (``status`` "queued",
        "processing", ...)."""
        if not _IDEMPOTENCY_KEY.match(idempotency_key):
            raise ValueError("idempotency_key: 4-36 letters, digits, '-', '_' or spaces")
        if amount_minor < 100:
            raise ValueError("RazorpayX payouts are at least 100 paise")
        request: dict[str, Any] = {
            "account_number": account_number,
            "fund_account_id": fund_account_id,
            "amount": amount_minor,
            "currency": currency,
            "mode": mode.upper(),  # modes are case-sensitive upper case
            "purpose": purpose,
            "queue_if_low_balance": queue_if_low_balance,
            "reference_id": reference_id,
        }
        if narration:
            request["narration"] = narration
        if notes:
            request["notes"] = dict(notes)
        return self._send_json(
            "POST",
            "/v1/payouts",
            auth=self._auth,
            json=request,
            headers={"X-Payout-Idempotency": idempotency_key},
        )

    def contact_create(
        self, *, name: str, reference_id: str, email: str = "", contact_type: str = "vendor"
    ) -> str:
        """The RazorpayX contact id of a payee (a creator), creating the contact if needed.

        RazorpayX answers a second create with the same details with the existing contact, so
        with a stable ``reference_id`` (derived from our row) retrying is safe."""
        request: dict[str, Any] = {"name": name, "type": contact_type, "reference_id": reference_id}
        if email:
            request["email"] = email
        contact = self._send_json("POST", "/v1/contacts", auth=self._auth, json=request)
        return text(contact.get("id"))

    def fund_account_create(self, *, contact_id: str, account_number: str, ifsc: str, name: str) -> str:
        """The RazorpayX fund account id of a bank account of ``contact_id``.

        Creating the same bank account for the same contact again returns the existing fund
        account. The account number travels in the body only and never reaches an error."""
        fund_account = self._send_json(
            "POST",
            "/v1/fund_accounts",
            auth=self._auth,
            json={
                "contact_id": contact_id,
                "account_type": "bank_account",
                "bank_account": {"name": name, "ifsc": ifsc, "account_number": account_number},
            },
        )
        return text(fund_account.get("id"))


def _entity(payload: dict[str, Any], name: str) -> dict[str, Any]:
    wrapper = payload.get(name)
    entity = wrapper.get("entity") if isinstance(wrapper, dict) else None
    return entity if isinstance(entity, dict) else {}


def _note(entity: dict[str, Any]) -> str:
    # Razorpay sends empty notes as [] and filled ones as an object.
    notes = entity.get("notes")
    return text(notes.get(CUSTOMER_REF_NOTE)) if isinstance(notes, dict) else ""
