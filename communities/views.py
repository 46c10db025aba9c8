"""The Yoppy app inside Whop: the experience view (members chat with the community's shared
personas) and the dashboard view (owners), which Whop renders in its iframe; the answer stream;
the OAuth link of an owner's Yoppy account; the app's webhooks.

Who asks is never taken from a URL or a cookie: every request to the Whop views carries the
``x-whop-user-token`` JWT that Whop's proxy adds, verified each time, then the user's access to
the experience or company is checked with Whop's v1 API (cached briefly). Only the two views
Whop frames allow framing, and only by ``WHOP_FRAME_ORIGINS``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import wraps

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat import answers
from chat.events import AnswerDone, AnswerEvent, AnswerFailed, TextPiece
from chat.models import AskerKind, Message
from chat.selectors import conversation_latest_for_asker
from chat.services.askers import Asker, QuestionRefused
from chat.services.asking import message_answer
from chat.services.conversations import message_claim_for_streaming, question_ask
from communities import selectors, services
from communities.models import Community, CommunityPlan
from communities.pools import CommunityPool, PoolEmpty
from communities.whop import WhopUnavailable, api, oauth, tokens
from communities.whop.webhooks import SignatureInvalid, event_verify
from yoppy.http.ids import id_from, id_parse

logger = logging.getLogger(__name__)

CSRF_HEADER = "X-Whop-Csrf"


class _Denied(Exception):
    """Stop here and show the member or owner this page (a clear reason, nothing else)."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def _whop_frameable(view: Callable) -> Callable:
    """Let Whop, and only Whop, frame this view: ``frame-ancestors`` lists WHOP_FRAME_ORIGINS
    (read per request, so the setting can change without a code change) and X-Frame-Options is
    left off (it cannot name an origin; browsers apply both). Every other view keeps
    ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        framed = csp_replace({"frame-ancestors": list(settings.WHOP_FRAME_ORIGINS)})(view)
        return framed(request, *args, **kwargs)

    return xframe_options_exempt(wrapped)


def _denied_page(request: HttpRequest, denied: _Denied) -> HttpResponse:
    return render(
        request, "communities/denied.html", {"title": denied.title, "message": denied.message}, status=denied.status
    )


def _whop_user(request: HttpRequest) -> tokens.WhopUser:
    if not settings.WHOP_ENABLED:
        raise _Denied(503, "Not set up", "Yoppy's Whop app is not set up on this server yet.")
    try:
        return tokens.user_token_verify(request.headers.get(tokens.HEADER))
    except tokens.TokenInvalid as exc:
        logger.info("Whop user token refused: %s", exc)
        raise _Denied(
            401, "Open Yoppy from Whop", "This page only works inside your Whop community. Open Yoppy from Whop."
        ) from exc


def _access(*, user: tokens.WhopUser, resource_id: str) -> api.AccessLevel:
    level = api.access_level(user_id=user.user_id, resource_id=resource_id)
    if level == api.AccessLevel.NO_ACCESS:
        raise _Denied(
            403, "No access", "Your Whop account has no access to this. Join the community in Whop to ask its personas."
        )
    return level


def _csrf_value(*, user: tokens.WhopUser, resource_id: str) -> str:
    """A per-user, per-resource value the pages send back on every POST (header or field).
    Django's CSRF cookie cannot be relied on inside Whop's third-party iframe; a cross-site
    form cannot know this value, nor send a custom header without a CORS preflight."""
    return salted_hmac("communities.whop-csrf", f"{user.user_id}:{resource_id}").hexdigest()


def _csrf_check(request: HttpRequest, *, user: tokens.WhopUser, resource_id: str) -> None:
    sent = request.headers.get(CSRF_HEADER) or request.POST.get("whop_csrf") or ""
    if not constant_time_compare(sent, _csrf_value(user=user, resource_id=resource_id)):
        raise _Denied(403, "Please reload", "This form expired. Reload the page and try again.")


@dataclass(frozen=True)
class _Member:
    user: tokens.WhopUser
    level: api.AccessLevel
    community: Community

    @property
    def asker(self) -> Asker:
        return Asker(
            kind=AskerKind.WHOP_MEMBER,
            ref=services.member_ref(community=self.community, whop_user_id=self.user.user_id),
            pool=CommunityPool(community_id=self.community.pk),
        )


def _member(request: HttpRequest, experience_id: str) -> _Member:
    """The verified Whop user with access to the experience, and its community (switched on)."""
    user = _whop_user(request)
    level = _access(user=user, resource_id=experience_id)
    community = selectors.community_for_experience(experience_id=experience_id)
    if community is None:
        info = api.experience_get(experience_id=experience_id)
        if info is None:
            raise _Denied(404, "Not found", "Whop does not know this experience.")
        community = services.community_experience_learn(info=info)
    if not community.installed:
        raise _Denied(
            409, "Yoppy is switched off", "Yoppy is not installed in this community right now. Ask its owner to add it back."
        )
    return _Member(user=user, level=level, community=community)


def _whop_view(view: Callable) -> Callable:
    """Denials and Whop outages as pages: a 4xx with the reason, a 503 when Whop is away."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except _Denied as denied:
            return _denied_page(request, denied)
        except Http404:
            return _denied_page(request, _Denied(404, "Not found", "There is nothing here."))
        except WhopUnavailable as exc:
            logger.warning("Whop unavailable: %s", exc)
            return _denied_page(
                request, _Denied(503, "Whop is not answering", "Whop could not be reached. Please try again in a minute.")
            )

    return wrapped


