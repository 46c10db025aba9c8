"""Conversations made before askers existed belong to their user or their session afterwards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("chat", "0001_initial")]
AFTER = [("chat", "0002_conversation_asker")]


@pytest.mark.django_db(transaction=True)
def test_it_files_existing_conversations_under_their_user_or_session(alice):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    channel = old.get_model("channels_app", "Channel").objects.create(
        owner_id=alice.pk, kind="channel", source_url="https://www.youtube.com/@mira", source_key="channel:@mira"
    )
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
