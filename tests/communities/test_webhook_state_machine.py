"""A community's life delivered the way Whop delivers: shuffled, duplicated. Whatever the order,
it ends where in-order delivery ends."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from communities.models import Community, CommunityMember, CommunityPayment, WhopWebhookDelivery
from communities.services import webhook_apply, webhook_receive
from communities.whop.webhooks import event_parse
from tests.communities import factories

COMPANY = "biz_life00000001"
T0 = 1_790_000_000  # 2026-09-21
DAY = 86400


def life() -> list[dict]:
    """Installed; three members join, one leaves; Pro paid, then refunded; Basic paid; Rich
    failed; uninstalled, then installed again; a member who left comes back."""
    m = factories.membership
    return [
        factories.installation("created", company=COMPANY, at=T0),
        m("activated", company=COMPANY, membership_id="mem_a", user="user_a", at=T0 + 10),
        m("activated", company=COMPANY, membership_id="mem_b", user="user_b", at=T0 + 20),
        factories.payment("succeeded", payment_id="pay_1", product="prod_pro", company=COMPANY, at=T0 + 30),
        m("activated", company=COMPANY, membership_id="mem_c", user="user_c", at=T0 + DAY),
        m("deactivated", company=COMPANY, membership_id="mem_a", user="user_a", at=T0 + 2 * DAY),
        factories.refund(refund_id="rfnd_1", payment_id="pay_1", at=T0 + 3 * DAY, status="pending", kind="created"),
        factories.refund(refund_id="rfnd_1", payment_id="pay_1", at=T0 + 3 * DAY + 60),
        factories.payment("succeeded", payment_id="pay_2", product="prod_basic", company=COMPANY, at=T0 + 4 * DAY),
        factories.payment("failed", payment_id="pay_3", product="prod_rich", company=COMPANY, at=T0 + 5 * DAY),
        m("deactivated", company=COMPANY, membership_id="mem_b", user="user_b", at=T0 + 6 * DAY),
        factories.installation("deleted", company=COMPANY, at=T0 + 7 * DAY),
        factories.installation("created", company=COMPANY, at=T0 + 8 * DAY),
        m("activated", company=COMPANY, membership_id="mem_a", user="user_a", at=T0 + 9 * DAY),
    ]


def deliver(payload: dict) -> None:
    delivery = webhook_receive(event=event_parse(payload, webhook_id=payload["id"]))
    if delivery is not None:
        webhook_apply(delivery_id=delivery.pk)


def snapshot() -> dict:
    community = Community.objects.get(company_id=COMPANY)
    return {
        "community": (community.installed, community.installation_at, community.delete_after, community.paid_plan,
                      community.active_members),  # fmt: skip
        "members": sorted(CommunityMember.objects.values_list("membership_id", "active", "state_at")),
        "payments": sorted(CommunityPayment.objects.values_list("payment_id", "state", "plan", "community__company_id")),
        "deliveries": WhopWebhookDelivery.objects.count(),
    }


@pytest.fixture
def in_order(db, settings):
    settings.WHOP_PLAN_PRODUCTS = {"prod_basic": "basic", "prod_pro": "pro", "prod_rich": "rich"}
    for payload in life():
        deliver(payload)
    expected = snapshot()
    assert expected["community"][0] is True and expected["community"][2] is None
    assert expected["community"][3:] == ("basic", 2)  # Pro refunded, Rich failed; a and c active
    Community.objects.all().delete()
    WhopWebhookDelivery.objects.all().delete()
    CommunityPayment.objects.all().delete()
    return expected


def test_any_order_with_duplicates_ends_as_in_order(in_order):
    events = life()

    class Deliveries(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.pending = list(range(len(events)))
            self.delivered: list[int] = []

        @rule(data=st.data())
        def deliver_one(self, data):
            if not self.pending:
                return
            index = data.draw(st.sampled_from(self.pending))
            self.pending.remove(index)
            deliver(events[index])
            self.delivered.append(index)

        @rule(data=st.data())
        def redeliver_one(self, data):
            if self.delivered:
                deliver(events[data.draw(st.sampled_from(self.delivered))])

        @invariant()
        def each_webhook_id_is_stored_once(self):
            assert WhopWebhookDelivery.objects.count() == len(self.delivered)

        def teardown(self):
            for index in self.pending:
                deliver(events[index])
            try:
                assert snapshot() == in_order
            finally:
                Community.objects.all().delete()
                WhopWebhookDelivery.objects.all().delete()
                CommunityPayment.objects.all().delete()

    run_state_machine_as_test(
        Deliveries,
        settings=settings(max_examples=25, stateful_step_count=20, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]),
    )  # fmt: skip


@pytest.mark.django_db
def test_a_refund_delivered_before_its_payment_still_wins(settings):
    settings.WHOP_PLAN_PRODUCTS = {"prod_pro": "pro"}
    deliver(factories.refund(refund_id="rfnd_9", payment_id="pay_9", at=T0 + 60))
    deliver(factories.payment("succeeded", payment_id="pay_9", product="prod_pro", company=COMPANY, at=T0))
    assert Community.objects.get(company_id=COMPANY).paid_plan == "none"
    assert CommunityPayment.objects.get().state == "refunded"


@pytest.mark.django_db
def test_a_payment_for_another_product_is_not_a_plan(settings):
    settings.WHOP_PLAN_PRODUCTS = {"prod_pro": "pro"}
    deliver(factories.payment("succeeded", payment_id="pay_8", product="prod_guild", company=COMPANY, at=T0))
    assert not Community.objects.exists() and WhopWebhookDelivery.objects.get().outcome.endswith("not a Yoppy plan")
