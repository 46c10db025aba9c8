"""The embed's endpoints: the loader /embed.js, the look-up it makes from the host page, the
frame page Yoppy serves into the host page's iframe, and the frame's API (session, ask, event).

Who may embed and ask is checked on every request:
- ``config`` is fetched by the loader from the host page: its ``Origin`` header must be one of
  the widget's origins, and only that origin gets the CORS header to read the answer.
- ``frame`` is a navigation (browsers send no Origin): the origin it is asked for must be one of
  the widget's, the Referer (when the browser sends one) must be that same origin, the browser
  must be loading it into a frame (``Sec-Fetch-Dest``, when sent), and the page
  carries ``frame-ancestors`` with exactly the widget's origins, so the browser refuses to show it
  inside any other site. It hands the frame a signed session token bound to that origin.
- ``session``, ``ask`` and ``event`` come from the frame, which is Yoppy's own page: their
  ``Origin`` must be Yoppy's, and the token in the X-Yoppy-Session header must be for this widget,
  its current key and an origin it still allows. No cookie is read, so there is no CSRF to guard.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from chat import answers, rendering
from chat.events import AnswerDone, AnswerEvent, AnswerFailed, TextPiece
from chat.models import Message
from chat.services.asking import QuestionRefused, answer_stream
from widgets import selectors, services
from widgets.looks import looks_resolve
from widgets.origins import OriginError, origin_normalise
from widgets.tokens import TokenRefused, WidgetSession, session_new, session_token, visitor_token_verify
from yoppy import safejson
from yoppy.http.client_ip import client_ip

logger = logging.getLogger(__name__)

SESSION_HEADER = "X-Yoppy-Session"
NOT_ALLOWED_HERE = "This chat is not available on this site."


def own_origin(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def framed_by(request: HttpRequest, response: HttpResponse, ancestors: list[str]) -> HttpResponse:
    """``response`` may be framed by exactly ``ancestors``: django-csp's per-view csp_replace,
    applied here because the list is the widget's, known only inside the view."""
    return csp_replace({"frame-ancestors": ancestors})(lambda _request: response)(request)


@functools.cache
def _loader_source() -> bytes:
    return (settings.BASE_DIR / "static" / "widgets" / "embed.js").read_bytes()


