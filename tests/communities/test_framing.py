"""Only the two views Whop renders may be framed, and only by Whop's origins."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.communities.conftest import COMPANY, EXPERIENCE, OWNER, whop_headers


def frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("frame-ancestors"))


@pytest.mark.django_db
@pytest.mark.parametrize("view", ["experience", "dashboard"])
def test_the_whop_views_may_be_framed_by_whop_only(client, whop, community, settings, view):
    settings.WHOP_FRAME_ORIGINS = ["https://whop.com", "https://*.apps.whop.com"]
    url = reverse(f"communities:{view}", args=[EXPERIENCE if view == "experience" else COMPANY])
    response = client.get(url, headers=whop_headers(whop, OWNER))
    assert response.status_code == 200
    assert frame_ancestors(response) == "frame-ancestors https://whop.com https://*.apps.whop.com"
    assert "X-Frame-Options" not in response


@pytest.mark.django_db
def test_a_refusal_inside_whop_can_still_be_shown_in_whops_frame(client, whop, community):
    response = client.get(reverse("communities:experience", args=[EXPERIENCE]))
    assert response.status_code == 401 and "https://whop.com" in frame_ancestors(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/whop/link/",
        f"/whop/experiences/{EXPERIENCE}/answers/1/stream/",
        "/accounts/login/",
    ],
)
def test_every_other_page_keeps_denying_frames(client, whop, community, alice, url):
    client.force_login(alice)
    response = client.get(url, headers=whop_headers(whop))
    assert frame_ancestors(response) == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_the_chat_page_keeps_denying_frames(client, alice, persona):
    client.force_login(alice)
    response = client.get(reverse("chat:channel", args=[persona.pk]))
    assert response.status_code == 200 and frame_ancestors(response) == "frame-ancestors 'none'"
    assert response["X-Frame-Options"] == "DENY"
