"""The answer core called directly, as a bot, the widget or the API will call it: the same events
as the web page, each asker kind charged to its own pool, conversations filed under the asker."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.http import Http404
from django.urls import reverse

from billing.models import Usage
from billing.selectors import period_start_for
from chat import selectors
from chat.events import AnswerDone, AnswerFailed, TextPiece
from chat.models import AskerKind, Conversation, Message
from chat.services.askers import Asker, QuestionRefused, SessionAllowance
from chat.services.asking import answer_stream
from tests.chat import test_views_chat as web

bakery = web.bakery  # the channel with real ingested chunks the web tests use

QUESTION = "How much flour goes into a new starter?"


def discord_member(channel, ref: str = "guild-1:user-7") -> Asker:
    """A Discord user in a server, asking on the channel owner's plan."""
    return Asker.paid_by(AskerKind.DISCORD_MEMBER, ref, payer=channel.owner)


def _web_events(client, channel, question: str) -> list[tuple[str, dict]]:
    return web.events(client.get(web.stream_url(web.ask(client, channel, question))))


def test_it_gives_a_discord_member_the_same_events_as_the_web_page(client, bob, bakery):
    client.force_login(bob)
    on_the_page = _web_events(client, bakery, QUESTION)

    direct = list(answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION))

    assert [type(event) for event in direct[:-1]] == [TextPiece] * (len(direct) - 1)
    assert [e.text for e in direct[:-1]] == [data["text"] for name, data in on_the_page[:-1]]
    done = direct[-1]
    page_done = on_the_page[-1][1]
    assert isinstance(done, AnswerDone) and on_the_page[-1][0] == "done"
    assert done.html == page_done["html"] and done.confidence == page_done["confidence"]
    assert [c.as_dict() for c in done.citations] == page_done["citations"]
    assert done.text == page_done["text"] and "**" not in done.text and "<" not in done.text
    first = done.citations[0]
    assert (first.youtube_id, first.video_title) == ("abcdefghijk", "Sourdough starter")
    assert first.url == f"https://www.youtube.com/watch?v=abcdefghijk&t={first.second}s" and first.end_s > first.start_s
    stored = Message.objects.get(pk=done.message_id)
    assert (stored.status, stored.content) == (Message.Status.COMPLETE, done.markdown)


def test_the_web_stream_is_only_the_cores_events_as_sse(client, bob, bakery):
    client.force_login(bob)
    received = _web_events(client, bakery, QUESTION)
    assert [name for name, _ in received] == ["token"] * (len(received) - 1) + ["done"]
    assert set(received[-1][1]) == {
        "message_id", "text", "html", "citations", "confidence", "confidence_label", "offline", "related"
    }  # fmt: skip


def test_it_renders_the_final_answer_with_the_same_partial_as_a_stored_answer(client, bob, bakery):
    client.force_login(bob)
    done = _web_events(client, bakery, QUESTION)[-1][1]
    conversation = Message.objects.get(pk=done["message_id"]).conversation

    page = client.get(reverse("chat:conversation", args=[bakery.pk, conversation.pk])).content.decode()
    stored_block = re.search(rf'id="answer-{done["message_id"]}"[^>]*>(.*?)\n</div>', page, re.S).group(1)

    assert " ".join(stored_block.split()) == " ".join(done["html"].split())
    assert 'class="citation-play"' in done["html"] and 'class="confidence confidence-' in done["html"]


def test_citation_markup_is_built_by_the_server_only():
    script = (Path(django_settings.BASE_DIR) / "static" / "js" / "chat.js").read_text()
    # The streamed text's own markdown lists are built in the page; citations and their buttons never.
    assert "citation-play\"" not in script and "CONFIDENCE" not in script
    assert ".citations" not in script and "dataset.video =" not in script and 'className = "cite' not in script
    assert "data.html" in script or ").html" in script


def test_a_refused_question_raises_before_any_event_and_costs_nothing(bakery):
    Usage.objects.create(user=bakery.owner, period_start=period_start_for(), queries_used=20)
    with pytest.raises(QuestionRefused) as refusal:
        answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION)
    # The member cannot upgrade the owner's plan: no upgrade invitation, a message they can act on.
    assert not refusal.value.upgrade and "try again later" in str(refusal.value)
    assert not Message.objects.exists() and not Conversation.objects.exists()
    assert Usage.objects.get(user=bakery.owner).queries_used == 20


