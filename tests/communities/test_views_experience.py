"""The experience view Whop frames for members: who asks is the verified x-whop-user-token, their
access comes from Whop's v1 API, and they ask the community's shared personas through the
answer core, out of the community's pool."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from chat.models import AskerKind, Conversation, Message
from communities.models import Community, CommunityExperience
from tests.communities.conftest import COMPANY, EXPERIENCE, MEMBER, OUTSIDER, whop_headers
from tests.communities.whop_server import new_key

QUESTION = "How much flour goes into a new starter?"


def page_url(**query) -> str:
    url = reverse("communities:experience", args=[EXPERIENCE])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def csrf_of(html: str) -> str:
    return html.split('name="whop_csrf" value="', 1)[1].split('"', 1)[0]


def ask(client, whop, question: str = QUESTION, *, user: str = MEMBER, **extra):
    headers = whop_headers(whop, user)
    page = client.get(page_url(), headers=headers).content.decode()
    data = {"question": question, "channel": extra.pop("channel", ""), "whop_csrf": csrf_of(page), **extra}
    return client.post(reverse("communities:ask", args=[EXPERIENCE]), data, headers=headers)


def sse_events(response) -> list[tuple[str, dict]]:
    body = b"".join(response.streaming_content).decode()
    parsed = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((lines["event"], json.loads(lines["data"])))
    return parsed


def stream_url(response) -> str:
    return response.content.decode().split('data-whop-stream="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_a_member_sees_the_communitys_persona_and_its_pool(client, whop, community):
    response = client.get(page_url(), headers=whop_headers(whop))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ask the AI persona of Mira Bakes" in html and "300 of 300 left" in html
    assert 'id="ask-form"' in html and 'src="/static/js/whop.js"' in html


@pytest.mark.django_db
def test_a_member_asks_and_gets_a_streamed_cited_answer_paid_by_the_community_pool(client, whop, asking_community):
    response = ask(client, whop)
    assert response.status_code == 200 and QUESTION in response.content.decode()

    received = sse_events(client.get(stream_url(response), headers=whop_headers(whop)))

    assert [name for name, _ in received] == ["token"] * (len(received) - 1) + ["done"]
    done = received[-1][1]
    assert done["citations"][0]["youtube_id"] == "abcdefghijk" and 'class="citation-play"' in done["html"]
    conversation = Message.objects.get(pk=done["message_id"]).conversation
    community = asking_community
    assert (conversation.asker_kind, conversation.asker_ref) == (AskerKind.WHOP_MEMBER, f"{community.pk}:{MEMBER}")
    community.refresh_from_db()
    assert community.pool_used == 1
    # The stored conversation comes back on the next visit, rendered with chat's answer partial.
    again = client.get(page_url(), headers=whop_headers(whop)).content.decode()
    assert f'id="answer-{done["message_id"]}"' in again and 'class="citation-play"' in again


@pytest.mark.django_db
def test_a_member_follows_up_in_the_same_conversation(client, whop, asking_community):
    first = ask(client, whop)
    sse_events(client.get(stream_url(first), headers=whop_headers(whop)))
    conversation = Conversation.objects.get()
    second = ask(client, whop, "And how often do I feed it?", conversation=str(conversation.pk))
    assert second.status_code == 200
    assert Conversation.objects.count() == 1 and conversation.messages.count() == 4


@pytest.mark.django_db
def test_it_refuses_a_request_without_a_token(client, whop, community):
    response = client.get(page_url())
    assert response.status_code == 401 and "Open Yoppy from Whop" in response.content.decode()
    assert whop.api_calls("/api/v1") == []


@pytest.mark.django_db
def test_it_never_takes_a_token_from_the_url(client, whop, community):
    response = client.get(page_url(**{"x-whop-user-token": whop.token(MEMBER)}))
    assert response.status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    "token_kwargs",
    [
        pytest.param({"key": new_key()}, id="forged (signed by another key under Whop's key id)"),
        pytest.param({"expires_in": -120}, id="expired"),
        pytest.param({"aud": "app_someoneelse"}, id="wrong audience"),
        pytest.param({"iss": "https://evil.example"}, id="wrong issuer"),
        pytest.param({"kid": "kid-unknown", "key": new_key()}, id="unknown key id"),
    ],
)
def test_it_refuses_tokens_that_are_not_whops_for_this_app(client, whop, community, token_kwargs):
    response = client.get(page_url(), headers=whop_headers(whop, **token_kwargs))
    assert response.status_code == 401
    assert whop.api_calls("/api/v1") == []  # nothing is asked of Whop for an unverified user


@pytest.mark.django_db
def test_it_refuses_an_hs256_token_made_with_the_public_key(client, whop, community):
    import jwt
    from cryptography.hazmat.primitives import serialization

    public_pem = whop.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"sub": MEMBER, "aud": "app_yoppytest01", "iss": "urn:whopcom:exp-proxy", "exp": 9999999999}
    # PyJWT itself refuses to HMAC with a PEM key; sign the algorithm-confusion token by hand.
    import base64
    import hashlib
    import hmac

    def b64(raw: bytes) -> str:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": whop.kid}).encode())
    body = b64(json.dumps(claims).encode())
    sig = b64(hmac.new(public_pem, f"{head}.{body}".encode(), hashlib.sha256).digest())
    token = f"{head}.{body}.{sig}"
    with pytest.raises(jwt.PyJWTError):
        jwt.decode(token, options={"verify_signature": True}, key=whop.key.public_key(), algorithms=["ES256"])

    response = client.get(page_url(), headers={"x-whop-user-token": token})
    assert response.status_code == 401


@pytest.mark.django_db
def test_a_user_without_access_gets_a_clear_page_and_nothing_else(client, whop, community):
    response = client.get(page_url(), headers=whop_headers(whop, OUTSIDER))
    html = response.content.decode()
    assert response.status_code == 403 and "no access" in html.lower()
    assert "Mira Bakes" not in html and 'id="ask-form"' not in html


@pytest.mark.django_db
def test_a_user_without_access_cannot_ask_or_stream(client, whop, community):
    member_answer = ask(client, whop)
    outsider = whop_headers(whop, OUTSIDER)
    refused = client.post(reverse("communities:ask", args=[EXPERIENCE]), {"question": QUESTION}, headers=outsider)
    assert refused.status_code == 403
    assert client.get(stream_url(member_answer), headers=outsider).status_code == 403
    assert Message.objects.filter(role="user").count() == 1


@pytest.mark.django_db
def test_another_member_cannot_stream_a_members_answer(client, whop, community):
    whop.access[("user_member000002", EXPERIENCE)] = "customer"
    answer = ask(client, whop)
    response = client.get(stream_url(answer), headers=whop_headers(whop, "user_member000002"))
    assert response.status_code == 404
    assert Message.objects.get(role="assistant").status == Message.Status.PENDING


@pytest.mark.django_db
def test_a_question_without_the_pages_csrf_value_is_refused(client, whop, community):
    response = client.post(
        reverse("communities:ask", args=[EXPERIENCE]), {"question": QUESTION}, headers=whop_headers(whop)
    )
    assert response.status_code == 403 and not Message.objects.exists()


@pytest.mark.django_db
def test_the_access_level_is_cached_briefly(client, whop, community):
    for _ in range(3):
        assert client.get(page_url(), headers=whop_headers(whop)).status_code == 200
    assert whop.api_calls(f"/api/v1/users/{MEMBER}/access/") == [f"/api/v1/users/{MEMBER}/access/{EXPERIENCE}"]


@pytest.mark.django_db
def test_a_new_experience_is_learnt_from_whops_api_once(client, whop, community):
    whop.experiences["exp_second000001"] = (COMPANY, "Bakers Guild")
    whop.access[(MEMBER, "exp_second000001")] = "customer"
    url = reverse("communities:experience", args=["exp_second000001"])
    assert client.get(url, headers=whop_headers(whop)).status_code == 200
    assert client.get(url, headers=whop_headers(whop)).status_code == 200
    assert CommunityExperience.objects.get(experience_id="exp_second000001").community == community
    assert whop.api_calls("/api/v1/experiences/") == ["/api/v1/experiences/exp_second000001"]


@pytest.mark.django_db
def test_a_switched_off_community_says_so(client, whop, community):
    Community.objects.filter(pk=community.pk).update(installed=False)
    response = client.get(page_url(), headers=whop_headers(whop))
    assert response.status_code == 409 and "switched off" in response.content.decode()


@pytest.mark.django_db
def test_whop_being_away_is_a_503_page_not_a_500(client, whop, community, settings):
    settings.WHOP_API_BASE = "http://127.0.0.1:9/api/v1"  # nothing listens on the discard port
    response = client.get(page_url(), headers=whop_headers(whop))
    assert response.status_code == 503 and "try again" in response.content.decode()


@pytest.mark.django_db
def test_a_persona_not_shared_with_the_community_is_not_found(client, whop, community, bob):
    from tests.channels_app.factories import ChannelFactory

    private = ChannelFactory(owner=bob)
    response = client.get(page_url(channel=private.pk), headers=whop_headers(whop))
    assert response.status_code == 404


@pytest.mark.django_db
def test_without_the_apps_keys_the_whop_views_say_they_are_not_set_up(client, whop, community, settings):
    settings.WHOP_API_KEY = ""
    settings.WHOP_ENABLED = False
    response = client.get(page_url(), headers=whop_headers(whop))
    assert response.status_code == 503 and "not set up" in response.content.decode()


@pytest.mark.django_db
def test_members_see_when_the_pool_runs_out_and_what_happens_next(client, whop, community, settings):
    from django.utils import timezone

    from communities.pools import month_start

    Community.objects.filter(pk=community.pk).update(pool_used=300, pool_period=month_start(timezone.now()))
    page = client.get(page_url(), headers=whop_headers(whop)).content.decode()
    assert 'id="pool-empty"' in page and "0 of 300 left" in page

    response = ask(client, whop)

    assert response.status_code == 429
    import html as html_lib

    html = html_lib.unescape(response.content.decode())
    assert "used all 300 questions of this month's pool" in html and "refills on" in html
    assert "Upgrade" not in html and not Message.objects.exists()
    community.refresh_from_db()
    assert community.pool_used == 300


def test_an_impossible_event_time_is_read_as_no_time():
    from communities.whop.webhooks import event_parse

    event = event_parse({"type": "membership.activated", "timestamp": "2026-13-40T00:00:00Z", "data": []}, webhook_id="m")
    assert event.occurred_at is None and event.membership_id == ""