def _rendered(messages: list[Message]) -> list[Message]:
    """Stored answers rendered as chat renders them (templates/chat/_answer.html)."""
    for message in messages:
        if message.role == Message.Role.ASSISTANT and message.status == Message.Status.COMPLETE:
            message.citation_list = answers.citations_from_dicts(message.citations)
            message.html = answers.answer_html(message.content, citations=message.citation_list)
    return messages


def _channel_for_member(member: _Member, raw_id) -> object:
    channels = selectors.community_channels_for_members(community=member.community)
    if raw_id in (None, ""):
        return channels[0] if channels else None
    wanted = id_parse(raw_id)
    for channel in channels:
        if channel.pk == wanted:
            return channel
    raise _Denied(404, "Not found", "That persona is not shared with this community.")


@_whop_frameable
@csrf_exempt
@require_GET
@_whop_view
def experience(request: HttpRequest, experience_id: str) -> HttpResponse:
    member = _member(request, experience_id)
    channels = selectors.community_channels_for_members(community=member.community)
    channel = _channel_for_member(member, request.GET.get("channel"))
    conversation = None
    if channel is not None:
        conversation = conversation_latest_for_asker(asker=member.asker, channel=channel)
    pool = selectors.community_pool_status(community=member.community)
    return render(request, "communities/experience.html", {
        "community": member.community,
        "experience_id": experience_id,
        "channels": channels,
        "channel": channel,
        "conversation": conversation,
        "chat_messages": _rendered(list(conversation.messages.all())) if conversation else [],
        "pool": pool,
        "is_admin": member.level == api.AccessLevel.ADMIN,
        "whop_csrf": _csrf_value(user=member.user, resource_id=experience_id),
        "offline": settings.LLM_PROVIDER == "offline",
    })  # fmt: skip


@csrf_exempt
@require_POST
@_whop_view
def experience_ask(request: HttpRequest, experience_id: str) -> HttpResponse:
    member = _member(request, experience_id)
    _csrf_check(request, user=member.user, resource_id=experience_id)
    channel = _channel_for_member(member, request.POST.get("channel"))
    if channel is None:
        raise _Denied(404, "Not found", "The community's owner has not shared a persona yet.")
    conversation = None
    if request.POST.get("conversation"):
        conversation = selectors.member_conversation_get(
            asker=member.asker, channel=channel, pk=id_from(request.POST, "conversation")
        )
    try:
        answer = question_ask(
            asker=member.asker, channel=channel, text=request.POST.get("question", ""), conversation=conversation
        )
    except QuestionRefused as refusal:
        status = 429 if isinstance(refusal, PoolEmpty) else 400
        return render(request, "chat/_refusal.html", {"refusal": refusal}, status=status)
    return render(request, "communities/_exchange.html", {
        "question": answer.question, "answer": answer, "conversation": answer.conversation,
        "stream_url": reverse("communities:stream", args=[experience_id, answer.pk]),
    })  # fmt: skip


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data)}\n\n"


