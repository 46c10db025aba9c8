"""A newcomer signs up from the landing page and lands on a dashboard showing the Free plan."""

from __future__ import annotations

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_signs_up_and_sees_the_dashboard_with_the_free_plan(page):
    page.goto("/")
    assert "Plans" in page.inner_text("#plans")
    page.get_by_role("link", name="Sign up free").click()

    page.fill("input[name=email]", "maya@example.com")
    page.fill("input[name=password1]", "a long enough passphrase 7")
    page.fill("input[name=password2]", "a long enough passphrase 7")
    page.get_by_role("button", name=re.compile("Sign Up", re.I)).click()

    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.inner_text(".plan-name") == "Free"
    assert "0 of 20 questions used this month" in page.inner_text("#plan-usage")


def test_a_member_logs_out_and_back_in(page, alice):
    from tests.users.factories import PASSWORD

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/dashboard/")
    assert "/accounts/login/" in page.url


def test_staff_open_the_operators_console(page, staff):
    from tests.users.factories import PASSWORD

    page.goto("/admin/")
    page.fill("input[name=username]", "staff@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    page.wait_for_selector("text=Operations")
    page.goto("/admin/users/user/")
    assert "staff@example.com" in page.inner_text("#result_list")
