"""RQ jobs of Affiliates: take ids, reload, stop if stale, call a service (STYLE.md §4)."""

from __future__ import annotations

from affiliates import services
from affiliates.models import Payout


def payout_send(payout_id: int) -> None:
    """Queue "billing", enqueued by ``services.payout_approve`` after commit."""
    payout = Payout.objects.filter(pk=payout_id, status=Payout.Status.APPROVED).first()
    if payout is None:
        return  # already sent, rejected, or gone
    services.payout_send(payout=payout)