def test_each_asker_kind_is_charged_to_its_own_pool(bakery, bob, charlie):
    owner = bakery.owner
    list(answer_stream(asker=Asker.signed_in(bob), channels=[bakery], question=QUESTION))
    list(answer_stream(asker=Asker.paid_by(AskerKind.WIDGET_VISITOR, "w1:visitor-3", payer=owner), channels=[bakery], question=QUESTION))
    list(answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION))
    # A linked Telegram account pays from its own plan (and, paying, may upgrade it).
    linked = Asker.paid_by(AskerKind.TELEGRAM_CHAT, "chat-42", payer=charlie, user=charlie)
    list(answer_stream(asker=linked, channels=[bakery], question=QUESTION))
    anonymous = Asker.web_session("sess-9", ip="203.0.113.9")
    list(answer_stream(asker=anonymous, channels=[bakery], question=QUESTION))

    used = dict(Usage.objects.values_list("user__email", "queries_used"))
    assert used == {"bob@example.com": 1, owner.email: 2, "charlie@example.com": 1}
    assert isinstance(anonymous.pool, SessionAllowance) and linked.pool.upgrade


def test_an_anonymous_session_is_charged_to_todays_allowance_not_a_plan(bakery, settings):
    settings.ANON_QUESTIONS_PER_SESSION = 1
    asker = Asker.web_session("sess-1", ip="203.0.113.5")
    list(answer_stream(asker=asker, channels=[bakery], question=QUESTION))
    with pytest.raises(QuestionRefused) as refusal:
        answer_stream(asker=asker, channels=[bakery], question=QUESTION)
    assert refusal.value.sign_up and not Usage.objects.filter(queries_used__gt=0).exists()


@pytest.mark.django_db(transaction=True)
def test_two_platform_askers_cannot_both_take_the_payers_last_question(bakery):
    Usage.objects.create(user=bakery.owner, period_start=period_start_for(), queries_used=19)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def ask(n: int) -> None:
        try:
            barrier.wait()
            try:
                answer_stream(asker=discord_member(bakery, ref=f"guild-1:user-{n}"), channels=[bakery], question=QUESTION)
                outcome = "asked"
            except QuestionRefused:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()  # each thread has its own real PostgreSQL connection

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["asked"] + ["refused"] * 7
    assert Usage.objects.get(user=bakery.owner).queries_used == 20
    assert Message.objects.filter(role=Message.Role.USER).count() == 1


def test_conversations_belong_to_the_asker_and_continue_only_for_it(bakery):
    member = discord_member(bakery)
    first = answer_stream(asker=member, channels=[bakery], question="How much flour for a starter?")
    done = list(first)[-1]
    conversation = Message.objects.get(pk=done.message_id).conversation
    assert (conversation.asker_kind, conversation.asker_ref) == ("discord_member", "guild-1:user-7")
    assert conversation.user is None and conversation.session_key == "" and conversation.expires_at is None

    resumed = selectors.conversation_latest_for_asker(asker=member, channel=bakery)
    assert resumed == conversation == selectors.conversation_get_for_asker(asker=member, pk=conversation.pk)
    list(answer_stream(asker=member, channels=[bakery], question="And how often do I feed it?", conversation=resumed))
    assert conversation.messages.count() == 4

    stranger = discord_member(bakery, ref="guild-1:user-8")
    assert selectors.conversation_latest_for_asker(asker=stranger, channel=bakery) is None
    with pytest.raises(Http404):
        selectors.conversation_get_for_asker(asker=stranger, pk=conversation.pk)
    with pytest.raises(ValueError, match="another asker"):
        answer_stream(asker=stranger, channels=[bakery], question="Mine now?", conversation=conversation)


def test_a_channel_gone_private_is_no_longer_resumed_by_a_platform_asker(bakery):
    member = discord_member(bakery)
    done = list(answer_stream(asker=member, channels=[bakery], question=QUESTION))[-1]
    conversation_pk = Message.objects.get(pk=done.message_id).conversation_id
    type(bakery).objects.filter(pk=bakery.pk).update(is_public=False)
    with pytest.raises(Http404):
        selectors.conversation_get_for_asker(asker=member, pk=conversation_pk)


