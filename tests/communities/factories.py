"""Whop v1 webhook payloads and their Standard Webhooks signature, built the way Whop sends them.

Envelope ``{id, api_version, api_version_date, type, timestamp, account_id, data}``: docs.whop.com
api-reference (app-installations/app-installation-created and the membership and payment webhook
pages) and whop-sdk 2.6.0 ``memberships/types/post_membership_activated_payload.py``,
``payments/types/post_payment_succeeded_payload.py``, ``refunds/types/post_refund_created_payload.py``.
``data``: whop-sdk ``types/membership.py`` (id, user_id, product_id, status, account),
``types/payment.py`` (id, product_id, status, metadata, created_at, paid_at), ``types/refund.py``
(id, payment_id, status). The installation's ``data`` fields are not listed in Whop's page; ours
carries ``account`` {id, title} like Membership.account. Only the fields the app reads, and a few
neighbours, are filled in.

The signature is computed here with hmac directly (not with the library under test), with the
literal bytes of the ``ws_`` secret, as Whop signs (../shared/realdata/webhooks/whop/).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import time

SECRET = "ws_yoppy_test_0d6f1c2b9a8e7f60"
_ids = itertools.count(1)


def _iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, tz=dt.UTC).isoformat().replace("+00:00", "Z")


def envelope(kind: str, data: dict, *, at: float, account_id: str | None) -> dict:
    return {
        "id": f"msg_{next(_ids):024d}", "api_version": "v1", "api_version_date": "2026-10-15",
        "type": kind, "timestamp": _iso(at), "account_id": account_id, "data": data,
    }  # fmt: skip


def installation(kind: str, *, company: str, at: float, title: str = "Bakers Guild") -> dict:
    data = {"id": f"appinst_{company}", "account": {"id": company, "title": title}, "app": {"id": "app_yoppytest01"}}
    return envelope(f"app_installation.{kind}", data, at=at, account_id=company)


def membership(kind: str, *, company: str, membership_id: str, user: str, at: float, product: str = "prod_guild") -> dict:
    data = {
        "id": membership_id, "user_id": user, "member": {"id": f"mber_{user}", "user_id": user},
        "product_id": product, "product": {"id": product, "title": "Guild access"},
        "status": "active" if kind == "activated" else "canceled", "account": {"id": company, "title": "Bakers Guild"},
        "cancel_at_period_end": False, "created_at": _iso(at), "updated_at": _iso(at), "metadata": {}, "plan_id": "plan_x",
    }  # fmt: skip
    return envelope(f"membership.{kind}", data, at=at, account_id=company)


def payment(kind: str, *, payment_id: str, product: str, company: str, at: float, seller: str = "biz_yoppy") -> dict:
    data = {
        "id": payment_id, "product_id": product, "status": "paid" if kind == "succeeded" else "open",
        "substatus": "succeeded" if kind == "succeeded" else "failed", "currency": "usd",
        "metadata": {"company_id": company}, "created_at": _iso(at), "paid_at": _iso(at) if kind == "succeeded" else None,
        "refundable": True, "retryable": kind == "failed", "voidable": False, "line_items": [], "holds": [],
    }  # fmt: skip
    return envelope(f"payment.{kind}", data, at=at, account_id=seller)


def refund(*, refund_id: str, payment_id: str, at: float, status: str = "succeeded", kind: str = "updated") -> dict:
    data = {"id": refund_id, "payment_id": payment_id, "status": status, "provider": "stripe",
            "created_at": _iso(at), "updated_at": _iso(at), "visa_rdr": False}  # fmt: skip
    return envelope(f"refund.{kind}", data, at=at, account_id="biz_yoppy")


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()


def signed_headers(body: bytes, *, webhook_id: str, secret: str = SECRET, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, webhook_id=webhook_id, timestamp=timestamp, body=body),
    }
