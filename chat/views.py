"""Chat pages: the owner's chat on the dashboard, the public page /c/<slug>, asking,
streaming answers over Server-Sent Events, and managing conversations."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import closing

from django.conf import settings
from django.contrib import messages as flash
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import answers, selectors
from chat.events import AnswerDone, AnswerEvent, AnswerFailed, TextPiece
from chat.links import chat_url
from chat.models import Message
from chat.services import conversations as services
from chat.services.asking import message_answer
from chat.starters import starters_for
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
        if message.role == Message.Role.ASSISTANT and message.status in _SAID:
            message.citation_list = answers.citations_from_dicts(message.citations)
            message.html = answers.answer_html(message.content, citations=message.citation_list)
    return messages


_SAID = (Message.Status.COMPLETE, Message.Status.STOPPED)


def _exchanges_rendered(exchanges: list[selectors.Exchange]) -> list[selectors.Exchange]:
    for exchange in exchanges:
        _rendered(exchange.answers)
    return exchanges


def _conversation_url(conversation, *, public: bool) -> str:
    """Where a conversation lives: on the public page for fans, on the dashboard's chat for the
    owner (and for a private channel, which has no public page)."""
    channel = conversation.channel
    if public and channel.is_public and channel.slug:
        return reverse("chat:public_conversation", args=[channel.slug, conversation.pk])
    return reverse("chat:conversation", args=[channel.pk, conversation.pk])


def _chat_context(request: HttpRequest, channel, *, conversation=None, public: bool) -> dict:
    session_key = _session_key(request)
    conversations = selectors.conversation_list_for_viewer(
        user=request.user, session_key=session_key, channel=channel
    )
    return {
        "channel": channel,
        "conversation": conversation,
        "conversation_url": _conversation_url(conversation, public=public) if conversation else "",
        "exchanges": _exchanges_rendered(selectors.conversation_exchanges(conversation=conversation))
        if conversation
        else [],
        "conversations": [
            (c, _conversation_url(c, public=public)) for c in conversations.select_related("channel")[:20]
        ],
        "chat_url": reverse("chat:public", args=[channel.slug])
        if public
        else reverse("chat:channel", args=[channel.pk]),
        "public": public,
        "offline": settings.LLM_PROVIDER == "offline",
        "ask_url": reverse("chat:ask", args=[channel.pk]),
        "starters": starters_for(channel.topics or []),
    }


def _viewers_conversation(request: HttpRequest, channel, conversation_pk: int):
    """The viewer's conversation with ``channel``, or 404 (another asker's, another channel's)."""
    conversation = selectors.conversation_get_for_viewer(
        user=request.user, session_key=_session_key(request), pk=conversation_pk
    )
    if conversation.channel_id != channel.pk:
        raise Http404("No such conversation.")
    return conversation


def _legacy_conversation_link(request: HttpRequest, channel, *, public: bool) -> HttpResponse | None:
    """Links from before conversations had their own URL (?conversation=<id>) go to that URL."""
    if "conversation" not in request.GET:
        return None
    conversation = _viewers_conversation(request, channel, id_from(request.GET, "conversation"))
    return redirect(_conversation_url(conversation, public=public))


@require_GET
def channel_chat(request: HttpRequest, pk: int, conversation_pk: int | None = None) -> HttpResponse:
    """The chat for a channel by id (its owner's dashboard; anyone for a public channel), new or
    one of the viewer's conversations (/chat/<channel>/c/<conversation>/)."""
    channel = selectors.channel_get_for_chat(user=request.user, pk=pk)
    if legacy := _legacy_conversation_link(request, channel, public=False):
        return legacy
    conversation = _viewers_conversation(request, channel, conversation_pk) if conversation_pk else None
    return render(
        request, "chat/chat.html", _chat_context(request, channel, conversation=conversation, public=False)
    )


@require_GET
def public_chat(request: HttpRequest, slug: str, conversation_pk: int | None = None) -> HttpResponse:
    channel = selectors.channel_get_public(slug=slug)
    if legacy := _legacy_conversation_link(request, channel, public=True):
        return legacy
    conversation = _viewers_conversation(request, channel, conversation_pk) if conversation_pk else None
    context = _chat_context(request, channel, conversation=conversation, public=True)
    context["structured_data"] = {
        "@context": "https://schema.org",
        "@type": "WebPage",
        "name": f"Chat with the AI persona of {channel.display_name}",
        "description": (channel.summary or channel.description)[:300],
        "url": f"{settings.SITE_URL}{reverse('chat:public', args=[channel.slug])}",
        "about": {"@type": "Person", "name": channel.display_name},
    }
    return render(request, "chat/chat.html", context)


