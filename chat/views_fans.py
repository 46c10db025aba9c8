"""Pages of a signed-in fan beyond one chat: "my chats" across channels. (Kept beside views.py,
which holds the chat page itself.)"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat import selectors
from chat.links import chat_url

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
