"""What Whop's verified app webhooks do to communities, members and plans.

Whop delivers at least once, sometimes late, in any order. So:

* **Once.** ``webhook_receive`` stores one ``WhopWebhookDelivery`` per ``webhook-id`` (a unique
  index: a redelivery, even at the same moment, inserts nothing) and queues the work; the web
  request does nothing else, so Whop gets its 200 at once.
* **Any order.** ``webhook_apply`` (the job) reads each fact with the time of its event and keeps
  the latest: install state by (event time, uninstall above install), a membership's state by
  (event time, deactivation above activation), a payment's state only upwards (failed <
  succeeded < refunded, so a refund delivered before its payment still wins). The plan is then
  derived from the payments (the latest paid one that was not refunded), and the member count
  from the memberships, so the same events in any order leave the same rows.
* **Downgrades** change no shared channel here: members see only as many as the plan allows (the
  oldest first) until the owner picks which stay on the dashboard view.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import django_rq
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from communities.models import (
    Community,
    CommunityMember,
    CommunityPayment,
    CommunityPlan,
    WhopWebhookDelivery,
)
from communities.whop.webhooks import WhopEvent, event_parse

logger = logging.getLogger(__name__)

QUEUE = "default"
_State = CommunityPayment.State


def webhook_receive(*, event: WhopEvent) -> WhopWebhookDelivery | None:
    """Store a verified delivery and queue its work after commit; None for a redelivery (an
    id already stored), which changes nothing."""
    if not event.webhook_id:
        raise ValueError("a verified delivery always has a webhook-id")
    try:
        with transaction.atomic():
            delivery = WhopWebhookDelivery.objects.create(
                webhook_id=event.webhook_id, event_type=event.event_type[:64], occurred_at=event.occurred_at,
                company_id=event.company_id[:64], payload=event.raw,
            )  # fmt: skip
            # django-rq's on_db_commit mode pushes the job when this transaction commits.
            django_rq.get_queue(QUEUE).enqueue(
                "communities.tasks.whop_webhook_apply", delivery.pk, job_id=f"whop-webhook-{delivery.pk}"
            )
    except IntegrityError:
        return None
    return delivery


def webhook_apply(*, delivery_id: int) -> str | None:
    """Apply a stored delivery once (the job; safe to run twice). Returns what it did."""
    with transaction.atomic():
        delivery = WhopWebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.applied_at is not None:
            return None
        event = event_parse(delivery.payload, webhook_id=delivery.webhook_id)
        handler = _HANDLERS.get(event.event_type)
        outcome, attention = handler(event) if handler else (f"ignored: {event.event_type or 'no type'}", False)
        delivery.applied_at = timezone.now()
        delivery.outcome = outcome[:200]
        delivery.needs_attention = attention
        delivery.save(update_fields=["applied_at", "outcome", "needs_attention"])
    if attention:
        logger.error("Whop webhook %s (%s) needs attention: %s", event.webhook_id, event.event_type, outcome)
    return outcome


def _community_locked(company_id: str, *, title: str = "") -> Community:
    """The company's community row, created when this is the first event about it (a membership
    may arrive before the installation), locked for the rest of the transaction."""
    Community.objects.bulk_create([Community(company_id=company_id, name=title[:200])], ignore_conflicts=True)
    community = Community.objects.select_for_update().get(company_id=company_id)
    if title and not community.name:
        community.name = title[:200]
    return community


def _at(event: WhopEvent) -> dt.datetime:
    return event.occurred_at or timezone.now()


def _installation(event: WhopEvent, *, installed: bool) -> tuple[str, bool]:
    if not event.company_id:
        return ("installation event names no company", True)
    community = _community_locked(event.company_id, title=event.company_title)
    at = _at(event)
    current = (community.installation_at, 0 if community.installed else 1)
    if community.installation_at is None or (at, 0 if installed else 1) > current:
        community.installed = installed
        community.installation_at = at
        community.delete_after = None if installed else at + dt.timedelta(days=settings.WHOP_DATA_GRACE_DAYS)
        community.save()
        return ("installed" if installed else f"switched off, data kept until {community.delete_after:%Y-%m-%d}", False)
    community.save(update_fields=["name", "updated_at"])
    return ("an older installation event: kept the newer state", False)


def _membership(event: WhopEvent, *, active: bool) -> tuple[str, bool]:
    if event.product_id in settings.WHOP_PLAN_PRODUCTS:
        return ("a Yoppy plan membership: its payments set the plan", False)
    if not event.company_id or not event.membership_id:
        return ("membership event without company or membership id", True)
    community = _community_locked(event.company_id, title=event.company_title)
    at = _at(event)
    CommunityMember.objects.bulk_create(
        [CommunityMember(community=community, membership_id=event.membership_id, whop_user_id=event.user_id,
                         active=active, state_at=at)],  # fmt: skip
        ignore_conflicts=True,
    )
    member = CommunityMember.objects.get(community=community, membership_id=event.membership_id)
    if (at, 0 if active else 1) > (member.state_at, 0 if member.active else 1):
        member.active, member.state_at = active, at
        member.whop_user_id = member.whop_user_id or event.user_id
        member.save()
    community.active_members = community.members.filter(active=True).count()
    community.save(update_fields=["active_members", "name", "updated_at"])
    return (f"{community.active_members} active members", False)


def _payment_row_locked(payment_id: str, *, state: str) -> CommunityPayment:
    CommunityPayment.objects.bulk_create([CommunityPayment(payment_id=payment_id, state=state)], ignore_conflicts=True)
    return CommunityPayment.objects.select_for_update().get(payment_id=payment_id)


def _payment(event: WhopEvent, *, state: str) -> tuple[str, bool]:
    plan = settings.WHOP_PLAN_PRODUCTS.get(event.product_id)
    if plan is None:
        return (f"payment for product {event.product_id or '(none)'}: not a Yoppy plan", False)
    if not event.payment_id or not event.metadata_company_id:
        return ("plan payment without payment id or metadata company_id", True)
    community = _community_locked(event.metadata_company_id)
    payment = _payment_row_locked(event.payment_id, state=state)
    if CommunityPayment.RANK[_State(state)] > CommunityPayment.RANK[_State(payment.state)]:
        payment.state = state
    payment.community = community
    payment.product_id, payment.plan = event.product_id, plan
    payment.paid_at = payment.paid_at or event.paid_at or _at(event)
    payment.save()
    return (f"payment {payment.payment_id} {payment.state}; {_plan_derive(community)}", False)


def _refund(event: WhopEvent) -> tuple[str, bool]:
    if event.refund_status != "succeeded":
        return (f"refund {event.refund_status or 'without status'}: nothing to change", False)
    if not event.payment_id:
        return ("refund names no payment", True)
    payment = _payment_row_locked(event.payment_id, state=_State.REFUNDED)
    payment.state = _State.REFUNDED
    payment.save(update_fields=["state", "updated_at"])
    if payment.community_id is None:
        return (f"payment {payment.payment_id} refunded before its own event arrived", False)
    community = Community.objects.select_for_update().get(pk=payment.community_id)
    return (f"payment {payment.payment_id} refunded; {_plan_derive(community)}", False)


def _plan_derive(community: Community) -> str:
    """The paid plan is the plan of the latest paid payment that stands (not refunded)."""
    latest = (
        community.payments.filter(state=_State.SUCCEEDED).exclude(plan="").order_by("-paid_at", "-payment_id").first()
    )
    community.paid_plan = latest.plan if latest else CommunityPlan.NONE
    community.save(update_fields=["paid_plan", "updated_at"])
    return f"plan {community.paid_plan}"


_HANDLERS: dict[str, Callable[[WhopEvent], tuple[str, bool]]] = {
    "app_installation.created": lambda event: _installation(event, installed=True),
    "app_installation.deleted": lambda event: _installation(event, installed=False),
    "membership.activated": lambda event: _membership(event, active=True),
    "membership.deactivated": lambda event: _membership(event, active=False),
    "payment.succeeded": lambda event: _payment(event, state=_State.SUCCEEDED),
    "payment.failed": lambda event: _payment(event, state=_State.FAILED),
    "refund.created": _refund,
    "refund.updated": _refund,
}
