from __future__ import annotations

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
