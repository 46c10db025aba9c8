from __future__ import annotations

import pytest

from billing.models import Usage, UserPlan
from billing.services import quota_consume
from yoppy.users import services
from yoppy.users.models import User


def test_deleting_a_user_removes_everything_they_own_and_nothing_of_others(alice, bob):
    quota_consume(user=alice)
    quota_consume(user=bob)

    summary = services.user_delete(user=alice)

    assert summary["users"] == 1 and summary["usage"] == 1 and summary["plan assignments"] == 1
    assert not User.objects.filter(email="alice@example.com").exists()
    assert not Usage.objects.filter(user__email="alice@example.com").exists()
    assert UserPlan.objects.filter(user=bob).exists() and Usage.objects.filter(user=bob).count() == 1


def test_a_user_whose_subscription_can_still_charge_them_is_not_deleted(alice):
    from billing.models import Subscription
    from tests.billing.factories import checkout
    from yoppy.users.services import UserDeleteRefused

    Subscription.objects.filter(pk=checkout(alice).pk).update(status="active")

    with pytest.raises(UserDeleteRefused, match="cancel it first"):
        services.user_delete(user=alice)
    assert type(alice).objects.filter(pk=alice.pk).exists()


def test_payments_outlive_the_deleted_account_without_their_owner(alice):
    from django.utils import timezone

    from billing.models import Payment, Subscription
    from tests.billing.factories import checkout

    sub = checkout(alice)
    Subscription.objects.filter(pk=sub.pk).update(status="cancelled")
    Payment.objects.create(user=alice, subscription=sub, plan=sub.plan, provider="razorpay", gateway_payment_id="pay_1",
                           amount_minor=29900, currency="INR", paid_at=timezone.now())  # fmt: skip

    services.user_delete(user=alice)

    assert Payment.objects.get().user is None and Subscription.objects.get().user is None
