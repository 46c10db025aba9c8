"""Shared fixtures: three users (STYLE.md §6) and the end of the session's embedded services.

alice owns things, bob is another creator, charlie is an outsider who must get 404.
"""

from __future__ import annotations

import freezegun
import pytest

from tests.users.factories import UserFactory

# freeze_time walks every loaded module's attributes to patch datetime; whop-sdk's package
# attributes are lazy imports that build pydantic models, which fail under a fake datetime. Any
# test freezing time after the Whop app was imported would break, so freezegun skips it. The
# machine-learning stack is skipped too: walking torch's and transformers' thousands of modules
# made a test's first freeze_time take ~30 s, and none of them reads the clock a test freezes.
freezegun.configure(
    extend_ignore_list=["whop_sdk", "torch", "transformers", "sentence_transformers", "sklearn", "scipy", "sympy"]
)


# The fixtures that stop the suite's shared PostgreSQL or Redis (tests/faults/conftest.py).
_STOPPING_FIXTURES = {"postgres", "redis_server"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """A test that stops the shared PostgreSQL or Redis is `serial` whatever its module says:
    run next to the other test process, it would take the services away from its tests.
    (tryfirst: before `-m "not serial"` deselects by marker.)"""
    for item in items:
        if _STOPPING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.serial)


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


@pytest.fixture(autouse=True)
def _seeded_plans_in_transactional_tests(request):
    """Transactional tests (threads, live server, browser) empty every table when they end, the
    plans seeded by migration included; put them back the way the migration does."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")) and "transactional_db" not in request.fixturenames:
        return
    import importlib

    from django.apps import apps

    request.getfixturevalue("transactional_db")
    importlib.import_module("billing.migrations.0002_seed_plans").seed(apps, None)
    importlib.import_module("billing.migrations.0004_seed_commission_rates").seed(apps, None)


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
