"""Upgrades lead somewhere, in a real browser: the payout form shows only the chosen method's
fields, and the billing and landing pages do not scroll sideways on a 390 px or 360 px phone."""

from __future__ import annotations

import pytest

from tests.browser.test_journey_money import log_in
from tests.users.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


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