def test_a_provider_failure_reaches_a_non_web_asker_as_a_failed_event(bakery, settings):
    from tests.ai.openai_server import OpenAIServer

    server = OpenAIServer().start()
    try:
        settings.LLM_PROVIDER, settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL = "openai", "sk-test", server.url
        settings.LLM_TIMEOUT_S = 5
        server.fail(500, times=2)
        last = list(answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION))[-1]
    finally:
        server.stop()
    assert isinstance(last, AnswerFailed) and last.message and "Traceback" not in last.message
    assert Message.objects.get(role=Message.Role.ASSISTANT).status == Message.Status.ERROR


def test_an_asker_needs_an_identity_and_web_kinds_their_own_constructors(alice):
    with pytest.raises(ValueError):
        Asker.paid_by(AskerKind.API_KEY, "", payer=alice)
    with pytest.raises(ValueError):
        Asker.paid_by(AskerKind.USER, "1", payer=alice)


def test_the_plain_text_keeps_markers_and_paragraphs_and_drops_markup_and_links():
    from chat.answers import Citation
    from chat.rendering import answer_block

    cited = [Citation(number=1, video_id=1, video_title="Starter", youtube_id="abcdefghijk", start_s=61.0, end_s=64.0)]
    markdown = "**Mix** flour and water [1]\n\n> see [the docs](https://evil.example/x) and ![i](https://evil.example/i.png)"

    block_html, text = answer_block(markdown=markdown, citations=cited, confidence="high")

    assert text.startswith("Mix flour and water [1]\n\n") and "evil.example" not in text and "*" not in text
    assert 'data-start="61"' in block_html and "High confidence" in block_html


def test_a_refusal_brings_related_moments_apart_from_its_citations_and_keeps_them(bakery, monkeypatch):
    from django.template.loader import render_to_string

    from chat.answers import offline

    # Forced: nothing counts as covered, and any moment is close enough to be offered.
    monkeypatch.setattr(offline, "COVERED_AT", 99.0)
    monkeypatch.setattr(offline, "RELATED_AT", 0.2)

    done = list(answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION))[-1]

    assert isinstance(done, AnswerDone) and done.confidence == "not_covered"
    assert done.citations == () and 1 <= len(done.related) <= 3
    assert done.related[0].video_title == "Sourdough starter"
    assert done.as_dict()["related"] == [c.as_dict() for c in done.related]
    assert "Related moments" in done.html and "evil.example" not in done.html
    stored = Message.objects.get(pk=done.message_id)
    assert stored.citations == [] and stored.related == [c.as_dict() for c in done.related]
    stored.html = done.html.split('<div class="answer-body">', 1)[1].split("</div>", 1)[0]
    stored.citation_list = []
    page = render_to_string("chat/_message.html", {"message": stored})
    assert "Related moments" in page and f'data-start="{done.related[0].second}"' in page


def test_an_offline_answer_embeds_only_the_question_when_sentences_are_stored(bakery, monkeypatch):
    from yoppy.ai.embeddings import embedding_provider

    provider = embedding_provider()
    embedded: list[str] = []
    real = provider.embed_documents

    def recording(texts, *args, **kwargs):
        embedded.extend(texts)
        return real(texts, *args, **kwargs)

    monkeypatch.setattr(provider, "embed_documents", recording)

    done = list(answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION))[-1]

    assert isinstance(done, AnswerDone) and done.citations
    assert embedded == []  # every sentence's vector came from ingestion


def test_chunks_without_stored_sentences_still_answer_the_same(bakery):
    from channels_app.models import Chunk

    stored = list(answer_stream(asker=discord_member(bakery), channels=[bakery], question=QUESTION))[-1]
    Chunk.objects.filter(channel=bakery).update(sentences=[], sentence_vectors=None)

    live = list(answer_stream(asker=discord_member(bakery, "guild-1:user-8"), channels=[bakery], question=QUESTION))[-1]

    assert live.markdown == stored.markdown and live.citations == stored.citations
