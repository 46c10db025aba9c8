"""Under ASGI (uvicorn in production) the answer is composed in its own thread and relayed to the
event loop: the same events as under WSGI."""

from __future__ import annotations

import json

import pytest
from django.test import AsyncClient
from django.urls import reverse

from tests.communities.conftest import EXPERIENCE, whop_headers
from tests.communities.test_views_experience import csrf_of, page_url, stream_url
from tests.threads import run_async

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def test_a_member_streams_an_answer_under_asgi(whop, asking_community):
    client = AsyncClient()
    headers = whop_headers(whop)

    async def go() -> str:
        page = (await client.get(page_url(), headers=headers)).content.decode()
        asked = await client.post(
            reverse("communities:ask", args=[EXPERIENCE]),
            {"question": "How much flour goes into a new starter?", "whop_csrf": csrf_of(page)},
            headers=headers,
        )
        response = await client.get(stream_url(asked), headers=headers)
        return "".join([chunk.decode() async for chunk in response.streaming_content])

    body = run_async(go)

    blocks = [dict(line.split(": ", 1) for line in block.splitlines()) for block in body.strip().split("\n\n")]
    assert [block["event"] for block in blocks][-1] == "done" and len(blocks) > 2
    assert json.loads(blocks[-1]["data"])["citations"][0]["youtube_id"] == "abcdefghijk"
