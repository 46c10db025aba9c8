"""Issue 15's browser journey: the experience view rendered inside a page on its own port that
frames it the way Whop does, and a member asks and gets a cited answer.

Whop serves apps through its proxy, which adds the member's ``x-whop-user-token`` to every
request the iframe makes to the app's origin (docs.whop.com developer/guides/authentication);
here Playwright's routing adds it, signed by the local Whop's key, to the requests for the app.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.communities.conftest import (  # noqa: F401  (fixtures: the local Whop, the community)
    EXPERIENCE,
    MEMBER,
    asking_community,
    bakery,
    community,
    persona,
    whop,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


class FramingPage:
    """A stand-in for whop.com: one page that frames the app's experience view."""

    def __init__(self, app_url: str) -> None:
        html = (
            "<!DOCTYPE html><html lang='en'><head><title>Bakers Guild on Whop</title></head><body>"
            f"<h1>Bakers Guild</h1><iframe id='app' title='Yoppy' src='{app_url}' width='1000' height='900'></iframe>"
            "</body></html>"
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://localhost:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def whop_proxy(page, live_server, whop):  # noqa: F811
    """Add the member's user token to the requests for the app, as Whop's proxy does."""

    def add_token(route, request):
        route.continue_(headers={**request.headers, "x-whop-user-token": whop.token(MEMBER)})

    page.context.route(f"{live_server.url}/**", add_token)
    return page


def frame_of(page):
    page.wait_for_selector("iframe#app")
    return page.frame_locator("iframe#app")


def test_a_member_asks_inside_whops_frame_and_gets_a_cited_answer(whop_proxy, live_server, settings, asking_community):  # noqa: F811
    framing = FramingPage(f"{live_server.url}/whop/experiences/{EXPERIENCE}/")
    settings.WHOP_FRAME_ORIGINS = [framing.url]
    try:
        page = whop_proxy
        page.goto(framing.url)
        app = frame_of(page)
        app.locator("h1", has_text="Ask the AI persona of Mira Bakes").wait_for()

        app.locator("#question").fill("How much flour goes into a new starter?")
        app.get_by_role("button", name="Ask").click()

        answer = app.locator(".msg-assistant[data-done='1']")
        answer.wait_for(timeout=60_000)
        citation = answer.locator("button.citation-play").first
        assert "Sourdough starter" in citation.inner_text()
        citation.click()
        player = app.locator("#player-frame")
        assert player.get_attribute("src").startswith("https://www.youtube-nocookie.com/embed/abcdefghijk?start=")
        assert app.locator("#player").is_visible()
        asking_community.refresh_from_db()
        assert asking_community.pool_used == 1
    finally:
        framing.stop()


def test_a_page_that_is_not_whop_cannot_frame_the_app(whop_proxy, live_server, settings, community):  # noqa: F811
    framing = FramingPage(f"{live_server.url}/whop/experiences/{EXPERIENCE}/")
    settings.WHOP_FRAME_ORIGINS = ["https://whop.com"]
    try:
        page = whop_proxy
        page.goto(framing.url)
        page.wait_for_selector("iframe#app")
        page.wait_for_timeout(1500)
        frame = page.frame(url=lambda url: "/whop/experiences/" in url)
        # Chromium replaces a frame refused by frame-ancestors with an error page: no app in it.
        content = frame.content() if frame is not None else ""
        assert "ask-form" not in content
    finally:
        framing.stop()
