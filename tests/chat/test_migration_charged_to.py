"""Answers still unfinished when receipts arrived get the receipt of the pool that paid for them,
so the sweep can give their question back."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.channels_app.factories import ChannelFactory

BEFORE = [("chat", "0002_conversation_asker")]
AFTER = [("chat", "0003_message_charged_to")]


@pytest.fixture(autouse=True)
def _newest_schema_afterwards():
    """Even when the test fails halfway, the tests after it find today's tables."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_it_charges_unfinished_answers_to_their_users_plan_or_their_session(alice):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    # channels_app's tables stay at their newest shape while chat's go back: today's model fits them.
    channel = ChannelFactory(owner=alice)
    Conversation = old.get_model("chat", "Conversation")
    Message = old.get_model("chat", "Message")
    signed_in = Conversation.objects.create(
        channel_id=channel.pk, user_id=alice.pk, asker_kind="user", asker_ref=str(alice.pk)
    )
    anonymous = Conversation.objects.create(
        channel_id=channel.pk, asker_kind="web_session", asker_ref="sess-5"
    )
    pending = Message.objects.create(conversation_id=signed_in.pk, role="assistant", status="pending")
    streaming = Message.objects.create(conversation_id=anonymous.pk, role="assistant", status="streaming")
    finished = Message.objects.create(conversation_id=signed_in.pk, role="assistant", status="complete")

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = MigrationExecutor(connection).loader.project_state(AFTER).apps.get_model("chat", "Message")

    receipts = dict(new.objects.values_list("pk", "charged_to"))
    assert receipts == {pending.pk: f"plan:{alice.pk}", streaming.pk: "session:sess-5", finished.pk: ""}
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
