"""A plan changed by staff applies at once: the cached plan (PLAN_CACHE_TTL_S) is dropped when a
plan is saved in the admin or a user's plan assignment changes there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.models import Plan, UserPlan
from billing.selectors import plan_get_for_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _long_cache(settings):
    settings.PLAN_CACHE_TTL_S = 3600


def _plan_change_form(plan: Plan) -> dict:
    fields = ["name", "slug", "description", "price_usd", "price_inr", "channel_limit", "monthly_query_limit",
              "max_videos_per_channel", "max_answer_tokens", "affiliate_commission_rate", "sort_order"]  # fmt: skip
    data = {name: getattr(plan, name) for name in fields if hasattr(plan, name)}
    data = {key: ("" if value is None else value) for key, value in data.items()}
    data.update({"is_public": "on" if plan.is_public else "", "is_default": "on" if plan.is_default else ""})
    data.update({"gateway_plans-TOTAL_FORMS": "0", "gateway_plans-INITIAL_FORMS": "0"})
    return {key: value for key, value in data.items() if value != ""}


def test_it_applies_a_plans_new_limit_edited_in_the_admin_at_once(client, staff, alice):
    plan = plan_get_for_user(user=alice)  # now cached
    client.force_login(staff)
    data = _plan_change_form(plan)
    data["monthly_query_limit"] = plan.monthly_query_limit + 7

    response = client.post(reverse("admin:billing_plan_change", args=[plan.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert plan_get_for_user(user=alice).monthly_query_limit == plan.monthly_query_limit + 7


def test_it_applies_a_users_plan_changed_in_the_admin_at_once(client, staff, alice):
    assert plan_get_for_user(user=alice).slug == "free"  # now cached
    assignment = UserPlan.objects.get(user=alice)
    client.force_login(staff)

    response = client.post(
        reverse("admin:billing_userplan_change", args=[assignment.pk]),
        {"user": alice.pk, "plan": Plan.objects.get(slug="personal").pk},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert plan_get_for_user(user=alice).slug == "personal"
