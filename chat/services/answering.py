"""Answer a pending question: retrieve, generate (LLM or offline), stream, then store.

``answer_events`` is a plain generator of neutral events (chat.events); the answer core
(chat.services.asking) is what surfaces call, and the SSE view only formats its events.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

from billing.selectors import plan_get_for_user
from channels_app.persona import ChannelProfile, style_prompt
from channels_app.selectors import chunk_sentence_vectors
from chat import answers
from chat.events import AnswerDone, AnswerEvent, AnswerFailed, TextPiece
from chat.models import Message
from chat.rendering import answer_block
from chat.retrieval import passages_search, query_for_retrieval
from chat.selectors import history_for
from chat.services import conversations
from yoppy.ai.embeddings import embedding_provider
from yoppy.ai.llm import LLMError, llm_provider

logger = logging.getLogger(__name__)

# Offline answers are "streamed" a few words at a time so the fan sees the same experience.
_OFFLINE_PIECE = re.compile(r"\S+\s*")


def _max_tokens(message: Message) -> int:
    """Answer length follows the plan of whoever pays for the question (the fan, or for an
    anonymous fan the channel's owner)."""
    payer = message.conversation.user or message.conversation.channel.owner
    return plan_get_for_user(user=payer).max_answer_tokens


def _connection_release() -> None:
    """Give this thread's database connection back to the pool; the next query takes one again.

    Inside a transaction (tests run each one in a transaction) the connection must stay.
    """
    if not connection.in_atomic_block:
        connection.close()


def moments_plan(*, query: str, channel_ids: list[int]) -> tuple[list, answers.Plan]:
    """The passages for ``query`` and its sentence-level plan (scored moments, coverage): what an
    answer quotes and cites, and what a bot's inline search offers without answering."""
    passages = passages_search(query=query, channel_ids=channel_ids, k=max(6, answers.MOMENT_PASSAGES))
    provider = embedding_provider()
    # The sentences' vectors were stored at ingestion: only the question is embedded now
    # (sentences across two merged chunks, or of chunks stored before, are embedded here).
    stored = chunk_sentence_vectors(
        chunk_ids=[pk for passage in passages[: answers.MOMENT_PASSAGES] for pk in passage.chunk_ids],
        model=provider.name, dim=provider.dimension,
    )  # fmt: skip
    plan = answers.answer_plan(
        question=query, passages=passages, question_vector=provider.embed_query(query),
        embed=answers.embed_stored_first(stored, provider.embed_documents),
    )  # fmt: skip
    return passages, plan


def answer_events(*, message: Message, channel_ids: list[int] | None = None) -> Iterator[AnswerEvent]:
    """Yield TextPiece events, then one AnswerDone or AnswerFailed.

    Precondition: ``message`` is an assistant message claimed for streaming. ``channel_ids``: the
    channels searched (default: the conversation's, whose persona answers).
    """
    started = time.monotonic()
    conversation = message.conversation
    channel = conversation.channel
    question = message.question.content
    history = history_for(message=message, exchanges=settings.CHAT_HISTORY_EXCHANGES)
    max_tokens = _max_tokens(message)
    llm = llm_provider()
    # A follow-up may be rewritten by the model, and the question waits for the embedding thread
    # (with every other fan's question in a burst): neither needs a database connection.
    _connection_release()

    creator = channel.display_name
    plan = None
    related: list = []
    if answers.is_self_question(question, creator_name=creator):
        # Who the persona is is the product's answer, never the transcripts' (a planted line could
        # claim to be the real creator).
        passages, citations, confidence = [], [], "high"
    else:
        query = query_for_retrieval(question=question, history=history, llm=llm)
        passages, plan = moments_plan(query=query, channel_ids=channel_ids or [channel.pk])
        confidence = plan.confidence
        citations = answers.moment_citations(plan.moments, plan.passages)
    # The model may talk for seconds: open streams must not starve other requests (/healthz,
    # page loads) of the pool's connections. The final update takes one again for a moment.
    _connection_release()

    pieces: list[str] = []
    first_token_ms = None
    safe = answers.SafeStream()
    guard = None
    try:
        if plan is None:
            stream = _word_pieces(answers.self_answer(creator_name=creator))
        elif confidence == "not_covered":
            # Not covered: an honest refusal, in both modes, without asking the model; moments
            # close to the question may be offered with it, as related moments and not as sources.
            stream = _word_pieces(answers.refusal(creator_name=creator, offline=llm is None))
            related = answers.moment_citations(answers.related_moments(plan), plan.passages)
        elif llm is None:
            text, citations = answers.offline_answer(creator_name=creator, question=query, plan=plan)
            stream = _word_pieces(text)
        else:
            prompt = answers.prompt_messages(
                creator_name=creator, style=_style(channel), passages=plan.passages, history=history,
                question=question, max_words=max(80, int(max_tokens * 0.7)), moments=plan.moments,
            )  # fmt: skip
            # The model's output is checked before any of it streams: a caption may have told it
            # to claim to be the creator, ask for a password or repeat the caption's order.
            planted = answers.planted_lines([moment.text for moment in answers.moments_for(plan.passages)])
            guard = answers.OutputGuard(creator_name=creator, planted=planted)
            stream = llm.stream(prompt, max_tokens=max_tokens)
        for raw in _with_flush(stream):
            if guard is None:
                piece = safe.flush() if raw is None else safe.feed(raw)
            elif raw is None:
                piece = safe.feed(guard.flush())
                piece += "" if guard.tripped else safe.flush()
            else:
                piece = safe.feed(guard.feed(raw))
            if guard is not None and guard.tripped:
                break
            if not piece:
                continue
            if first_token_ms is None:
                first_token_ms = int((time.monotonic() - started) * 1000)
            pieces.append(piece)
            yield TextPiece(piece)
    except GeneratorExit:
        # The reader closed the stream (the fan's Stop button, a closed tab): keep what was said,
        # and hang up on the model at once rather than when the garbage collector gets to it.
        if callable(getattr(stream, "close", None)):
            stream.close()
        _stopped(message=message, pieces=pieces, citations=citations)
        raise
    except LLMError as exc:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.ERROR, content=str(exc), provider=llm.name if llm else "offline",
            latency_ms=int((time.monotonic() - started) * 1000),
        )  # fmt: skip
        yield AnswerFailed(str(exc))
        return

    if guard is not None and guard.tripped:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # stop the model: nothing more of this answer will be shown
        logger.warning("LLM answer replaced by the fallback for message %s: %s", message.pk, guard.reason)
        fallback = answers.guarded_fallback(creator_name=creator)
        yield TextPiece(("\n\n" if pieces else "") + fallback)
        pieces, citations, confidence = [fallback], [], "not_covered"

    # The answer lists only the sources it cites, renumbered in order of first mention.
    content, citations = answers.cited_only("".join(pieces).strip(), citations)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.COMPLETE,
        content=content,
        citations=[citation.as_dict() for citation in citations],
        related=[citation.as_dict() for citation in related],
        confidence=confidence,
        provider=f"{llm.name}/{llm.model}" if llm else "offline",
        latency_ms=int((time.monotonic() - started) * 1000),
        first_token_ms=first_token_ms,
        completion_tokens=len(pieces),
    )
    block_html, plain_text = answer_block(
        markdown=content, citations=citations, confidence=confidence, related=related
    )
    yield AnswerDone(
        message_id=message.pk,
        text=plain_text,
        markdown=content,
        html=block_html,
        citations=tuple(citations),
        confidence=confidence,
        confidence_label=Message.CONFIDENCE_LABELS.get(confidence, ""),
        offline=llm is None,
        related=tuple(related),
    )


def _stopped(*, message: Message, pieces: list[str], citations: list) -> None:
    content, cited = answers.cited_only("".join(pieces).strip(), citations)
    try:
        conversations.answer_stop(
            message_id=message.pk, content=content, citations=[citation.as_dict() for citation in cited]
        )
    except Exception:
        # Closing must not raise from here; the answers sweep ends a message left "streaming".
        logger.warning("stopped answer %s could not be stored", message.pk, exc_info=True)


def _word_pieces(text: str) -> Iterator[str]:
    return (match.group(0) for match in _OFFLINE_PIECE.finditer(text))


def _with_flush(stream) -> Iterator[str | None]:
    """The stream's pieces, then None: the moment to flush what the safety filter holds back."""
    yield from stream
    yield None


def _style(channel) -> str:
    profile = ChannelProfile(
        summary=channel.summary, topics=list(channel.topics or []), style=dict(channel.style or {}),
        source=channel.profile_source or "local",
    )  # fmt: skip
    return style_prompt(profile, name=channel.display_name)
