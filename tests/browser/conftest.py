"""Playwright driving Debian's chromium (never a downloaded browser build).

The tests skip, saying why, when chromium is missing (the Makefile installs it with apt-get when
it runs as root).
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # This machine has no internet: without these, chromium keeps dialling Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (make test installs it when run as root with apt-get).")
    # Playwright's sync API runs an event loop in this thread; Django's async-safety guard would
    # otherwise refuse the ORM calls the tests make between browser steps.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


_warmed: set[str] = set()


def _warm_up(url: str) -> None:
    """The live server's first requests import and set up what the pages need (templates, the
    URL map, the admin); on a busy machine that alone has taken over 15 s, past Playwright's
    timeout. Pay it once per server, here, with a timeout made for it."""
    if url in _warmed:
        return
    import httpx

    for path in ("/", "/accounts/login/"):
        httpx.get(url + path, timeout=180)
    _warmed.add(url)


@pytest.fixture
def page(browser, live_server):
    _warm_up(live_server.url)
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Page loads wait longer than clicks: a loaded machine serves a page slower than it answers a click.
    page.set_default_navigation_timeout(60_000)
    yield page
    context.close()


# The money journey signs PayPal webhooks like the billing tests do.
from tests.billing.test_gateway_paypal import paypal_signer  # noqa: E402, F401  (a fixture)
