"""The operators' console: users with plan and usage, plans, usage, and the delete action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Plan
from billing.services import quota_consume
from yoppy.users.models import User


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def test_the_user_list_filters_by_plan_and_searches_by_email(staff_client, alice, bob):
    personal = Plan.objects.get(slug="personal")
    bob.plan_assignment.plan = personal
    bob.plan_assignment.save()

    filtered = staff_client.get(reverse("admin:users_user_changelist"), {"plan_assignment__plan__id__exact": personal.pk})
    searched = staff_client.get(reverse("admin:users_user_changelist"), {"q": "alice@"})

    assert b"bob@example.com" in filtered.content and b"alice@example.com" not in filtered.content
    assert b"alice@example.com" in searched.content and b"bob@example.com" not in searched.content


def test_a_user_page_shows_their_plan_and_usage_inline(staff_client, alice):
    quota_consume(user=alice)
    page = staff_client.get(reverse("admin:users_user_change", args=[alice.pk]))
    assert page.status_code == 200
    assert b"plan assignment" in page.content.lower() and b"Free" in page.content
    assert b'name="usages-0-queries_used"' in page.content and b'value="1"' in page.content


def test_staff_can_create_a_custom_plan_that_persists(staff_client):
    response = staff_client.post(reverse("admin:billing_plan_add"), {
        "slug": "team-pilot", "name": "Team pilot", "description": "", "price_usd": "9.00", "price_inr": "749",
        "channel_limit": "10", "monthly_query_limit": "2000", "max_answer_tokens": "900",
        "max_videos_per_channel": "300", "sort_order": "5", "is_public": "on", "affiliate_commission_rate": "0.300",
    })  # fmt: skip
    assert response.status_code == 302, response.content
    assert Plan.objects.get(slug="team-pilot").monthly_query_limit == 2000


def test_the_delete_action_removes_users_and_everything_they_own(staff_client, alice, bob):
    quota_consume(user=alice)
    response = staff_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_with_everything_owned", "_selected_action": [alice.pk]},
        follow=True,
    )
    assert b"Deleted alice@example.com" in response.content
    assert list(User.objects.filter(email__in=["alice@example.com", "bob@example.com"]).values_list("email", flat=True)) == ["bob@example.com"]


def test_non_staff_cannot_open_the_console(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:users_user_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
