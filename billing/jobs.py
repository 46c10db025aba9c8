"""Enqueueing the billing jobs. django-rq's on_db_commit mode pushes a job to Redis only when the
caller's transaction commits, so a webhook's follow-up never runs for a rolled-back effect."""

from __future__ import annotations

import django_rq

QUEUE = "billing"


def enqueue_webhook_followup(delivery_id: int) -> None:
    django_rq.get_queue(QUEUE).enqueue(
        "billing.tasks.webhook_followup", delivery_id, job_id=f"webhook-followup-{delivery_id}"
    )


def enqueue_subscription_stop_renewing(subscription_id: int) -> None:
    django_rq.get_queue(QUEUE).enqueue(
        "billing.tasks.subscription_stop_renewing", subscription_id, job_id=f"subscription-stop-{subscription_id}"
    )
