"""The owners' dashboard view Whop frames: admins only; plan, members, pool used/left; the shared
channels, within the plan's limit, from the linked Yoppy account."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Community, CommunityChannel
from tests.channels_app.factories import ChannelFactory
from tests.communities.conftest import COMPANY, MEMBER, OUTSIDER, OWNER, whop_headers

URL = reverse("communities:dashboard", args=[COMPANY])


def csrf_of(html: str) -> str:
    """The page's per-user value, from the <body>'s htmx headers (every Whop page has them)."""
    return html.split('"X-Whop-Csrf": "', 1)[1].split('"', 1)[0]


def save(client, whop, channel_ids, *, user: str = OWNER):
    headers = whop_headers(whop, user)
    page = client.get(URL, headers=headers).content.decode()
    return client.post(URL, {"whop_csrf": csrf_of(page), "channels": [str(pk) for pk in channel_ids]}, headers=headers)


@pytest.mark.django_db
def test_the_owner_sees_plan_members_and_the_pool_used_and_left(client, whop, community):
    Community.objects.filter(pk=community.pk).update(pool_used=40, pool_period=community.created_at.date().replace(day=1))
    html = client.get(URL, headers=whop_headers(whop, OWNER)).content.decode()
    assert "Pro (2 shared channels)" in html and '<dd id="members">3</dd>' in html
    assert "40 used, 260 left of 300" in html
    assert f'value="{community.shared.get().channel_id}" checked' in html


@pytest.mark.django_db
@pytest.mark.parametrize("user", [MEMBER, OUTSIDER])
def test_members_and_outsiders_cannot_open_the_dashboard(client, whop, community, user):
    response = client.get(URL, headers=whop_headers(whop, user))
    assert response.status_code == 403 and "300" not in response.content.decode()


@pytest.mark.django_db
def test_a_forged_token_cannot_open_the_dashboard(client, whop, community):
    from tests.communities.whop_server import new_key

    assert client.get(URL, headers=whop_headers(whop, OWNER, key=new_key())).status_code == 401


@pytest.mark.django_db
def test_the_owner_shares_up_to_the_plans_limit(client, whop, community, alice, persona):
    second, third = ChannelFactory(owner=alice, title="Second"), ChannelFactory(owner=alice, title="Third")
    assert save(client, whop, [persona.pk, second.pk]).status_code == 200
    assert set(CommunityChannel.objects.values_list("channel_id", flat=True)) == {persona.pk, second.pk}

    refused = save(client, whop, [persona.pk, second.pk, third.pk])
    assert refused.status_code == 400 and "The Pro plan shares up to 2 channels; you picked 3." in refused.content.decode()
    assert set(CommunityChannel.objects.values_list("channel_id", flat=True)) == {persona.pk, second.pk}


@pytest.mark.django_db
@pytest.mark.parametrize(("plan", "limit"), [("basic", 1), ("pro", 2), ("rich", 5), ("none", 0)])
def test_each_plan_shares_its_number_of_channels(client, whop, community, alice, plan, limit):
    Community.objects.filter(pk=community.pk).update(paid_plan=plan)
    channels = [ChannelFactory(owner=alice) for _ in range(6)]
    assert save(client, whop, [c.pk for c in channels[:limit]]).status_code == 200
    assert save(client, whop, [c.pk for c in channels[: limit + 1]]).status_code == 400
    assert CommunityChannel.objects.filter(community=community).count() == limit


@pytest.mark.django_db
def test_another_creators_channel_cannot_be_shared(client, whop, community, bob):
    response = save(client, whop, [ChannelFactory(owner=bob).pk])
    assert response.status_code == 400 and "not in your Yoppy account" in response.content.decode()


@pytest.mark.django_db
def test_after_a_downgrade_members_see_the_oldest_shares_and_the_owner_is_asked(client, whop, community, alice, persona):
    from communities.selectors import community_channels_for_members

    second = ChannelFactory(owner=alice, title="Second")
    save(client, whop, [persona.pk, second.pk])
    Community.objects.filter(pk=community.pk).update(paid_plan="basic")
    community.refresh_from_db()

    assert community_channels_for_members(community=community) == [persona]
    html = client.get(URL, headers=whop_headers(whop, OWNER)).content.decode()
    assert 'id="downgrade-notice"' in html and "Your plan now shares 1 channel, and 2 are shared" in html
    assert save(client, whop, [second.pk]).status_code == 200
    assert community_channels_for_members(community=community) == [second]


@pytest.mark.django_db
def test_an_owner_without_a_linked_account_is_offered_the_link(client, whop, community):
    from communities.models import WhopAccount

    WhopAccount.objects.all().delete()
    html = client.get(URL, headers=whop_headers(whop, OWNER)).content.decode()
    assert "Link your Yoppy account" in html and 'href="http://localhost:8000/whop/link/"' in html
    assert save(client, whop, []).status_code == 403


@pytest.mark.django_db
def test_a_save_without_the_pages_csrf_value_is_refused(client, whop, community, persona):
    response = client.post(URL, {"channels": [str(persona.pk)]}, headers=whop_headers(whop, OWNER))
    assert response.status_code == 403
