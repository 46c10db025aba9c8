"""RQ jobs of widgets."""

from __future__ import annotations

import logging

from widgets.services import widget_stats_flush as _flush

logger = logging.getLogger(__name__)


def widget_stats_flush() -> None:
    """Every minute (yoppy/scheduler.py): add the Redis usage counters to PostgreSQL. Safe to run
    twice at once (each batch is applied once)."""
    rows = _flush()
    if rows:
        logger.info("widget stats: added to %d day row(s)", rows)
