"""Real faults on real processes: the suite's own embedded PostgreSQL and Redis are stopped and
started again in the middle of work (issue 10, "Keep it tested"). Each test restores the service
before it ends, whatever happens; with external servers (DATABASE_URL / REDIS_URL set) the
suite cannot restart them and these tests skip."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from yoppy import embedded
from yoppy.worker import connections_release


def _service(name: str):
    return next((s for s in settings.EMBEDDED_SERVICES if s.name == name), None)


class Postgres:
    def __init__(self, service):
        self.data_dir = settings.VAR_DIR / "postgres"
        self.port = service.port

    def stop(self) -> None:
        embedded.postgres_stop(self.data_dir)

    def start(self) -> None:
        embedded.postgres_ensure(self.data_dir, port=self.port)
        # This process's own connections died with the server; the pool checks the next ones.
        connections_release()


class Redis:
    def __init__(self, service):
        self.data_dir = settings.VAR_DIR / "redis"
        self.port = service.port

    def stop(self) -> None:
        embedded.redis_stop(self.data_dir)

    def start(self) -> None:
        embedded.redis_ensure(self.data_dir, port=self.port)


@pytest.fixture
def postgres():
    service = _service("postgres")
    if service is None:
        pytest.skip("PostgreSQL is external (DATABASE_URL): the suite cannot restart it")
    handle = Postgres(service)
    yield handle
    handle.start()  # found running, or started again after a failed test


@pytest.fixture
def redis_server():
    service = _service("redis")
    if service is None:
        pytest.skip("Redis is external (REDIS_URL): the suite cannot restart it")
    handle = Redis(service)
    yield handle
    handle.start()


def worker_env(**extra: str) -> dict[str, str]:
    db = connection.settings_dict  # the test database, not the development one
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yoppy.settings_test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        **extra,
    }
    env.pop("REDIS_DB", None)
    return env


def start_worker(*queues: str, **extra_env: str) -> subprocess.Popen:
    """A real worker of the product (yoppy.worker.Worker), as `make run` starts it."""
    return subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", *(queues or ("ingest",)),
         "--serializer", "rq.serializers.JSONSerializer", "--worker-class", "yoppy.worker.Worker"],
        cwd=settings.BASE_DIR, env=worker_env(**extra_env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def wait_for(predicate, timeout: float, what: str, *, tick=None) -> float:
    """Poll until ``predicate()`` is true; returns the seconds it took. Errors while a service is
    down count as "not yet". ``tick`` runs each round (the scheduler's sweep, sped up)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if tick is not None:
                tick()
            if predicate():
                return time.monotonic() - started
        except Exception:  # noqa: BLE001 - the service under fault may still be away
            connections_release()
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
