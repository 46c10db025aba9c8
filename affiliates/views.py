"""HTML/HTMX views of Affiliates: read input, check access, call a selector or service, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from affiliates import selectors, services
from affiliates.forms import PayoutRequestForm

SENSITIVE_FIELDS = ("account_number", "ifsc", "holder_name", "paypal_email")


def _form(request: HttpRequest, balances, data=None) -> PayoutRequestForm:
    currencies = [b.currency for b in balances] or sorted(settings.AFFILIATE_MIN_PAYOUT_MINOR)
    return PayoutRequestForm(data, currencies=currencies)


def _context(request: HttpRequest, form: PayoutRequestForm | None = None, requested=None) -> dict:
    balances = selectors.balance_list_for_creator(creator=request.user)
    return {
        "balances": balances,
        "charts": selectors.commission_monthly_for_creator(creator=request.user),
        "referred": selectors.referral_list_for_creator(creator=request.user),
        "payouts": selectors.payout_list_for_creator(creator=request.user),
        "referral_code": services.affiliate_profile_get_or_create(user=request.user).code,
        "form": form or _form(request, balances),
        "minimums": settings.AFFILIATE_MIN_PAYOUT_MINOR,
        "hold_days": settings.AFFILIATE_HOLD_DAYS,
        "referral_days": settings.AFFILIATE_REFERRAL_DAYS,
        "requested": requested,
    }


@login_required
@require_GET
def earnings(request: HttpRequest) -> HttpResponse:
    return render(request, "affiliates/earnings.html", _context(request))


@sensitive_post_parameters(*SENSITIVE_FIELDS)
@sensitive_variables("form")
@login_required
@require_POST
def payout_request(request: HttpRequest) -> HttpResponse:
    balances = selectors.balance_list_for_creator(creator=request.user)
    form = _form(request, balances, request.POST)
    payout = None
    if form.is_valid():
        try:
            payout = services.payout_request(
                creator=request.user,
                amount_minor=form.amount_minor(),
                currency=form.cleaned_data["currency"],
                destination=form.destination(),
            )
        except services.PayoutRefused as refused:
            form.add_error(None, str(refused))
        else:
            if not request.htmx:
                messages.success(request, f"Payout #{payout.pk} requested: we will review it shortly.")
                return redirect("affiliates:earnings")
            form = None
    template_name = "affiliates/earnings.html"
    if request.htmx:
        template_name += "#payouts"
    return render(request, template_name, _context(request, form, requested=payout))
