"""Asking: quota first, anonymous limits in Redis, conversations per user or session."""

from __future__ import annotations

import pytest

from billing.models import Usage
from channels_app.models import Channel
from chat.models import Conversation, Message
from chat.services import conversations as services
from tests.channels_app.factories import ChannelFactory


@pytest.fixture
def ready_channel(alice):
    return ChannelFactory(owner=alice, status=Channel.Status.READY, is_public=True, slug="mira", chunks_count=10)


def fan(user=None, session="sess-1", ip="203.0.113.5") -> services.Asker:
    if user is not None:
        return services.Asker.signed_in(user, ip=ip)
    return services.Asker.web_session(session, ip=ip)


def test_a_question_consumes_one_query_before_any_answer_exists(bob, ready_channel):
    answer = services.question_ask(asker=fan(bob), channel=ready_channel, text="  How do I feed a starter? ")
    assert answer.status == Message.Status.PENDING and answer.question.content == "How do I feed a starter?"
    assert Usage.objects.get(user=bob).queries_used == 1
    assert answer.conversation.user == bob and answer.conversation.title == "How do I feed a starter?"


def test_an_empty_or_oversized_question_is_refused_and_costs_nothing(bob, ready_channel):
    for text in ["", "   ", "x" * 2001]:
        with pytest.raises(services.QuestionRefused):
            services.question_ask(asker=fan(bob), channel=ready_channel, text=text)
    assert not Usage.objects.filter(user=bob, queries_used__gt=0).exists() and not Message.objects.exists()


def test_an_exhausted_plan_is_refused_with_an_upgrade_invitation(bob, ready_channel):
    from billing.selectors import period_start_for

    Usage.objects.create(user=bob, period_start=period_start_for(), queries_used=20)
    with pytest.raises(services.QuestionRefused) as refusal:
        services.question_ask(asker=fan(bob), channel=ready_channel, text="Hello?")
    assert refusal.value.upgrade and "Upgrade" in str(refusal.value)
    assert not Message.objects.exists()


def test_anonymous_fans_get_a_few_questions_per_session_then_an_invitation_to_sign_up(ready_channel, settings):
    settings.ANON_QUESTIONS_PER_SESSION = 2
    for _ in range(2):
        services.question_ask(asker=fan(), channel=ready_channel, text="Tell me about starters")
    with pytest.raises(services.QuestionRefused) as refusal:
        services.question_ask(asker=fan(), channel=ready_channel, text="One more")
    assert refusal.value.sign_up
    # Another browser gets its own allowance.
    assert services.question_ask(asker=fan(session="sess-2"), channel=ready_channel, text="Hi").status == "pending"


def test_anonymous_questions_are_also_limited_per_ip(ready_channel, settings):
    settings.ANON_QUESTIONS_PER_SESSION = 100
    settings.ANON_QUESTIONS_PER_IP = 3
    for n in range(3):
        services.question_ask(asker=fan(session=f"s{n}"), channel=ready_channel, text="q")
    with pytest.raises(services.QuestionRefused):
        services.question_ask(asker=fan(session="fresh"), channel=ready_channel, text="q")
    assert services.question_ask(asker=fan(session="fresh", ip="198.51.100.7"), channel=ready_channel, text="q")


def test_anonymous_conversations_live_with_the_session_for_a_day(ready_channel):
    answer = services.question_ask(asker=fan(), channel=ready_channel, text="Hi")
    conversation = answer.conversation
    assert conversation.user is None and conversation.session_key == "sess-1"
    hours = (conversation.expires_at - conversation.created_at).total_seconds() / 3600
    assert 23.9 < hours < 24.1


def test_regenerating_counts_as_a_question_and_keeps_the_earlier_answer(bob, ready_channel):
    first = services.question_ask(asker=fan(bob), channel=ready_channel, text="Why rye?")
    Message.objects.filter(pk=first.pk).update(status=Message.Status.COMPLETE, content="Because.")
    again = services.answer_regenerate(asker=fan(bob), conversation=first.conversation)
    assert again.question_id == first.question_id and again.status == Message.Status.PENDING
    assert Message.objects.get(pk=first.pk).content == "Because."
    assert Usage.objects.get(user=bob).queries_used == 2


