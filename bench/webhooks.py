"""How fast a signed webhook is acknowledged (the gateways want an answer within seconds).

    .venv/bin/python -m bench.webhooks [--events 300]

Against the embedded services (or DATABASE_URL / REDIS_URL), through Django's full request
path in-process (middleware, view, signature check, the delivery row and its effect in one
transaction, the follow-up job pushed to Redis): ``--events`` distinct subscription.charged
deliveries, then each delivered again (duplicates), then 20 at once from threads. Everything the
run creates is deleted at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]
SECRET = "bench-webhook-secret"  # noqa: S105  (signs the benchmark's own deliveries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yoppy.settings")
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from billing.models import GatewayPlan, Payment, Plan, Refund, Subscription, WebhookDelivery
    from yoppy.users.models import User

    settings.RAZORPAY_WEBHOOK_SECRETS = [SECRET]
    settings.ALLOWED_HOSTS = ["*"]
    tag = str(time.time_ns())
    user = User.objects.create_user(email=f"bench-{tag}@yoppy.invalid", password=None)
    gateway_plan = GatewayPlan.objects.create(
        provider="razorpay", gateway_plan_id=f"plan_bench_{tag}", plan=Plan.objects.get(slug="personal"), currency="INR"
    )
    sub_id = f"sub_bench_{tag}"
    Subscription.objects.create(user=user, plan=gateway_plan.plan, provider="razorpay", gateway_subscription_id=sub_id)

    def body(n: int) -> bytes:
        return json.dumps({
            "entity": "event", "event": "subscription.charged", "contains": ["subscription", "payment"],
            "payload": {
                "subscription": {"entity": {"id": sub_id, "plan_id": gateway_plan.gateway_plan_id, "status": "active",
                                            "current_end": 1900000000 + n, "notes": []}},
                "payment": {"entity": {"id": f"pay_bench_{tag}_{n}", "amount": 29900, "currency": "INR", "notes": []}},
            },
            "created_at": 1800000000 + n,
        }).encode()  # fmt: skip

    def post(client: Client, n: int) -> tuple[float, int]:
        data = body(n)
        headers = {
            "HTTP_X_RAZORPAY_SIGNATURE": hmac.new(SECRET.encode(), data, hashlib.sha256).hexdigest(),
            "HTTP_X_RAZORPAY_EVENT_ID": f"evt_bench_{tag}_{n}",
        }
        started = time.perf_counter()
        status = client.post("/billing/webhooks/razorpay/", data, content_type="application/json", **headers).status_code
        return (time.perf_counter() - started) * 1000, status

    client = Client()
    try:
        post(client, -1)  # warm up imports and the connection pool
        first = [post(client, n) for n in range(args.events)]
        again = [post(client, n) for n in range(args.events)]
        burst: list[tuple[float, int]] = []
        start = threading.Barrier(20)

        def deliver(n: int) -> None:
            try:
                start.wait()
                burst.append(post(Client(), args.events + n))
            finally:
                connection.close()

        threads = [threading.Thread(target=deliver, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        payments = Payment.objects.filter(subscription__gateway_subscription_id=sub_id).count()
    finally:
        deliveries = WebhookDelivery.objects.filter(subscription__gateway_subscription_id=sub_id)
        Refund.objects.filter(payment__subscription__gateway_subscription_id=sub_id).delete()
        Payment.objects.filter(subscription__gateway_subscription_id=sub_id).delete()
        deliveries.delete()
        Subscription.objects.filter(gateway_subscription_id=sub_id).delete()
        gateway_plan.delete()
        user.delete()

    def line(label: str, results: list[tuple[float, int]]) -> str:
        times = sorted(ms for ms, _ in results)
        codes = sorted({code for _, code in results})
        p95 = times[int(0.95 * (len(times) - 1))]
        return (f"{label:<22} n={len(times):<4} p50 {statistics.median(times):6.1f} ms  p95 {p95:6.1f} ms  "
                f"max {times[-1]:6.1f} ms  status {codes}")  # fmt: skip

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(line("new events", first))
    print(line("duplicates", again))
    print(line("20 concurrent", burst))
    print(f"payments recorded: {payments} (expected {args.events + 21})")


if __name__ == "__main__":
    main()
