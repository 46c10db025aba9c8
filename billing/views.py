"""Billing pages (HTMX) and the gateways' webhook endpoints.

Views read input, check access, call a selector or service, render. The webhook endpoints answer
400 to anything not provably from the gateway (writing nothing), 503 when the signature could not
be checked yet (the gateway retries), 409 when the event must wait for another, else 200.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import selectors
from billing.gateways import GatewayError, WebhookVerificationError, gateway_for
from billing.models import GatewayPlan, Provider
from billing.money import visitor_currency
from billing.services.subscriptions import BillingError, subscription_cancel, subscription_start
from billing.services.webhooks import webhook_apply

logger = logging.getLogger(__name__)


def _overview_context(request: HttpRequest) -> dict:
    awaiting = selectors.subscription_list_awaiting(user=request.user)
    currency = visitor_currency(
        accept_language=request.headers.get("Accept-Language", ""), country=request.headers.get("CF-IPCountry", "")
    )
    offers = selectors.plan_offers()
    for offer in offers:
        # The visitor's currency first; the other stays offered beside it.
        offer.options.sort(key=lambda option: option.currency != currency)
    return {
        "currency": currency,
        "payments_configured": any(offer.options for offer in offers),
        "quota": selectors.quota_status(user=request.user),
        "subscription": selectors.subscription_current(user=request.user),
        "awaiting": awaiting,
        # The page refreshes its status while a checkout waits for the gateway's webhook.
        "polling": request.GET.get("checkout") == "done" or awaiting.exists(),
        "payments": selectors.payment_list_for_user(user=request.user)[:24],
        "offers": offers,
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    template_name = "billing/overview.html"
    if request.htmx and request.htmx.target == "billing-status":
        template_name += "#billing-status"
    elif request.GET.get("checkout") == "cancelled":
        messages.info(request, "Checkout cancelled: nothing was charged.")
    return render(request, template_name, _overview_context(request))


@login_required
@require_POST
def subscribe(request: HttpRequest, pk: int) -> HttpResponse:
    gateway_plan = get_object_or_404(GatewayPlan.objects.select_related("plan"), pk=pk, is_active=True)
    try:
        subscription = subscription_start(user=request.user, gateway_plan=gateway_plan, site_url=settings.SITE_URL)
    except BillingError as exc:
        messages.error(request, str(exc))
        return redirect("billing:overview")
    # The gateway's hosted checkout; the plan changes when its signed webhook says it was paid.
    return redirect(subscription.checkout_url)


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_get_for_user(user=request.user, pk=pk)
    try:
        subscription_cancel(subscription=subscription, at_period_end=True)
    except BillingError as exc:
        messages.error(request, str(exc))
    else:
        until = subscription.current_period_end
        messages.success(
            request,
            f"Cancelled: {subscription.plan.name} will not renew."
            + (f" You keep it until {until:%d %B %Y}." if until else ""),
        )
    return redirect("billing:overview")


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    if provider not in Provider.values:
        return JsonResponse({"error": "unknown provider"}, status=404)
    try:
        # The raw bytes: the signature is over exactly what was sent, never a re-serialisation.
        event = gateway_for(provider).verify_and_parse(body=request.body, headers=request.headers)
    except WebhookVerificationError as exc:
        logger.warning("%s webhook refused: %s", provider, exc)
        return JsonResponse({"error": "signature verification failed"}, status=400)
    except GatewayError as exc:
        logger.warning("%s webhook could not be verified yet: %s", provider, exc)
        return JsonResponse({"error": "verification unavailable, retry later"}, status=503)
    result = webhook_apply(event=event)
    if result.retry_later:
        return JsonResponse({"status": "retry later", "detail": result.outcome}, status=409)
    return JsonResponse({"status": "duplicate" if result.duplicate else "ok"})