def _refused(request: HttpRequest, refusal: services.QuestionRefused, *, channel, conversation=None) -> HttpResponse:
    """A refusal for the chat to show where the answer would have gone. 429 when a limit was hit;
    422, not 400, for the rest: django-htmx's DEBUG handler replaces the whole page with any 400,
    403, 404 or 500 answer to htmx, and a refusal is a message for the chat, not a crash page."""
    status = 429 if refusal.over_quota else 422
    # Its sign-up and log-in links come back to this chat, this conversation open (chat.signals
    # hands the anonymous conversation to the new account).
    return_url = chat_url(channel=channel, conversation=conversation, viewer=request.user)
    response = render(request, "chat/_refusal.html", {"refusal": refusal, "return_url": return_url}, status=status)
    if request.htmx:
        # Regenerating targets its exchange: a refusal goes below the chat instead of replacing it.
        response["HX-Retarget"] = "#message-list"
        response["HX-Reswap"] = "beforeend"
    return response


@require_POST
def ask(request: HttpRequest, pk: int) -> HttpResponse:
    channel = selectors.channel_get_for_chat(user=request.user, pk=pk)
    public = request.POST.get("surface") == "public" and channel.is_public
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
        return _refused(request, refusal, channel=channel, conversation=conversation)
    url = _conversation_url(answer.conversation, public=public)
    if not request.htmx:
        # Without JavaScript the form posts as a page: the conversation's page streams the answer.
        return redirect(url)
    return render(
        request, "chat/_exchange.html",
        {"exchange": selectors.Exchange(question=answer.question, answers=[answer]), "last": True,
         "conversation": answer.conversation, "conversation_url": url, "new_exchange": True, "public": public},
    )  # fmt: skip


@require_POST
def regenerate(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    conversation = selectors.conversation_get_for_viewer(
        user=request.user, session_key=_session_key(request), pk=conversation_pk
    )
    try:
        answer = services.answer_regenerate(asker=_asker(request), conversation=conversation)
    except services.QuestionRefused as refusal:
        return _refused(request, refusal, channel=conversation.channel, conversation=conversation)
    public = request.POST.get("surface") == "public" and conversation.channel.is_public
    if not request.htmx:
        return redirect(_conversation_url(conversation, public=public))
    exchange = selectors.exchange_get(conversation=conversation, question_id=answer.question_id)
    return render(
        request, "chat/_exchange.html",
        {"exchange": _exchanges_rendered([exchange])[0], "last": True, "conversation": conversation,
         "public": public},
    )  # fmt: skip


@require_http_methods(["GET", "POST"])
def conversation_delete(request: HttpRequest, conversation_pk: int) -> HttpResponse:
    """GET asks first (a page, so it works without JavaScript); POST deletes."""
    conversation = selectors.conversation_get_for_viewer(
        user=request.user, session_key=_session_key(request), pk=conversation_pk
    )
    channel = conversation.channel
    public = channel.is_public and channel.slug and channel.owner_id != getattr(request.user, "pk", None)
    back = reverse("chat:public", args=[channel.slug]) if public else reverse("chat:channel", args=[channel.pk])
    if request.method == "GET":
        return render(
            request, "chat/conversation_delete.html",
            {"conversation": conversation, "channel": channel,
             "cancel_url": _conversation_url(conversation, public=bool(public))},
        )  # fmt: skip
    services.conversation_delete(conversation=conversation)
    flash.success(request, f"Deleted the conversation “{conversation.title or 'Untitled'}”.")
    return redirect(back)


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


def _sync_stream(message: Message, stop: threading.Event | None = None) -> Iterator[str]:
    """The answer's events as SSE text. Closing this generator (the server does when the fan's
    connection is gone: the Stop button, a closed tab) or setting ``stop`` closes the answer core's
    stream, which keeps what was said as a stopped answer."""
    with closing(message_answer(message=message)) as events:
        for event in events:
            yield _sse_event(event)
            if stop is not None and stop.is_set():
                return


async def _async_stream(message: Message) -> AsyncIterator[str]:
    """Run the (blocking) answer in its own thread and relay its events: the event loop stays
    free, so many fans can stream at once while other requests are served. When the fan goes
    away, Django cancels this generator; the thread then stops the answer at its next piece."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    stop = threading.Event()

    def relay(chunk: str | None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, chunk)
        except RuntimeError:
            stop.set()  # the event loop is gone (the server shut down): nobody reads this answer

    def produce() -> None:
        try:
            with closing(_sync_stream(message, stop)) as chunks:
                for chunk in chunks:
                    relay(chunk)
        finally:
            connection.close()
            relay(None)

    threading.Thread(target=produce, name=f"answer-{message.pk}", daemon=True).start()
    finished = False
    try:
        while not finished:
            chunks = [await queue.get()]
            # Send whatever else has arrived meanwhile in the same write: with many streams at once,
            # fewer, larger writes leave the event loop more time for other requests.
            while not queue.empty():
                chunks.append(queue.get_nowait())
            finished = chunks[-1] is None
            if batch := "".join(chunk for chunk in chunks if chunk is not None):
                yield batch
    finally:
        stop.set()


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
