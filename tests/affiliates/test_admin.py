"""Staff process payouts in the admin: find them, approve, reject with a reason, mark hand-paid
ones paid; every money action is audited; ledger, audit and bank details stay read-only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from affiliates.models import AuditEntry, Commission, Payout, PayoutDestination
from affiliates.services import commission_record_for_payment, payout_request
from billing.models import Plan
from tests.affiliates.factories import T0, payment, refer

NOW = T0 + dt.timedelta(days=31)
CHANGELIST = reverse("admin:affiliates_payout_changelist")
BANK = PayoutDestination(account_number="123456789012", ifsc="HDFC0001234", holder_name="Alice Rao")
PAYPAL = PayoutDestination(paypal_email="bob.builder@gmail.com")


@pytest.fixture(autouse=True)
def _rules(settings):
    settings.AFFILIATE_HOLD_DAYS = 30
    settings.AFFILIATE_MIN_PAYOUT_MINOR = {"INR": 50000, "USD": 1000}


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def alices_payout(alice, charlie):
    refer(charlie, by=alice)
    commission_record_for_payment(payment=payment(charlie, amount_minor=200000, currency="INR", paid_at=T0))
    return payout_request(creator=alice, amount_minor=60000, currency="INR", destination=BANK, now=NOW)


@pytest.fixture
def bobs_payout(bob):
    from tests.users.factories import UserFactory

    fan = UserFactory()
    refer(fan, by=bob)
    commission_record_for_payment(payment=payment(fan, amount_minor=5000, currency="USD", paid_at=T0))
    return payout_request(creator=bob, amount_minor=2000, currency="USD", destination=PAYPAL, now=NOW)


def test_payouts_are_listed_masked_and_filtered_by_status_and_searched_by_creator(
    staff_client, alices_payout, bobs_payout
):
    Payout.objects.filter(pk=bobs_payout.pk).update(status=Payout.Status.PAID)

    page = staff_client.get(CHANGELIST).content.decode()
    assert "₹600.00" in page and "Bank account ••••9012 (HDFC)" in page and "PayPal b***@g***.com" in page
    assert "123456789012" not in page and "bob.builder@gmail.com" not in page

    requested = staff_client.get(CHANGELIST, {"status__exact": "requested"}).content.decode()
    assert "••••9012" in requested and "b***@g***.com" not in requested
    by_bob = staff_client.get(CHANGELIST, {"q": "bob@"}).content.decode()
    assert "b***@g***.com" in by_bob and "••••9012" not in by_bob


def test_a_payout_page_shows_the_masked_destination_never_the_clear_one(staff_client, alices_payout):
    page = staff_client.get(reverse("admin:affiliates_payout_change", args=[alices_payout.pk])).content.decode()

    assert "••••9012" in page
    assert "123456789012" not in page and "Alice Rao" not in page
    assert alices_payout.destination_encrypted not in page


def test_staff_approve_a_payout_and_the_approval_is_audited(staff_client, staff, alices_payout):
    response = staff_client.post(
        CHANGELIST, {"action": "approve", "_selected_action": [alices_payout.pk]}, follow=True
    )

    assert "Approved 1 payout(s)." in response.content.decode()
    assert Payout.objects.get(pk=alices_payout.pk).status == Payout.Status.APPROVED
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.payout_id) == (staff, "payout_approve", alices_payout.pk)


def test_rejecting_asks_for_a_reason_first(staff_client, alices_payout):
    page = staff_client.post(CHANGELIST, {"action": "reject", "_selected_action": [alices_payout.pk]})

    assert page.status_code == 200 and b'name="reason"' in page.content
    assert Payout.objects.get(pk=alices_payout.pk).status == Payout.Status.REQUESTED
    assert not AuditEntry.objects.exists()


def test_staff_reject_a_payout_with_a_reason_that_is_audited(staff_client, staff, alices_payout):
    staff_client.post(
        CHANGELIST,
        {"action": "reject", "_selected_action": [alices_payout.pk], "apply": "1", "reason": "Name mismatch"},
    )

    payout = Payout.objects.get(pk=alices_payout.pk)
    assert (payout.status, payout.rejection_reason, payout.decided_by) == ("rejected", "Name mismatch", staff)
    assert AuditEntry.objects.get().reason == "Name mismatch"


def test_staff_mark_an_approved_paypal_payout_paid_with_the_reference(staff_client, bobs_payout):
    staff_client.post(CHANGELIST, {"action": "approve", "_selected_action": [bobs_payout.pk]})
    assert Payout.objects.get(pk=bobs_payout.pk).get_status_display() == "Approved, to pay by hand"

    staff_client.post(
        CHANGELIST,
        {"action": "mark_paid", "_selected_action": [bobs_payout.pk], "apply": "1", "reference": "9XJ12345"},
    )

    payout = Payout.objects.get(pk=bobs_payout.pk)
    assert (payout.status, payout.reference) == ("paid", "9XJ12345")
    assert list(AuditEntry.objects.order_by("pk").values_list("action", flat=True)) == [
        "payout_approve", "payout_mark_paid"
    ]  # fmt: skip


def test_an_action_on_a_payout_in_the_wrong_state_is_refused_with_a_message(staff_client, alices_payout):
    Payout.objects.filter(pk=alices_payout.pk).update(status=Payout.Status.PAID)

    response = staff_client.post(
        CHANGELIST, {"action": "approve", "_selected_action": [alices_payout.pk]}, follow=True
    )

    assert f"Payout #{alices_payout.pk} is paid." in response.content.decode()
    assert not AuditEntry.objects.exists()


def test_staff_without_the_change_permission_cannot_approve(client, alices_payout):
    from django.contrib.auth.models import Permission

    from tests.users.factories import UserFactory

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_payout"))
    client.force_login(viewer)

    client.post(CHANGELIST, {"action": "approve", "_selected_action": [alices_payout.pk]})

    assert Payout.objects.get(pk=alices_payout.pk).status == Payout.Status.REQUESTED


def test_payouts_cannot_be_added_edited_or_deleted_in_the_admin(staff_client, alices_payout):
    change = reverse("admin:affiliates_payout_change", args=[alices_payout.pk])

    assert staff_client.get(reverse("admin:affiliates_payout_add")).status_code == 403
    staff_client.post(change, {"amount_minor": 1, "status": "paid"})
    assert staff_client.post(reverse("admin:affiliates_payout_delete", args=[alices_payout.pk])).status_code == 403
    payout = Payout.objects.get(pk=alices_payout.pk)
    assert (payout.amount_minor, payout.status) == (60000, "requested")


def test_the_ledger_and_the_audit_log_are_read_only_in_the_admin(staff_client, staff, alices_payout):
    staff_client.post(CHANGELIST, {"action": "approve", "_selected_action": [alices_payout.pk]})
    commission, entry = Commission.objects.get(), AuditEntry.objects.get()

    for name, obj in (("commission", commission), ("auditentry", entry)):
        assert staff_client.get(reverse(f"admin:affiliates_{name}_change", args=[obj.pk])).status_code == 200
        assert staff_client.get(reverse(f"admin:affiliates_{name}_add")).status_code == 403
        assert staff_client.post(reverse(f"admin:affiliates_{name}_delete", args=[obj.pk])).status_code == 403
    assert staff_client.get(reverse("admin:affiliates_auditentry_changelist")).status_code == 200


def test_a_commission_rate_change_on_a_plan_is_audited(staff_client, staff):
    from django.forms.models import model_to_dict

    plan = Plan.objects.get(slug="personal")
    data = {k: ("" if v is None else v) for k, v in model_to_dict(plan).items()}
    data.update(affiliate_commission_rate="0.350", is_public="on" if plan.is_public else "")
    # The plan page also carries its gateway plan ids (none here).
    data.update({"gateway_plans-TOTAL_FORMS": "0", "gateway_plans-INITIAL_FORMS": "0",
                 "gateway_plans-MIN_NUM_FORMS": "0", "gateway_plans-MAX_NUM_FORMS": "1000"})  # fmt: skip
    if not plan.is_default:
        data.pop("is_default")

    response = staff_client.post(reverse("admin:billing_plan_change", args=[plan.pk]), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Plan.objects.get(pk=plan.pk).affiliate_commission_rate == Decimal("0.350")
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target) == (staff, "plan_rate_change", "Plan personal")
    assert entry.detail == {"old_rate": "0.400", "new_rate": "0.350"}
