"""The operators' console shows money records read-only, with search and filters."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing.services.webhooks import webhook_apply
from tests.billing.factories import checkout, event, gateway_plans

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(alice):
    gateway_plans()
    checkout(alice)
    webhook_apply(event=event("subscription.charged", payment="pay_1", amount=29900, currency="INR"))
    webhook_apply(event=event("subscription.activated", plan="plan_unknown"))


@pytest.mark.parametrize("model", ["subscription", "payment", "refund", "webhookdelivery", "plan"])
def test_staff_can_list_and_search_billing_records(client, staff, records, model):
    client.force_login(staff)

    response = client.get(reverse(f"admin:billing_{model}_changelist"), {"q": "sub_1"})

    assert response.status_code == 200


def test_deliveries_that_need_attention_can_be_filtered(client, staff, records):
    client.force_login(staff)

    response = client.get(reverse("admin:billing_webhookdelivery_changelist"), {"needs_attention__exact": "1"})

    assert list(response.context["cl"].result_list.values_list("event_type", flat=True)) == ["subscription.activated"]


def test_payments_cannot_be_edited_or_deleted_in_the_admin(client, staff, records):
    from billing.models import Payment

    client.force_login(staff)
    payment = Payment.objects.get()

    assert client.post(reverse("admin:billing_payment_delete", args=[payment.pk]), {"post": "yes"}).status_code == 403
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_gateway_plan_ids_are_entered_on_the_plan(client, staff, records):
    from billing.models import Plan

    client.force_login(staff)

    page = client.get(reverse("admin:billing_plan_change", args=[Plan.objects.get(slug="personal").pk])).content.decode()

    assert "plan_personal_usd" in page and "affiliate_commission_rate" in page
