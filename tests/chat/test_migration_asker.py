"""Conversations made before askers existed belong to their user or their session afterwards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.channels_app.factories import ChannelFactory

BEFORE = [("chat", "0001_initial")]
AFTER = [("chat", "0002_conversation_asker")]


@pytest.fixture(autouse=True)
def _newest_schema_afterwards():
    """Even when the test fails halfway, the tests after it find today's tables."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_it_files_existing_conversations_under_their_user_or_session(alice):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    # channels_app's tables stay at their newest shape while chat's go back: today's model fits them.
    channel = ChannelFactory(owner=alice)
    Conversation = old.get_model("chat", "Conversation")
    mine = Conversation.objects.create(channel_id=channel.pk, user_id=alice.pk, title="signed in")
    anonymous = Conversation.objects.create(
        channel_id=channel.pk, session_key="sess-77", title="anonymous", expires_at=timezone.now()
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = MigrationExecutor(connection).loader.project_state(AFTER).apps.get_model("chat", "Conversation")

    assert new.objects.values_list("asker_kind", "asker_ref").get(pk=mine.pk) == ("user", str(alice.pk))
    assert new.objects.values_list("asker_kind", "asker_ref").get(pk=anonymous.pk) == ("web_session", "sess-77")
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