def _sse_event(event: AnswerEvent) -> str:
    """The core's events as the same SSE the chat page reads: "token", then "done" or "error"."""
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
    """The (blocking) answer runs in its own thread; the event loop only relays its pieces."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def produce() -> None:
        try:
            for chunk in _sync_stream(message):
                loop.call_soon_threadsafe(queue.put_nowait, chunk)
        finally:
            connection.close()
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=produce, name=f"whop-answer-{message.pk}", daemon=True).start()
    while (chunk := await queue.get()) is not None:
        yield chunk


@csrf_exempt
@require_GET
@_whop_view
def experience_stream(request: HttpRequest, experience_id: str, message_pk: int) -> HttpResponse:
    member = _member(request, experience_id)
    message = selectors.member_message_get(asker=member.asker, pk=message_pk)
    if not message_claim_for_streaming(message=message):
        return HttpResponse(
            _sse("error", {"message": "This answer was already delivered."}), content_type="text/event-stream", status=409
        )
    message = Message.objects.select_related("conversation__channel__owner", "conversation__user", "question").get(
        pk=message.pk
    )
    if not connection.in_atomic_block:
        connection.close()  # the answer's thread takes its own connection; none is held meanwhile
    body = _async_stream(message) if isinstance(request, ASGIRequest) else _sync_stream(message)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _dashboard_context(*, user: tokens.WhopUser, company_id: str, community: Community | None, error: str = "") -> dict:
    owner = selectors.whop_account_user(whop_user_id=user.user_id)
    shared = selectors.community_shared_channels(community=community) if community else []
    limit = community.channel_limit if community else 0
    return {
        "company_id": company_id,
        "community": community,
        "plan_label": CommunityPlan(community.plan).label if community else "",
        "pool": selectors.community_pool_status(community=community) if community else None,
        "owner": owner,
        "owner_channels": selectors.owner_channels(user=owner) if owner else [],
        "shared": shared,
        "shared_ids": {channel.pk for channel in shared},
        "over_limit": len(shared) > limit,
        "limit": limit,
        "per_member": settings.WHOP_QUESTIONS_PER_MEMBER,
        "error": error,
        "link_url": f"{settings.SITE_URL}{reverse('communities:link')}",
        "whop_csrf": _csrf_value(user=user, resource_id=company_id),
    }


@_whop_frameable
@csrf_exempt
@require_http_methods(["GET", "POST"])
@_whop_view
def dashboard(request: HttpRequest, company_id: str) -> HttpResponse:
    """The owner's view: plan, pool used/left, members, and which channels are shared."""
    user = _whop_user(request)
    if _access(user=user, resource_id=company_id) != api.AccessLevel.ADMIN:
        raise _Denied(403, "Owners only", "Only the community's admins can open Yoppy's dashboard.")
    community = selectors.community_for_company(company_id=company_id)
    error, status = "", 200
    if request.method == "POST":
        _csrf_check(request, user=user, resource_id=company_id)
        owner = selectors.whop_account_user(whop_user_id=user.user_id)
        if community is None or not community.installed:
            raise _Denied(409, "Yoppy is not installed", "Install Yoppy in this community first.")
        if owner is None:
            raise _Denied(403, "Link your Yoppy account", "Link your Yoppy account first.")
        try:
            services.community_channels_set(
                community=community, user=owner, channel_ids=[n for v in request.POST.getlist("channels") if (n := id_parse(v))]
            )
        except services.SharingRefused as refusal:
            error, status = str(refusal), 400
        community.refresh_from_db()
    context = _dashboard_context(user=user, company_id=company_id, community=community, error=error)
    return render(request, "communities/dashboard.html", context, status=status)


@login_required
@require_GET
def link(request: HttpRequest) -> HttpResponse:
    """Start linking the signed-in Yoppy account to a Whop user (a top-level page: Whop's
    dashboard opens it in a new tab, where the Yoppy session cookie is first-party)."""
    if not settings.WHOP_OAUTH_CLIENT_ID:
        return render(request, "communities/linked.html", {"error": "Linking with Whop is not set up on this server."}, status=503)
    start = oauth.authorize_start(redirect_uri=f"{settings.SITE_URL}{reverse('communities:link_callback')}")
    request.session["whop_oauth"] = {"state": start.state, "verifier": start.verifier}
    return redirect(start.url)


@login_required
@require_GET
def link_callback(request: HttpRequest) -> HttpResponse:
    pending = request.session.pop("whop_oauth", None) or {}
    state, code = request.GET.get("state", ""), request.GET.get("code", "")
    if not pending.get("state") or not constant_time_compare(state, pending["state"]):
        return render(request, "communities/linked.html", {"error": "This sign-in link expired or was not started here. Please start again."}, status=400)
    if not code:
        return render(request, "communities/linked.html", {"error": "Whop did not confirm the sign-in. Please start again."}, status=400)
    try:
        tokens_ = oauth.code_exchange(
            code=code, verifier=pending["verifier"], redirect_uri=f"{settings.SITE_URL}{reverse('communities:link_callback')}"
        )
    except oauth.OAuthRefused as exc:
        return render(request, "communities/linked.html", {"error": str(exc)}, status=400)
    except WhopUnavailable:
        logger.warning("Whop OAuth unavailable", exc_info=True)
        return render(request, "communities/linked.html", {"error": "Whop could not be reached. Please try again in a minute."}, status=503)
    services.whop_account_link(user=request.user, tokens=tokens_)
    return render(request, "communities/linked.html", {"error": ""})


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Whop's app webhooks: verified, stored once per webhook-id, acknowledged; the work is a job."""
    if not settings.WHOP_WEBHOOK_SECRET:
        return JsonResponse({"error": "Whop webhooks are not configured."}, status=503)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        event = event_verify(body=request.body, headers=headers, secret=settings.WHOP_WEBHOOK_SECRET)
    except SignatureInvalid as exc:
        logger.warning("Whop webhook refused: %s", exc)
        return JsonResponse({"error": f"Webhook refused: {exc}"}, status=400)
    delivery = services.webhook_receive(event=event)
    return JsonResponse({"ok": True, "duplicate": delivery is None})
