"""Whop's app webhooks: Standard Webhooks signatures, and the v1 payloads read into one neutral
event type.

Verification is whop-sdk's ``unwrap`` (standardwebhooks underneath): the HMAC over
``webhook-id.webhook-timestamp.body`` with the literal bytes of the ``ws_...`` secret (Whop's
quirk: it does not base64-decode its secret as the Standard Webhooks spec says), and a
``webhook-timestamp`` more than 5 minutes from now refused, so an old captured delivery cannot
be replayed. Payload shapes: the v1 envelope ``{id, type, timestamp, api_version, account_id,
data}`` of docs.whop.com's webhook reference and whop-sdk 2.6.0's ``Post*Payload`` types, with
``data`` a Membership, Payment or Refund (whop-sdk ``types/membership.py``, ``payment.py``,
``refund.py``) or an app installation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.dateparse import parse_datetime
from standardwebhooks import WebhookVerificationError
from whop_sdk.lib.verify_webhook import unwrap

__all__ = ["SignatureInvalid", "WhopEvent", "event_verify"]


class SignatureInvalid(Exception):
    """Not signed with our secret, tampered with, or outside the 5-minute window."""


@dataclass(frozen=True)
class WhopEvent:
    """What the app reads of a verified delivery; ``raw`` is the payload as sent (stored)."""

    webhook_id: str
    event_type: str
    occurred_at: dt.datetime | None
    company_id: str
    raw: dict[str, Any] = field(repr=False)
    company_title: str = ""
    membership_id: str = ""
    user_id: str = ""
    product_id: str = ""
    payment_id: str = ""
    paid_at: dt.datetime | None = None
    # A payment for a Yoppy plan names the community it pays for in its checkout metadata.
    metadata_company_id: str = ""
    refund_status: str = ""


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> dt.datetime | None:
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible ("2026-13-40T..."): no time
        parsed = None
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def event_verify(*, body: bytes, headers: Mapping[str, str], secret: str) -> WhopEvent:
    """The delivery's event, or SignatureInvalid (nothing in the body is trusted before)."""
    try:
        payload = unwrap(body, headers=dict(headers), key=secret)
    except (WebhookVerificationError, ValueError, RecursionError) as exc:
        raise SignatureInvalid(str(exc)) from exc
    webhook_id = headers.get("webhook-id") or ""
    return event_parse(payload, webhook_id=webhook_id)


def event_parse(payload: dict[str, Any], *, webhook_id: str) -> WhopEvent:
    data = _dict(payload.get("data"))
    account = _dict(data.get("account")) or _dict(data.get("company"))
    company_id = _str(payload.get("account_id")) or _str(account.get("id")) or _str(data.get("company_id"))
    member = _dict(data.get("member"))
    user = _dict(data.get("user"))
    product = _dict(data.get("product"))
    payment = _dict(data.get("payment"))
    metadata = _dict(data.get("metadata"))
    event_type = _str(payload.get("type"))
    is_refund = event_type.startswith("refund.")
    return WhopEvent(
        webhook_id=webhook_id,
        event_type=event_type,
        occurred_at=_time(payload.get("timestamp")),
        company_id=company_id,
        raw=payload,
        company_title=_str(account.get("title")) or _str(account.get("name")),
        membership_id=_str(data.get("id")) if event_type.startswith("membership.") else _str(data.get("membership_id")),
        user_id=_str(data.get("user_id")) or _str(user.get("id")) or _str(member.get("user_id")),
        product_id=_str(data.get("product_id")) or _str(product.get("id")),
        payment_id=(_str(data.get("payment_id")) or _str(payment.get("id"))) if is_refund else _str(data.get("id")),
        paid_at=_time(data.get("paid_at")) or _time(data.get("created_at")),
        metadata_company_id=_str(metadata.get("company_id")),
        refund_status=_str(data.get("status")) if is_refund else "",
    )
