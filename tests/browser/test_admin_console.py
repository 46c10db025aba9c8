"""The operators' console in a real browser: the RQ queue page's bulk actions work with no
JavaScript error, and the users list fits a 1280 px screen (issue 12, "Phones and accessibility")."""

from __future__ import annotations

import re

import django_rq
import pytest
from django_rq.settings import get_queues_map

from tests.users.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def _staff_logs_in(page) -> list[str]:
    """Logs the staff user into the admin; returns the list that collects the page's JavaScript
    errors (uncaught exceptions and console errors) from now on."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: errors.append(f"console: {message.text}") if message.type == "error" else None,
    )
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status}: {response.url}") if response.status >= 400 else None
        ),
    )
    # The live server's first request imports every view (the embedding model's torch included).
    page.goto("/admin/login/", timeout=120_000)
    page.fill("input[name=username]", "staff@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Log in", re.I)).click()
    page.wait_for_selector("text=Operations")
    return errors


def test_the_rq_queue_pages_bulk_actions_work_without_a_javascript_error(page, staff):
    queue = django_rq.get_queue("default")
    queue.empty()
    jobs = [queue.enqueue("os.getcwd") for _ in range(2)]
    errors = _staff_logs_in(page)

    page.goto(f"/admin/rq/queues/{get_queues_map()['default']}/")
    page.wait_for_load_state("load")
    assert page.locator("tr input.action-select").count() == 2

    page.check("#action-toggle")  # select all: Django's actions.js ticks every row
    assert all(box.is_checked() for box in page.locator("tr input.action-select").all())
    assert page.inner_text(".action-counter") == "2 of 2 selected"
    page.locator("tr input.action-select").first.uncheck()
    assert page.inner_text(".action-counter") == "1 of 2 selected"
    assert not page.is_checked("#action-toggle")
    assert errors == []

    page.check("#action-toggle")
    page.select_option("select[name=action]", "delete")
    page.get_by_role("button", name="Go").click()
    page.wait_for_url(re.compile(r"/admin/rq/queues/confirm-action/\d+/"))
    assert all(job.id in page.inner_text("#content") for job in jobs)
    page.get_by_role("button", name="Delete 2 jobs").click()
    page.wait_for_selector("text=You have successfully deleted 2 jobs!")
    assert queue.count == 0
    assert errors == []


def test_the_users_list_is_not_cut_off_at_1280_px(page, staff):
    from tests.users.factories import UserFactory

    UserFactory(
        email="a-rather-long-address-of-a-creator-with-a-long-name@example-bakery-channel.com",
        name="Anastasia Konstantinopoulou-Vanderbilt",
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    _staff_logs_in(page)

    page.goto("/admin/users/user/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # The admin puts the table in a box that scrolls sideways: the cut-off is inside it.
    results = page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return [r.scrollWidth, r.clientWidth]; })()"
    )
    assert results[0] <= results[1], f"the users table is {results[0]} px wide in a {results[1]} px box"
    right_edge = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#result_list th, #result_list td')]"
        ".map(cell => cell.getBoundingClientRect().right))"
    )
    assert right_edge <= page.evaluate("document.documentElement.clientWidth")
    # Nothing of the list is clipped inside a scroll box either: every column is on screen.
    assert page.is_visible("#result_list th.column-joined")
    box = page.locator("#result_list th.column-joined").bounding_box()
    assert box["x"] + box["width"] <= 1280
