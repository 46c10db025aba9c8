"""What every payment gateway has in common: the event it hands back, its errors, its HTTP calls.

A gateway is one small class per provider with the same shape (like healthchecks' transports):
``verify_and_parse()`` turns a signed webhook into a ``WebhookEvent`` or raises
``WebhookVerificationError``; API calls return plain values or raise ``GatewayError``. Nothing
here touches the database: mapping a gateway plan id to our ``Plan`` and recording events is the
billing services' job.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, ClassVar

import httpx

from yoppy import safejson

# Currencies without a minor unit. Every currency Yoppy sells in (INR, USD) has two decimals.
_ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "HUF", "TWD", "KRW", "VND", "CLP", "ISK"})


@dataclass(frozen=True)
class WebhookEvent:
    """One verified webhook, reduced to what billing needs. ``raw`` keeps the whole parsed body.

    ``amount_minor`` is never negative (PayPal refunds say "-18.00"): the event type gives the
    direction. The same payment can arrive on several events (Razorpay's upfront
    subscription.activated sample carries the very payment of its subscription.charged sample;
    subscription.completed carries one too), so count money once per ``payment_id``, on the
    charge events (subscription.charged, PAYMENT.SALE.COMPLETED).
    """

    provider: str  # "razorpay" | "paypal"
    event_id: str  # de-duplication key: the same delivery retried carries the same id
    event_type: str  # "subscription.charged", "BILLING.SUBSCRIPTION.ACTIVATED", ...
    subscription_id: str = ""  # gateway subscription id
    payment_id: str = ""  # gateway payment / sale id (for refunds: the payment refunded)
    refund_id: str = ""  # refund / chargeback id, on refund and dispute events
    amount_minor: int | None = None  # paise / cents, when the event carries money
    currency: str = ""  # "INR", "USD"; "" when the event does not say
    gateway_plan_id: str = ""  # Razorpay plan_id / PayPal plan_id (INR and USD plans differ)
    customer_ref: str = ""  # our reference, sent when the subscription was created
    period_end: datetime | None = None  # end of the paid cycle / next charge, when the event says
    occurred_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # SHA-256 of the signed raw body: a second de-duplication key that the sender cannot change
    # without breaking the signature (Razorpay's event id travels in an unsigned header).
    body_sha256: str = field(default="", compare=False)


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@dataclass(frozen=True)
class SubscriptionCheckout:
    """A subscription created at the gateway and the page where the buyer approves it."""

    subscription_id: str
    checkout_url: str  # Razorpay short_url / PayPal "approve" link; "" if the gateway gave none
    status: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


class WebhookVerificationError(Exception):
    """The webhook is not provably from the gateway: answer 400 and do nothing.

    The message is safe to log: it never contains a secret, a signature or the body."""


class GatewayError(Exception):
    """An API call failed. ``retryable`` is True when the same call may succeed later (timeouts,
    connection errors, 429, 5xx); False when the request itself is wrong (other 4xx).

    Also raised by ``verify_and_parse`` when the signature could not be *checked* (PayPal's
    certificate or verification API unreachable): answer 5xx so the gateway delivers again."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.code = code


class Gateway(ABC):
    """The shape every provider follows. Subclasses set ``name`` and fill in the methods."""

    name: ClassVar[str] = ""

    def __init__(self, *, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    @abstractmethod
    def verify_and_parse(self, *, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify ``body`` (the raw request bytes, never re-serialised) against ``headers``
        (``request.headers``; any letter case) and parse it. Raises ``WebhookVerificationError``."""

    @abstractmethod
    def subscription_cancel(self, subscription_id: str, **options: Any) -> Any:
        """Stop the subscription at the gateway (now, or at the end of the paid cycle)."""

    # --- HTTP, shared by the providers ---------------------------------------------------

    def _error_detail(self, payload: Any) -> tuple[str, str]:
        """(code, human message) from a provider's error body; overridden per provider."""
        return "", ""

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One HTTP call with this gateway's base URL and timeout; maps failures to GatewayError.

        Returns the 2xx response. Credentials travel in ``auth``/``headers`` and never reach an
        error message."""
        what = f"{self.name} {method} {path}"
        try:
            with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
                response = client.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise GatewayError(f"{what}: timed out after {self.timeout}s", retryable=True) from exc
        except httpx.TransportError as exc:
            raise GatewayError(f"{what}: {type(exc).__name__}: {exc}", retryable=True) from exc
        if response.is_success:
            return response
        raise self._http_error(what, response.status_code, response.content)

    def _http_error(self, what: str, status: int, body: bytes) -> GatewayError:
        """The error for a non-2xx answer: retryable on 429 and 5xx, with the provider's own code
        and description when its body says them."""
        try:
            payload = safejson.loads(body)
        except ValueError:
            payload = None
        code, detail = self._error_detail(payload)
        message = f"{what}: HTTP {status}"
        if code:
            message += f" {code}"
        if detail:
            message += f": {detail}"
        return GatewayError(message, retryable=status == 429 or status >= 500, status=status, code=code)

    def _send_json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self._send(method, path, **kwargs)
        try:
            payload = response.json()
        except ValueError as exc:
            raise GatewayError(
                f"{self.name} {method} {path}: HTTP {response.status_code} with a body that is not JSON",
                retryable=True,
                status=response.status_code,
            ) from exc
        if not isinstance(payload, dict):
            raise GatewayError(
                f"{self.name} {method} {path}: expected a JSON object",
                retryable=False,
                status=response.status_code,
            )
        return payload


# --- helpers for the parsers ----------------------------------------------------------------


def headers_lower(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names are case-insensitive; Django's ``request.headers`` is, a plain dict is not."""
    return {str(name).lower(): str(value) for name, value in headers.items()}


def json_object(body: bytes, *, provider: str) -> dict[str, Any]:
    """The verified body as a dict. A signed body that is not a JSON object is still refused."""
    try:
        payload = safejson.loads(body)
    except safejson.JSONTooDeep as exc:
        raise WebhookVerificationError(f"{provider} webhook body is nested too deeply") from exc
    except ValueError as exc:
        raise WebhookVerificationError(f"{provider} webhook body is not valid JSON") from exc
    if not isinstance(payload, dict):
        raise WebhookVerificationError(f"{provider} webhook body is not a JSON object")
    return payload


def minor_units(amount: str | int | float | Decimal, currency: str) -> int:
    """A decimal amount ("20.00" USD) in minor units (2000). Exact: Decimal, never float maths."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {amount!r}") from exc
    exponent = 0 if currency.upper() in _ZERO_DECIMAL_CURRENCIES else 2
    return int((abs(value) * (10**exponent)).to_integral_value(rounding=ROUND_HALF_UP))


def major_units(amount_minor: int, currency: str) -> str:
    """Minor units (144 USD) as the decimal string gateways want ("1.44"). Exact, no float."""
    exponent = 0 if currency.upper() in _ZERO_DECIMAL_CURRENCIES else 2
    return f"{Decimal(amount_minor).scaleb(-exponent):.{exponent}f}"


def from_unix(seconds: Any) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


def from_iso(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def text(value: Any) -> str:
    """A string field, or "" for None/missing/non-strings (ids are never numbers here)."""
    return value if isinstance(value, str) else ""
