"""A local stand-in for Razorpay at its HTTP boundary: the REST API our gateway calls, and the
hosted checkout page a buyer pays on. Paying there delivers subscription.activated and
subscription.charged to our webhook endpoint, signed with the webhook secret over the exact
bytes sent, as Razorpay does; then the buyer's browser is sent back to us.

Shapes follow tests/billing/data/razorpay_*.json (Razorpay's documented responses).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class FakeRazorpay:
    def __init__(self, *, key_id: str, key_secret: str, webhook_secret: str) -> None:
        self.key_id, self.key_secret, self.webhook_secret = key_id, key_secret, webhook_secret
        self.webhook_url = ""  # our endpoint, set by the test once the app serves
        self.return_url = ""  # where the browser goes after paying
        self.plans: dict[str, dict[str, Any]] = {}  # plan_id -> {"amount": minor, "currency": ...}
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        self.deliveries: list[tuple[str, int]] = []  # (event, our status code)
        self._ids = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _send(self, status: int, payload: Any = None, *, html: str = "", location: str = "") -> None:
                data = html.encode() if html else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8" if html else "application/json")
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path.startswith("/checkout/"):
                    sub = fake.subscriptions.get(self.path.split("/")[2])
                    if sub is None:
                        return self._send(404, {"error": {"code": "BAD_REQUEST_ERROR"}})
                    plan = fake.plans[sub["plan_id"]]
                    amount = f"{plan['amount'] / 100:.2f} {plan['currency']}"
                    return self._send(200, html=(
                        f"<!doctype html><title>Razorpay test checkout</title><h1>Subscribe: {amount} / month</h1>"
                        f"<form method='post' action='/checkout/{sub['id']}/pay'><button>Pay {amount}</button></form>"
                    ))  # fmt: skip
                self._send(404, {"error": {"code": "BAD_REQUEST_ERROR", "description": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                body = self._body()
                if self.path.startswith("/checkout/") and self.path.endswith("/pay"):
                    fake.pay(self.path.split("/")[2])
                    return self._send(303, {}, location=fake.return_url)
                auth = base64.b64decode(self.headers.get("Authorization", "Basic ").split()[-1] or b"").decode()
                if auth != f"{fake.key_id}:{fake.key_secret}":
                    return self._send(401, {"error": {"code": "BAD_REQUEST_ERROR", "description": "Authentication failed"}})
                request = json.loads(body or b"{}")
                fake.requests.append(("POST", self.path, request))
                if self.path == "/v1/customers":
                    return self._send(200, {"id": "cust_test0001", "entity": "customer", "email": request.get("email")})
                if self.path == "/v1/subscriptions":
                    if request.get("plan_id") not in fake.plans:
                        return self._send(400, {"error": {"code": "BAD_REQUEST_ERROR", "description": "The id provided does not exist"}})
                    sub_id = f"sub_test{next(fake._ids):06d}"
                    host = f"http://127.0.0.1:{self.server.server_address[1]}"
                    fake.subscriptions[sub_id] = {
                        "id": sub_id, "entity": "subscription", "plan_id": request["plan_id"], "status": "created",
                        "customer_id": request.get("customer_id"), "notes": request.get("notes") or [],
                        "total_count": request.get("total_count"), "paid_count": 0,
                        "short_url": f"{host}/checkout/{sub_id}", "current_start": None, "current_end": None,
                    }  # fmt: skip
                    return self._send(200, fake.subscriptions[sub_id])
                if self.path.startswith("/v1/subscriptions/") and self.path.endswith("/cancel"):
                    sub = fake.subscriptions.get(self.path.split("/")[3])
                    if sub is None:
                        return self._send(400, {"error": {"code": "BAD_REQUEST_ERROR", "description": "not found"}})
                    if not request.get("cancel_at_cycle_end"):
                        sub["status"] = "cancelled"
                    return self._send(200, sub)
                self._send(404, {"error": {"code": "BAD_REQUEST_ERROR", "description": "not found"}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def pay(self, sub_id: str) -> None:
        """The buyer paid: Razorpay activates the subscription, charges it, and tells us both."""
        sub = self.subscriptions[sub_id]
        plan = self.plans[sub["plan_id"]]
        now = int(time.time())
        sub.update(status="active", paid_count=1, current_start=now, current_end=now + 30 * 86400)
        payment = {"id": f"pay_test{next(self._ids):06d}", "entity": "payment", "amount": plan["amount"],
                   "currency": plan["currency"], "status": "captured", "method": "card", "notes": []}  # fmt: skip
        for kind in ("subscription.activated", "subscription.charged"):
            self.deliver(kind, {"subscription": {"entity": dict(sub)}, "payment": {"entity": payment}})

    def deliver(self, kind: str, payload: dict[str, Any]) -> int:
        body = json.dumps({"entity": "event", "account_id": "acc_test", "event": kind,
                           "contains": list(payload), "payload": payload, "created_at": int(time.time())}).encode()  # fmt: skip
        signature = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Razorpay-Signature": signature,
                   "X-Razorpay-Event-Id": f"evt_test{next(self._ids):06d}"}  # fmt: skip
        status = httpx.post(self.webhook_url, content=body, headers=headers, timeout=30).status_code
        self.deliveries.append((kind, status))
        return status

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
