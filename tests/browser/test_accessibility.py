"""Every page of the journeys passes axe-core with no serious or critical violations, on a desktop
and on 390 px and 360 px phones, none wider than its viewport, with the public page's question box
in view on arrival (issue 12, "Phones and accessibility")."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from tests.browser.axe import axe_check, axe_source, axe_violations, format_violations
from tests.users.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 800},
    "phone": {"width": 390, "height": 844},
    "small phone": {"width": 360, "height": 740},
}


@pytest.fixture(scope="session")
def axe_js():
    return axe_source()


@pytest.fixture
def creator_channel(db):
    from channels_app.models import Channel

    UserFactory(email="admin@yoppy.local", is_staff=True, is_superuser=True)
    call_command("load_demo_channels")
    creator = UserFactory(email="mira@example.com")
    channel = Channel.objects.get(is_demo=True)
    Channel.objects.filter(pk=channel.pk).update(owner=creator, is_public=True)
    channel.refresh_from_db()
    return channel


def _ask(page, question: str) -> None:
    page.fill("#question", question)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_function(
        "() => { const a = document.querySelectorAll('.msg-assistant'); return a.length && a[a.length - 1].dataset.done === '1'; }",
        timeout=60_000,
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.django_db(transaction=True)
def test_it_finds_no_serious_or_critical_violations_on_the_pages_of_the_journeys(
    browser, live_server, creator_channel, axe_js, viewport, settings
):
    settings.ANON_QUESTIONS_PER_SESSION = 1
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    page = context.new_page()
    page.set_default_timeout(15_000)
    found: dict[str, list[dict]] = {}
    sideways: dict[str, int] = {}

    def check(name: str) -> None:
        violations = axe_violations(page, axe_js)
        if violations:
            found[name] = violations
        # Same page loads, so the "nothing scrolls sideways" check of issue 12 costs nothing extra.
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > VIEWPORTS[viewport]["width"]:
            sideways[name] = width

    try:
        # A visitor: the landing page, sign-up and log-in, then a fan's first answer on the public page.
        for name, url in (("landing", "/"), ("sign-up", "/accounts/signup/"), ("log-in", "/accounts/login/")):
            page.goto(url)
            check(name)
        page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
        page.wait_for_load_state()
        check("log-in with errors")
        page.goto(f"/c/{creator_channel.slug}/")
        check("public page")
        box = page.locator("#question").bounding_box()
        assert box and box["y"] + box["height"] <= VIEWPORTS[viewport]["height"], f"the question box starts below the fold: {box}"
        _ask(page, "How do I know my sourdough starter is healthy?")
        check("public page with an answer")
        page.fill("#question", "And how warm should the kitchen be?")
        page.get_by_role("button", name="Ask").click()
        page.wait_for_selector(".msg-refusal")
        check("public page at the free limit")

        # The creator, signed in.
        page.goto("/accounts/login/")
        page.fill("input[name=login]", "mira@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
        page.wait_for_url(re.compile(r"/dashboard/$"))
        check("dashboard")
        for name, url in (
            ("channel list", "/dashboard/channels/"),
            ("channel detail", f"/dashboard/channels/{creator_channel.pk}/"),
            ("billing", "/billing/"),
            ("earnings", "/dashboard/earnings/"),
            ("owner's chat", f"/chat/{creator_channel.pk}/"),
        ):
            page.goto(url)
            check(name)
            if name == "channel list":
                page.get_by_text("No YouTube channel?").click()
                page.get_by_role("button", name="Create collection").click()
                page.wait_for_load_state()
                check("channel list with the collection form's errors")
            elif name == "channel detail":
                page.get_by_text("Edit the profile").click()
                check("channel detail with the profile editor open")
        _ask(page, "At what temperature should the butter block be for lamination?")
        check("owner's chat with an answer")
        page.reload()
        check("owner's chat reloaded")
    finally:
        context.close()

    report = "\n\n".join(f"== {name} ==\n{format_violations(violations)}" for name, violations in found.items())
    assert not found, f"axe-core ({viewport}, {VIEWPORTS[viewport]['width']} px):\n{report}"
    assert not sideways, f"pages wider than the {VIEWPORTS[viewport]['width']} px viewport (px): {sideways}"


@pytest.mark.django_db(transaction=True)
def test_it_reports_a_critical_violation_readably(page, axe_js):
    # The check itself must be able to fail: an image without alt text is critical in axe-core.
    page.goto("/healthz")
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="/x.png"></main></body></html>')
    with pytest.raises(AssertionError) as failure:
        axe_check(page, axe_js)
    assert "[critical] image-alt" in str(failure.value)
    assert "at img" in str(failure.value)


def test_it_skips_saying_why_when_axe_is_missing_and_npm_is_not_installed(monkeypatch, tmp_path):
    from tests.browser import axe

    monkeypatch.setattr(axe, "AXE_JS", tmp_path / "node_modules" / "axe-core" / "axe.min.js")
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on this PATH
    with pytest.raises(pytest.skip.Exception, match=r"npm is not installed, so axe-core 4\.14\.1 cannot be installed"):
        axe.axe_source()
