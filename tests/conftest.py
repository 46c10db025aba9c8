"""Shared fixtures: three users (STYLE.md §6) and the end of the session's embedded services.

alice owns things, bob is another creator, charlie is an outsider who must get 404.
"""

from __future__ import annotations

import pytest

from tests.users.factories import UserFactory


@pytest.fixture(autouse=True)
def _empty_redis():
    """Each test starts with an empty Redis database (the suite's own index, see settings_test):
    rate limits, cache entries and queued jobs of one test never leak into the next."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield
    client.close()


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@example.com", name="Alice")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@example.com", name="Bob")


@pytest.fixture
def charlie(db):
    return UserFactory(email="charlie@example.com", name="Charlie")


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@example.com", name="Staff", is_staff=True, is_superuser=True)


def pytest_sessionfinish(session, exitstatus):
    """Stop the embedded services this test session started (a running `make run` keeps its own)."""
    from django.conf import settings

    from yoppy import embedded

    for service in getattr(settings, "EMBEDDED_SERVICES", []):
        if service.started:
            stop = embedded.postgres_stop if service.name == "postgres" else embedded.redis_stop
            stop(settings.VAR_DIR / service.name)
