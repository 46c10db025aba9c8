"""Upgrades lead somewhere, in a real browser: the quota refusal's upgrade prompt leads to plans
that say plainly there is no gateway, or to a working checkout when there is one; the payout form
shows only the chosen method's fields; the billing and landing pages do not scroll sideways on a
390 px or 360 px phone."""

from __future__ import annotations

import re

import pytest

from tests.browser import test_journey_money as money
from tests.browser.test_journey_money import log_in
from tests.users.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def test_it_shows_only_the_fields_of_the_chosen_payout_method(page):
    UserFactory(email="mira@example.com")
    log_in(page, "mira@example.com")

    page.goto("/dashboard/earnings/")
    page.check("input[name=method][value=bank]")
    assert page.is_visible("input[name=ifsc]") and not page.is_visible("input[name=paypal_email]")

    page.check("input[name=method][value=paypal]")
    assert page.is_visible("input[name=paypal_email]") and not page.is_visible("input[name=ifsc]")


@pytest.mark.parametrize("width", [390, 360])
def test_the_landing_and_billing_pages_do_not_scroll_sideways_on_a_phone(page, width):
    UserFactory(email="mira@example.com")
    page.set_viewport_size({"width": width, "height": 844})
    for path in ["/"]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    log_in(page, "mira@example.com")
    for path in ["/billing/", "/dashboard/", "/dashboard/channels/", "/dashboard/earnings/"]:
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


# The upgrade path from the quota refusal, with and without a payment gateway, on a phone: the
# money journey's public channel and locally served Razorpay.
creator_channel = money.creator_channel
razorpay = money.razorpay


def _fan_at_the_plan_limit_follows_the_upgrade_prompt(page, channel, axe_js) -> None:
    from billing.models import Usage
    from billing.selectors import period_start_for
    from tests.browser.axe import axe_check

    fan = UserFactory(email="fan@example.com")
    Usage.objects.create(user=fan, period_start=period_start_for(), queries_used=20)  # Free: 20 a month
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(30_000)
    page.goto("/accounts/login/", timeout=120_000)  # the live server's first request imports every view
    page.fill("input[name=login]", "fan@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.goto(f"/c/{channel.slug}/")
    page.fill("#question", "How do I know my sourdough starter is healthy?")
    page.get_by_role("button", name="Ask").click()
    refusal = page.wait_for_selector(".msg-refusal")
    assert "used all 20 questions" in refusal.inner_text()
    axe_check(page, axe_js)
    page.get_by_role("link", name="See plans and upgrade").click()
    page.wait_for_url(re.compile(r"/billing/$"))
    axe_check(page, axe_js)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_with_no_gateway_the_upgrade_prompt_leads_to_plans_that_say_so_and_offer_no_button(page, creator_channel):
    from tests.browser.axe import axe_source

    _fan_at_the_plan_limit_follows_the_upgrade_prompt(page, creator_channel, axe_source())

    assert page.is_visible("[data-testid=no-gateway]")
    assert "Payments are not set up" in page.inner_text("[data-testid=no-gateway]")
    assert page.locator("[data-plan=personal]").get_by_role("button").count() == 0
    assert "no payment gateway is configured" in page.inner_text("[data-plan=personal]")


def test_with_a_gateway_the_upgrade_prompt_leads_to_a_checkout_and_the_fan_asks_again(
    page, creator_channel, razorpay
):
    from tests.browser.axe import axe_source

    _fan_at_the_plan_limit_follows_the_upgrade_prompt(page, creator_channel, axe_source())

    assert not page.is_visible("[data-testid=no-gateway]")
    page.locator("[data-plan=personal]").get_by_role("button", name="Upgrade — Razorpay, USD").click()
    page.wait_for_url(re.compile(r"/checkout/sub_"))
    page.get_by_role("button", name="Pay 3.60 USD").click()
    page.wait_for_url(re.compile(r"/billing/\?checkout=done"))
    page.wait_for_function("document.querySelector('[data-testid=current-plan]').textContent === 'Personal'")

    page.goto(f"/c/{creator_channel.slug}/")
    page.fill("#question", "How do I know my sourdough starter is healthy?")
    page.get_by_role("button", name="Ask").click()
    page.wait_for_function(
        "() => { const a = document.querySelectorAll('.msg-assistant'); return a.length && a[a.length - 1].dataset.done === '1'; }",
        timeout=90_000,
    )
    assert page.locator(".msg-refusal").count() == 0
