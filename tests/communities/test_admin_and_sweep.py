"""Operators: every community with its company, plan, members, pool and shared channels, the
webhook deliveries; staff plan changes audited. And the sweep of uninstalled communities."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from affiliates.models import AppendOnlyError
from chat.models import AskerKind, Conversation
from communities.models import Community, CommunityAuditEntry, CommunityMember, WhopWebhookDelivery
from communities.services import communities_sweep


@pytest.mark.django_db
def test_staff_see_every_community_with_plan_members_pool_and_shares(client, staff, community):
    client.force_login(staff)
    html = client.get(reverse("admin:communities_community_changelist")).content.decode()
    assert "biz_bakersguild01" in html and "Bakers Guild" in html and "Pro" in html
    assert "300 of 300" in html  # pool left of limit
    assert client.get(reverse("admin:communities_community_change", args=[community.pk])).status_code == 200
    assert client.get(reverse("admin:communities_whopwebhookdelivery_changelist")).status_code == 200


@pytest.mark.django_db
def test_a_staff_plan_change_is_audited_with_who_what_and_why(client, staff, community):
    client.force_login(staff)
    url = reverse("admin:communities_community_plan", args=[community.pk])
    assert client.post(url, {"plan": "rich", "reason": ""}).status_code == 200  # a reason is required
    assert not CommunityAuditEntry.objects.exists()

    response = client.post(url, {"plan": "rich", "reason": "Partner deal, ticket 42"})

    assert response.status_code == 302
    community.refresh_from_db()
    assert (community.plan, community.channel_limit) == ("rich", 5)
    entry = CommunityAuditEntry.objects.get()
    assert (entry.actor, entry.company_id, entry.reason) == (staff, "biz_bakersguild01", "Partner deal, ticket 42")
    assert entry.detail == {"before": {"staff_plan": "", "effective": "pro"}, "after": {"staff_plan": "rich", "effective": "rich"}}
    with pytest.raises(AppendOnlyError):
        entry.delete()


@pytest.mark.django_db
def test_the_plan_fields_cannot_be_edited_around_the_audit(client, staff, community):
    client.force_login(staff)
    client.post(reverse("admin:communities_community_change", args=[community.pk]), {"staff_plan": "rich"})
    community.refresh_from_db()
    assert community.staff_plan == "" and not CommunityAuditEntry.objects.exists()


@pytest.mark.django_db
def test_a_non_staff_user_cannot_change_a_plan(client, alice, community):
    client.force_login(alice)
    client.post(reverse("admin:communities_community_plan", args=[community.pk]), {"plan": "rich", "reason": "me"})
    community.refresh_from_db()
    assert community.staff_plan == ""


@pytest.mark.django_db
def test_the_sweep_deletes_an_uninstalled_community_after_its_grace_period_only(community, persona):
    Conversation.objects.create(channel=persona, asker_kind=AskerKind.WHOP_MEMBER, asker_ref=f"{community.pk}:user_x")
    WhopWebhookDelivery.objects.create(webhook_id="msg_1", event_type="membership.activated", company_id=community.company_id, payload={})
    now = timezone.now()
    Community.objects.filter(pk=community.pk).update(installed=False, installation_at=now, delete_after=now + dt.timedelta(days=30))

    assert communities_sweep(now=now + dt.timedelta(days=29)) == 0
    assert Community.objects.filter(pk=community.pk).exists()

    assert communities_sweep(now=now + dt.timedelta(days=31)) == 1
    assert not Community.objects.exists() and not CommunityMember.objects.exists()
    assert not Conversation.objects.exists() and not WhopWebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_the_sweep_keeps_installed_communities(community):
    assert communities_sweep(now=timezone.now() + dt.timedelta(days=400)) == 0
    assert Community.objects.filter(pk=community.pk).exists()
