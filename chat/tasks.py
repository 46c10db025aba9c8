"""RQ jobs of chat."""

from __future__ import annotations

import logging

from chat.services.conversations import conversations_delete_expired

logger = logging.getLogger(__name__)


def conversations_expire() -> None:
    """Hourly: delete anonymous conversations older than their 24 hours."""
    deleted = conversations_delete_expired()
    if deleted:
        logger.info("deleted %d expired anonymous conversation(s)", deleted)
