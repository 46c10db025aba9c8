"""The answer core: the one way every surface asks the persona and gets its answer.

    events = answer_stream(asker=asker, channels=[channel], question=text)   # may raise QuestionRefused
    for event in events:                                                     # TextPiece..., then
        ...                                                                  # AnswerDone | AnswerFailed

``answer_stream`` takes the asker's quota and records the question (``question_ask``), then
streams the answer (``message_answer``). The web page does the same in two requests: the POST
calls ``question_ask`` and renders the pending answer, the SSE stream claims it and relays
``message_answer``. Bots, the widget and the API call ``answer_stream`` from their job or view and
relay the same neutral events (chat.events) in their own format; nothing here knows about SSE.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from django.db import connection

from channels_app.models import Channel
from chat.events import AnswerEvent, AnswerFailed
from chat.models import Conversation, Message
from chat.services import conversations
from chat.services.answering import answer_events
from chat.services.askers import Asker, QuestionRefused
from chat.services.conversations import message_claim_for_streaming, question_ask

logger = logging.getLogger(__name__)

FAILED_MESSAGE = "Something went wrong while answering. Please try again."

__all__ = ["AnswerEvent", "Asker", "QuestionRefused", "answer_stream", "message_answer"]


def answer_stream(
    *, asker: Asker, channels: Sequence[Channel], question: str, conversation: Conversation | None = None
) -> Iterator[AnswerEvent]:
    """Ask ``question`` as ``asker`` and return the stream of the answer's events.

    The asking happens now, before this returns: the quota is taken from the asker's pool and the
    question stored, or QuestionRefused is raised (nothing stored, nothing taken) for the surface
    to show. The persona is ``channels[0]``'s (the conversation's channel); every channel in
    ``channels`` is searched. Preconditions: the channels are visible to the asker
    (``Channel.objects.visible_to``), ``conversation`` is the asker's
    (chat.selectors.conversation_get_for_asker) with ``channels[0]``.
    """
    if not channels:
        raise ValueError("answer_stream needs at least one channel")
    if conversation is not None and conversation.channel_id != channels[0].pk:
        raise ValueError("the conversation is with another channel")
    message = question_ask(asker=asker, channel=channels[0], text=question, conversation=conversation)
    if not message_claim_for_streaming(message=message):
        raise RuntimeError(f"answer {message.pk} was claimed by another stream")  # just created: cannot happen
    message = Message.objects.select_related("conversation__channel__owner", "conversation__user", "question").get(
        pk=message.pk
    )
    return message_answer(message=message, channel_ids=[channel.pk for channel in channels])


def message_answer(*, message: Message, channel_ids: list[int] | None = None) -> Iterator[AnswerEvent]:
    """The events of a claimed pending answer (``message_claim_for_streaming``): pieces, then one
    AnswerDone or AnswerFailed. Never raises: an unexpected failure is logged, the answer marked
    failed, and the fan gets AnswerFailed.

    The streaming URL filter (no URL, domain, markdown link or image in any piece) belongs in
    ``answer_events``, where pieces are generated, so every surface relays them as they come."""
    try:
        yield from answer_events(message=message, channel_ids=channel_ids)
    except Exception:
        logger.exception("answer %s failed", message.pk)
        try:
            # Ended as failed with the question given back. When the database itself is what
            # broke, this fails too: the fan still gets the error event, and the answers sweep
            # ends the message once the database is back.
            if not connection.in_atomic_block:
                connection.close()  # a broken connection is dropped; the pool checks the next
            conversations.answer_fail(message_id=message.pk)
        except Exception:
            logger.warning("answer %s could not be marked failed; the sweep will", message.pk, exc_info=True)
        yield AnswerFailed(FAILED_MESSAGE)

