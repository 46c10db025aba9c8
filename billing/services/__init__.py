"""Writes of the billing app: plans and quotas (plans), checkout and cancellation
(subscriptions), and the effects of the gateways' webhooks (webhooks)."""

from billing.services.plans import (
    QuotaDecision,
    quota_consume,
    quota_release,
    user_plan_assign_default,
    user_plan_change,
    user_plan_lock,
)

__all__ = ["QuotaDecision", "quota_consume", "quota_release", "user_plan_assign_default", "user_plan_change", "user_plan_lock"]
