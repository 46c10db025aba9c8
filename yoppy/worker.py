"""The RQ worker class of the product (``rqworker --worker-class yoppy.worker.Worker``).

rq's SimpleWorker runs every job in one long-lived process, so the embedding model is loaded
once. Django only recycles database connections at the start and end of a *request*; a worker
has no requests, so after PostgreSQL restarted every later job, and the failure callback that
should have marked its video failed, ran on the same dead connection ("the connection is
closed") until the worker was restarted by hand. This worker gives back (and so drops, if
broken) every database connection before and after each job; the pool then checks a
connection before handing it out (CONN_HEALTH_CHECKS, see settings), so the next job gets a
live one as soon as the server is back.

At start it also runs the sweep that puts lost work back on the queues
(``channels_app.tasks.ingest_sweep``, ``chat.tasks.answers_sweep``): a worker that was down
while work was committed finds it at once instead of at the scheduler's next tick.
"""

from __future__ import annotations

import logging

from django.db import connections
from rq.worker import SimpleWorker

logger = logging.getLogger(__name__)


def connections_release() -> None:
    """Give every database connection of this thread back, dropping the broken ones.

    Django's ``close_old_connections`` per connection: one whose last query failed and that no
    longer answers is closed; the others go back to the pool (CONN_MAX_AGE is 0 with a pool). A
    connection inside a caller's transaction (a test's) is not ours to end. A close that itself
    fails (server gone) must not stop the worker: the connection is forgotten instead.
    """
    for conn in connections.all(initialized_only=True):
        if conn.in_atomic_block:
            continue
        try:
            conn.close_if_unusable_or_obsolete()
        except Exception:  # noqa: BLE001 - a dead connection may fail even to close
            logger.warning("closing the %s database connection failed", conn.alias, exc_info=True)
            conn.connection = None


def startup_sweep() -> None:
    """Queue again what a Redis outage or a dead worker left behind (see the module docstring)."""
    from channels_app.tasks import ingest_sweep
    from chat.tasks import answers_sweep

    for sweep in (ingest_sweep, answers_sweep):
        try:
            sweep()
        except Exception:  # noqa: BLE001 - the scheduler repeats the sweep; a worker must still start
            logger.warning("startup sweep %s failed; the scheduler will run it again", sweep.__name__, exc_info=True)
        finally:
            connections_release()


class Worker(SimpleWorker):
    def work(self, *args, **kwargs):
        startup_sweep()
        return super().work(*args, **kwargs)

    def execute_job(self, job, queue):
        connections_release()
        try:
            return super().execute_job(job, queue)
        finally:
            connections_release()
