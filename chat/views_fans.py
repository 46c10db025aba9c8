"""Pages around the chat beyond one conversation: a signed-in fan's "my chats" across channels,
and the public page's share card. (Kept beside views.py, which holds the chat page itself.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat import selectors
from chat.links import chat_url
from chat.services.share_cards import share_card_png

MY_CHATS_PER_PAGE = 50


@login_required
@require_GET
def my_chats(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.conversation_list_for_user(user=request.user), MY_CHATS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    for conversation in page:
        conversation.url = chat_url(
            channel=conversation.channel, conversation=conversation, viewer=request.user
        )
    return render(request, "chat/my_chats.html", {"page": page})


@require_GET
def share_card(request: HttpRequest, slug: str) -> HttpResponse:
    """A public page's share card (PNG), for link previews: a private channel's is a 404 like its page."""
    channel = selectors.channel_get_public(slug=slug)
    png, version = share_card_png(channel=channel)
    response = HttpResponse(png, content_type="image/png")
    # The page links the card with ?v=<version>: that URL's image never changes, so it may be
    # kept long; without the current version only briefly.
    fresh = request.GET.get("v") == version
    response["Cache-Control"] = f"public, max-age={365 * 24 * 3600 if fresh else 3600}"
    return response
