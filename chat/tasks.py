"""RQ jobs of chat."""

from __future__ import annotations

import logging

from chat.services.conversations import answers_fail_stale, conversations_delete_expired

logger = logging.getLogger(__name__)


def conversations_expire() -> None:
    """Hourly: delete anonymous conversations older than their 24 hours."""
    deleted = conversations_delete_expired()
    if deleted:
        logger.info("deleted %d expired anonymous conversation(s)", deleted)


def answers_sweep() -> None:
    """Every minute and at worker start: end the answers whose stream was lost (quota given back)."""
    ended = answers_fail_stale()
    if ended:
        logger.warning("ended %d answer(s) left streaming by a lost stream", ended)