def test_an_answer_still_being_written_cannot_be_regenerated_and_costs_nothing(bob, ready_channel):
    first = services.question_ask(asker=fan(bob), channel=ready_channel, text="Why rye?")
    services.message_claim_for_streaming(message=first)
    with pytest.raises(services.QuestionRefused, match="still being written"):
        services.answer_regenerate(asker=fan(bob), conversation=first.conversation)
    assert Usage.objects.get(user=bob).queries_used == 1


def test_a_stopped_answer_keeps_what_was_said_once(bob, ready_channel):
    answer = services.question_ask(asker=fan(bob), channel=ready_channel, text="Why rye?")
    assert not services.answer_stop(message_id=answer.pk, content="Rye", citations=[])  # not streaming yet
    services.message_claim_for_streaming(message=answer)
    assert services.answer_stop(message_id=answer.pk, content="Rye ferments", citations=[])
    assert not services.answer_stop(message_id=answer.pk, content="Rye ferments faster", citations=[])
    answer.refresh_from_db()
    assert (answer.status, answer.content) == (Message.Status.STOPPED, "Rye ferments")
    assert Usage.objects.get(user=bob).queries_used == 1  # it was answered, in part


def test_only_one_stream_may_claim_a_pending_answer(bob, ready_channel):
    answer = services.question_ask(asker=fan(bob), channel=ready_channel, text="Q")
    assert services.message_claim_for_streaming(message=answer)
    assert not services.message_claim_for_streaming(message=answer)


def test_a_channel_still_processing_with_nothing_indexed_cannot_be_asked(alice):
    channel = ChannelFactory(owner=alice, status=Channel.Status.PROCESSING, chunks_count=0)
    with pytest.raises(services.QuestionRefused, match="still being processed"):
        services.question_ask(asker=fan(alice), channel=channel, text="Q")
    assert not Conversation.objects.exists()


def test_a_failed_channel_says_it_failed_and_shows_its_owner_where_to_fix_it(alice, bob):
    channel = ChannelFactory(owner=alice, status=Channel.Status.FAILED, chunks_count=0, is_public=True, slug="f")

    with pytest.raises(services.QuestionRefused, match="could not be processed") as owner_refusal:
        services.question_ask(asker=fan(alice), channel=channel, text="Q")
    with pytest.raises(services.QuestionRefused, match="could not be processed") as fan_refusal:
        services.question_ask(asker=fan(bob), channel=channel, text="Q")

    assert "still being processed" not in str(owner_refusal.value)
    assert owner_refusal.value.fix_url == channel.get_absolute_url()
    assert fan_refusal.value.fix_url == ""  # a fan cannot fix it: no link to a page they may not open
    assert not Conversation.objects.exists()


def test_expired_anonymous_conversations_are_deleted_and_signed_in_ones_kept(bob, ready_channel):
    import datetime as dt

    from django.utils import timezone

    old = services.question_ask(asker=fan(), channel=ready_channel, text="Old").conversation
    fresh = services.question_ask(asker=fan(session="s2"), channel=ready_channel, text="New").conversation
    mine = services.question_ask(asker=fan(bob), channel=ready_channel, text="Mine").conversation
    Conversation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    assert services.conversations_delete_expired() == 1
    assert set(Conversation.objects.values_list("pk", flat=True)) == {fresh.pk, mine.pk}


def test_a_follow_up_goes_on_from_the_newest_answer_of_a_regenerated_question(bob, ready_channel):
    from chat.selectors import history_for

    first = services.question_ask(asker=fan(bob), channel=ready_channel, text="Why rye?")
    Message.objects.filter(pk=first.pk).update(status=Message.Status.COMPLETE, content="Old answer.")
    again = services.answer_regenerate(asker=fan(bob), conversation=first.conversation)
    Message.objects.filter(pk=again.pk).update(status=Message.Status.STOPPED, content="New answer, cut short")
    follow_up = services.question_ask(
        asker=fan(bob), channel=ready_channel, text="And spelt?", conversation=first.conversation
    )
    assert history_for(message=follow_up, exchanges=3) == [("Why rye?", "New answer, cut short")]
    # The regenerated answer's own history leaves out its question's earlier answers.
    assert history_for(message=again, exchanges=3) == []
