"""Enqueueing the affiliates jobs. django-rq's on_db_commit mode pushes a job only when the
caller's transaction commits; the job id derived from the row makes a second enqueue replace the
first."""

from __future__ import annotations

import django_rq

# Payouts go out from the queue that already talks to the gateways.
QUEUE = "billing"


def enqueue_payout_send(payout_id: int) -> None:
    django_rq.get_queue(QUEUE).enqueue(
        "affiliates.tasks.payout_send", payout_id, job_id=f"affiliate-payout-send-{payout_id}"
    )
