"""Chat pages: the owner's chat on the dashboard, the public page /c/<slug>, asking,
streaming answers over Server-Sent Events, and managing conversations."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from chat import answers, selectors
from chat.events import AnswerDone, AnswerEvent, AnswerFailed, TextPiece
from chat.links import chat_url
from chat.models import Message
from chat.services import conversations as services
from chat.services.asking import message_answer
from yoppy.http.client_ip import client_ip
from yoppy.http.ids import id_from

logger = logging.getLogger(__name__)


def _session_key(request: HttpRequest, *, create: bool = False) -> str:
    if not request.session.session_key and create:
        request.session.save()
    return request.session.session_key or ""


def _asker(request: HttpRequest) -> services.Asker:
    if request.user.is_authenticated:
        return services.Asker.signed_in(request.user, ip=client_ip(request))
    return services.Asker.web_session(_session_key(request, create=True), ip=client_ip(request))


def _rendered(messages: list[Message]) -> list[Message]:
    """Stored answers are markdown; render and sanitise them the same way as when streamed, for
    templates/chat/_answer.html (the partial the stream's final event is rendered with too)."""
    for message in messages:
        if message.role == Message.Role.ASSISTANT and message.status == Message.Status.COMPLETE:
            message.citation_list = answers.citations_from_dicts(message.citations)
            message.html = answers.answer_html(message.content, citations=message.citation_list)
    return messages


def _chat_context(request: HttpRequest, channel, *, conversation=None, public: bool) -> dict:
    session_key = _session_key(request)
    conversations = selectors.conversation_list_for_viewer(user=request.user, session_key=session_key, channel=channel)
    return {
        "channel": channel,
        "conversation": conversation,
        "chat_messages": _rendered(list(conversation.messages.all())) if conversation else [],
        "conversations": conversations[:20],
        "public": public,
        "offline": settings.LLM_PROVIDER == "offline",
        "ask_url": reverse("chat:ask", args=[channel.pk]),
        "starters": _starters(channel),
    }


def _starters(channel) -> list[str]:
    topics = [t for t in (channel.topics or []) if isinstance(t, str)][:3]
    return [f"What do you say about {topic}?" for topic in topics] or ["What are your videos about?"]


@require_GET
def channel_chat(request: HttpRequest, pk: int) -> HttpResponse:
    """The chat for a channel by id (its owner's dashboard; anyone for a public channel)."""
    channel = selectors.channel_get_for_chat(user=request.user, pk=pk)
    conversation = None
    if "conversation" in request.GET:
        conversation = selectors.conversation_get_for_viewer(
            user=request.user, session_key=_session_key(request), pk=id_from(request.GET, "conversation")
        )
    return render(request, "chat/chat.html", _chat_context(request, channel, conversation=conversation, public=False))


@require_GET
def public_chat(request: HttpRequest, slug: str) -> HttpResponse:
    channel = selectors.channel_get_public(slug=slug)
    conversation = None
    if "conversation" in request.GET:
        conversation = selectors.conversation_get_for_viewer(
            user=request.user, session_key=_session_key(request), pk=id_from(request.GET, "conversation")
        )
    context = _chat_context(request, channel, conversation=conversation, public=True)
    context["structured_data"] = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": f"Chat with the AI persona of {channel.display_name}",
        "description": (channel.summary or channel.description)[:300],
        "url": f"{settings.SITE_URL}{request.path}",
        "about": {"@type": "Person", "name": channel.display_name},
    }
    return render(request, "chat/chat.html", context)


def _refusal(request: HttpRequest, refusal: services.QuestionRefused, *, channel, conversation) -> HttpResponse:
    # Its sign-up and log-in links come back to this chat, this conversation open (chat.signals
    # hands the anonymous conversation to the new account).
    context = {"refusal": refusal, "return_url": chat_url(channel=channel, conversation=conversation, viewer=request.user)}
    return render(request, "chat/_refusal.html", context, status=429 if refusal.over_quota else 400)