@require_GET
def loader(request: HttpRequest) -> HttpResponse:
    """/embed.js: one file for every widget (the key is in the tag), so browsers cache it."""
    response = HttpResponse(_loader_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def config(request: HttpRequest, key: str) -> JsonResponse:
    """What the loader needs before drawing anything: the frame's address and the looks. A site
    that is not allowed gets a 403 it cannot even read, and the loader draws nothing."""
    try:
        widget = selectors.widget_get_by_key(key=key)
    except Http404:
        return _error("No such widget (its key may have been replaced).", 404)
    origin = request.headers.get("Origin", "")
    if origin not in selectors.widget_origin_list(widget=widget):
        return _error(NOT_ALLOWED_HERE, 403)
    looks = looks_resolve(widget=widget, overrides={})
    response = JsonResponse({
        "frame": request.build_absolute_uri(reverse("widgets:frame", args=[widget.public_key])),
        "title": f"Chat with the AI persona of {widget.channel.display_name}",
        "looks": looks.as_dict(),
    })  # fmt: skip
    response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response


def _referer_origin(request: HttpRequest) -> str | None:
    referer = request.headers.get("Referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    try:
        return origin_normalise(f"{parts.scheme}://{parts.netloc}")
    except OriginError:
        return ""


def _frame_refused(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    # Served with the site's default frame-ancestors 'none': nothing shows inside a foreign page.
    return render(request, "widgets/frame_refused.html", {"message": message}, status=status)


def frame_context(request: HttpRequest, *, widget, looks, token: str, host_origin: str, preview: bool) -> dict:
    key = widget.public_key
    return {
        "widget": widget,
        "channel": widget.channel,
        "looks": looks,
        "token": token,
        "host_origin": host_origin,
        "preview": preview,
        "offline": settings.LLM_PROVIDER == "offline",
        "session_url": reverse("widgets:session", args=[key]),
        "ask_url": reverse("widgets:ask", args=[key]),
        "event_url": reverse("widgets:event", args=[key]),
    }


@xframe_options_exempt  # framing is governed by frame-ancestors below, per widget
@require_GET
def frame(request: HttpRequest, key: str) -> HttpResponse:
    try:
        widget = selectors.widget_get_by_key(key=key)
    except Http404:
        return _frame_refused(request, "This chat widget does not exist (its key may have been replaced).", status=404)
    origins = selectors.widget_origin_list(widget=widget)
    if not origins:
        return _frame_refused(
            request, "This widget has no allowed sites yet: its creator adds them on the Yoppy dashboard.", status=403
        )
    try:
        origin = origin_normalise(request.GET.get("origin", ""))
    except OriginError:
        origin = ""
    referer = _referer_origin(request)
    if origin not in origins or (referer is not None and referer != origin):
        return _frame_refused(request, NOT_ALLOWED_HERE, status=403)
    # Browsers say what the page is loaded as: opened as a tab of its own (where frame-ancestors
    # does not apply) it would let anyone chat on the creator's plan outside their site.
    if request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
        return _frame_refused(request, "This chat opens inside the site it belongs to.", status=403)
    session = session_new(widget_id=widget.pk, public_key=widget.public_key, origin=origin)
    services.widget_event_count(widget_id=widget.pk, origin=origin, metric="loads")
    looks = looks_resolve(widget=widget, overrides=request.GET)
    context = frame_context(
        request, widget=widget, looks=looks, token=session_token(session), host_origin=origin, preview=False
    )
    response = render(request, "widgets/frame.html", context)
    response["Cache-Control"] = "no-store"
    return framed_by(request, response, origins)


# -- The frame's API ---------------------------------------------------------------------------


def _frame_api(view: Callable) -> Callable:
    """Check the request comes from the widget's frame with a valid session, then call
    ``view(request, widget, session)``; refusals are JSON with a human message."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, key: str) -> HttpResponse:
        if request.headers.get("Origin") != own_origin(request):
            return _error(NOT_ALLOWED_HERE, 403)
        try:
            widget = selectors.widget_get_by_key(key=key)
            session = selectors.widget_session_check(widget=widget, token=request.headers.get(SESSION_HEADER, ""))
        except Http404:
            return _error("This chat widget does not exist any more (its key may have been replaced).", 404)
        except TokenRefused as refused:
            return _error(str(refused), 401)
        except selectors.OriginRefused as refused:
            return _error(str(refused), 403)
        return view(request, widget, session)

    return csrf_exempt(require_POST(wrapped))


def _body(request: HttpRequest) -> dict:
    try:
        data = safejson.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _history(conversation) -> str:
    if conversation is None:
        return ""
    messages = list(conversation.messages.filter(status__in=[Message.Status.COMPLETE, Message.Status.ERROR]))
    items = []
    for message in messages:
        item = {"message": message}
        if message.role == Message.Role.ASSISTANT and message.status == Message.Status.COMPLETE:
            item["answer"] = rendering.answer_block_context(
                markdown=message.content,
                citations=answers.citations_from_dicts(message.citations),
                confidence=message.confidence,
            )
        items.append(item)
    return render_to_string("widgets/_history.html", {"items": items})


@_frame_api
def session_start(request: HttpRequest, widget, session: WidgetSession) -> JsonResponse:
    """Identify the visitor (a token the creator's site signed) or resume this tab's earlier
    visit; returns the session token to use from now on and where the visitor left off."""
    data = _body(request)
    visitor_token, resume = data.get("visitor_token"), data.get("resume")
    if isinstance(visitor_token, str) and visitor_token:
        try:
            visitor = visitor_token_verify(visitor_token, secret=selectors.widget_secret(widget=widget))
        except TokenRefused as refused:
            return _error(str(refused), 403)
        session = replace(session, visitor=visitor)
    elif isinstance(resume, str) and resume:
        try:
            previous = selectors.widget_session_check(widget=widget, token=resume)
        except (TokenRefused, selectors.OriginRefused):
            previous = None
        if previous is not None and previous.origin == session.origin:
            session = previous
    conversation = selectors.widget_conversation_latest(widget=widget, session=session)
    return JsonResponse({
        "token": session_token(session),
        "conversation": conversation.pk if conversation else None,
        "history": _history(conversation),
        "visitor": session.visitor.name if session.visitor else "",
    })  # fmt: skip


@_frame_api
def event(request: HttpRequest, widget, session: WidgetSession) -> HttpResponse:
    """The frame reports the visitor opened the chat (loads, conversations and questions are
    counted where they happen, on the server)."""
    if _body(request).get("type") != "open":
        return _error("Unknown event.", 400)
    services.widget_event_count(widget_id=widget.pk, origin=session.origin, metric="opens")
    return HttpResponse(status=204)


def _sse(event_name: str, data: dict) -> str:
    return f"event: {event_name}\ndata: {json.dumps(data)}\n\n"


def _relay(events: Iterator[AnswerEvent], *, widget_id: int, origin: str) -> Iterator[str]:
    for event_ in events:
        if isinstance(event_, TextPiece):
            yield _sse("token", {"text": event_.text})
        elif isinstance(event_, AnswerDone):
            if event_.confidence in selectors.UNANSWERED_CONFIDENCE:
                services.widget_event_count(widget_id=widget_id, origin=origin, metric="unanswered")
            yield _sse("done", event_.as_dict())
        elif isinstance(event_, AnswerFailed):
            yield _sse("error", {"message": event_.message})


async def _async_relay(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Run the blocking answer in its own thread and relay it, so the event loop stays free."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def produce() -> None:
        try:
            for chunk in chunks:
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
        finally:
            connection.close()
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=produce, name="widget-answer", daemon=True).start()
    while (chunk := await queue.get()) is not None:
        yield chunk


@_frame_api
def ask(request: HttpRequest, widget, session: WidgetSession) -> HttpResponse:
    """Ask through the answer core as a widget visitor (the channel owner's plan pays, behind the
    widget's limits) and stream the answer as Server-Sent Events: start, token..., done | error."""
    data = _body(request)
    question = data.get("question") if isinstance(data.get("question"), str) else ""
    conversation = None
    if data.get("conversation"):
        try:
            conversation = selectors.widget_conversation_get(widget=widget, session=session, pk=int(data["conversation"]))
        except (Http404, TypeError, ValueError):
            return _error("This conversation is not available any more. Start a new chat.", 404)
    asker = services.widget_asker(widget=widget, session=session, ip=client_ip(request))
    try:
        events = answer_stream(asker=asker, channels=[widget.channel], question=question, conversation=conversation)
    except services.WidgetLimitReached as refusal:
        return _error(str(refusal), 429)
    except QuestionRefused as refusal:
        return _error(str(refusal), 400)
    if conversation is None:
        services.widget_event_count(widget_id=widget.pk, origin=session.origin, metric="conversations")
        conversation = selectors.widget_conversation_latest(widget=widget, session=session)
    services.widget_event_count(widget_id=widget.pk, origin=session.origin, metric="questions")
    start = _sse("start", {"conversation": conversation.pk if conversation else None})

    def chunks() -> Iterator[str]:
        yield start
        yield from _relay(events, widget_id=widget.pk, origin=session.origin)

    if not connection.in_atomic_block:
        connection.close()  # the answer's thread takes its own connection when it needs one
    body = _async_relay(chunks()) if isinstance(request, ASGIRequest) else chunks()
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
