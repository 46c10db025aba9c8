"""Hostile text a creator (or an admin) saved shows as text: no script runs, the page still works.

The payloads close the JSON-LD <script> block and open their own, or carry an inline handler;
each would set a window flag if it ran. The Content-Security-Policy is the second line: a
violation report would mean the page itself relies on something the policy blocks.
"""

from __future__ import annotations

import pytest

from tests.channels_app.factories import ChannelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

HOSTILE = (
    "</script><script>window.__pwned = 'script'</script>"
    "<img src=x onerror=\"window.__pwned = 'onerror'\">"
    "<svg onload=\"window.__pwned = 'svg'\"></svg>"
)


def _watch_csp(page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "(window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def test_it_runs_nothing_from_a_hostile_channel_name_and_summary_on_the_public_page(page, alice):
    channel = ChannelFactory(
        owner=alice, title=f"Evil {HOSTILE}", summary=f"Summary {HOSTILE}", slug="evil", is_public=True,
        topics=["baking"],
    )
    violations = _watch_csp(page)

    response = page.goto(f"/c/{channel.slug}/")

    assert response.status == 200
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__csp") is None, "the page's own code broke the policy"
    assert violations == []
    # The text is there, as text; the structured data still parses to the same name.
    assert "window.__pwned" in page.inner_text(".persona-name")
    ld = page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")
    assert ld["about"]["name"] == channel.display_name
    # htmx and chat.js still work under the policy: a starter question goes out and comes back.
    page.get_by_role("button", name="What are your most popular videos about?").click()  # "baking" alone: a generic starter
    page.wait_for_selector(".msg-assistant[data-started]:not(.streaming)", timeout=60_000)
    assert page.input_value("#question") == ""
    assert page.evaluate("window.__pwned") is None


def test_it_runs_nothing_from_a_hostile_plan_name_on_the_landing_page(page, db):
    from billing.models import Plan

    Plan.objects.filter(is_public=True).update(name="Pro</script><script>window.__pwned=1</script>")
    Plan.objects.filter(is_public=True).update(description=HOSTILE[:200])
    violations = _watch_csp(page)

    response = page.goto("/")

    assert response.status == 200
    assert "content-security-policy" in response.headers
    page.wait_for_load_state("load")
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__csp") is None
    assert violations == []
    ld = page.evaluate("JSON.parse(document.querySelector('script[type=\"application/ld+json\"]').textContent)")
    assert ld["offers"][0]["name"].startswith("Pro</script>")