@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_chat(user=request.user, pk=pk)
    conversation = None
    if request.POST.get("conversation"):
        conversation = selectors.conversation_get_for_viewer(
            user=request.user, session_key=_session_key(request), pk=id_from(request.POST, "conversation")
        )
        if conversation.channel_id != channel.pk:
            conversation = None
    try:
        answer = services.question_ask(
            asker=_asker(request), channel=channel, text=request.POST.get("question", ""), conversation=conversation
        )
    except services.QuestionRefused as refusal:
        return _refusal(request, refusal, channel=channel, conversation=conversation)
    return render(
        request, "chat/_exchange.html",
        {"question": answer.question, "answer": answer, "conversation": answer.conversation, "channel": channel},
    )  # fmt: skip


@require_POST
def regenerate(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_viewer(
        user=request.user, session_key=_session_key(request), pk=conversation_pk
    )
    try:
        answer = services.answer_regenerate(asker=_asker(request), conversation=conversation)
    except services.QuestionRefused as refusal:
        return _refusal(request, refusal, channel=conversation.channel, conversation=conversation)
    return render(
        request, "chat/_exchange.html",
        {"question": answer.question, "answer": answer, "conversation": conversation, "channel": conversation.channel, "regenerated": True},
    )  # fmt: skip


@require_POST
def conversation_delete(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_viewer(
        user=request.user, session_key=_session_key(request), pk=conversation_pk
    )
    channel = conversation.channel
    services.conversation_delete(conversation=conversation)
    if channel.is_public and channel.slug and channel.owner_id != getattr(request.user, "pk", None):
        return redirect("chat:public", slug=channel.slug)
    return redirect("chat:channel", pk=channel.pk)


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _sse_event(event: AnswerEvent) -> str:
    """The answer core's events as the page's SSE: "token", then "done" or "error"."""
    if isinstance(event, TextPiece):
        return _sse("token", {"text": event.text})
    if isinstance(event, AnswerDone):
        return _sse("done", event.as_dict())
    if isinstance(event, AnswerFailed):
        return _sse("error", {"message": event.message})
    raise TypeError(f"not an answer event: {event!r}")


def _sync_stream(message: Message) -> Iterator[str]:
    for event in message_answer(message=message):
        yield _sse_event(event)


async def _async_stream(message: Message) -> AsyncIterator[str]:
    """Run the (blocking) answer in its own thread and relay its events: the event loop stays
    free, so many fans can stream at once while other requests are served."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def produce() -> None:
        try:
            for chunk in _sync_stream(message):
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
        finally:
            connection.close()
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=produce, name=f"answer-{message.pk}", daemon=True).start()
    finished = False
    while not finished:
        chunks = [await queue.get()]
        # Send whatever else has arrived meanwhile in the same write: with many streams at once,
        # fewer, larger writes leave the event loop more time for other requests.
        while not queue.empty():
            chunks.append(queue.get_nowait())
        finished = chunks[-1] is None
        if batch := "".join(chunk for chunk in chunks if chunk is not None):
            yield batch


@require_GET
def stream(request: HttpRequest, message_pk: int) -> HttpResponse:
    message = selectors.message_get_for_viewer(user=request.user, session_key=_session_key(request), pk=message_pk)
    if message.role != Message.Role.ASSISTANT or not services.message_claim_for_streaming(message=message):
        return HttpResponse(_sse("error", {"message": "This answer was already delivered."}), content_type="text/event-stream", status=409)
    message = Message.objects.select_related("conversation__channel__owner", "conversation__user", "question").get(pk=message.pk)
    if not connection.in_atomic_block:
        # A streaming response finishes (and Django releases this request's connection) only when
        # the stream ends; the answer's own thread takes a connection when it needs one.
        connection.close()
    body = _async_stream(message) if isinstance(request, ASGIRequest) else _sync_stream(message)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: do not buffer the stream
    return response
