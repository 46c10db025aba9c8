"""RQ jobs of Communities: take ids, reload, stop if stale, call a service (safe to run twice)."""

from __future__ import annotations

import logging

from communities import services

logger = logging.getLogger(__name__)


def whop_webhook_apply(delivery_id: int) -> None:
    """Apply a stored Whop webhook delivery (queued by the webhook view after commit)."""
    services.webhook_apply(delivery_id=delivery_id)


def communities_sweep() -> None:
    """Daily: delete the communities whose grace period after uninstalling is over."""
    deleted = services.communities_sweep()
    if deleted:
        logger.info("deleted %d uninstalled communit(ies) after their grace period", deleted)
