"""Issue 16's widget in a real browser: host pages served by their own little servers on their own
ports (127.0.0.1:<port>, a different site from the live server on localhost), embedding the
widget with the one script tag.

1. From an allowed origin a visitor opens the bubble, asks, gets a streamed answer cited to the
   second, and clicking the citation plays that moment in the frame's player; by keyboard too.
2. The same page from a disallowed origin gets nothing: no element, no frame; a page that frames
   the widget directly with a forged origin is refused by the browser (frame-ancestors).
3. A host page with aggressive global CSS leaves the widget as it is on a plain page, and the
   widget leaves the host page's own styles untouched.
4. A hostile greeting, channel name and answer text show as text and run nothing.

The chunks of (1) come through the real ingest path (the SRT of the answers journey); those of (4)
are stored directly with hostile text in them.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import django_rq
import pytest
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from channels_app.models import Channel, Video
from channels_app.services import ingest
from channels_app.services.captions import Segment
from channels_app.services.ingest import video_store_chunks
from tests.browser.axe import axe_check, axe_source, axe_violations, format_violations
from tests.browser.test_journey_answers import SRT
from tests.channels_app.factories import ChannelFactory, VideoFactory
from tests.users.factories import PASSWORD
from widgets import services
from widgets.models import Widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

FRAME_URL = re.compile(r"/widget/[A-Za-z0-9_-]+/frame")

AGGRESSIVE_CSS = """
* { all: unset !important; font-family: "Comic Sans MS", cursive !important; font-size: 31px !important;
    color: #ff00ff !important; line-height: 3 !important; letter-spacing: 4px !important; }
html, body { display: block !important; background: #000 !important; }
iframe, yoppy-widget, div, section, button { display: none !important; width: 1px !important; height: 1px !important;
    position: static !important; transform: scale(.2) rotate(45deg) !important; opacity: .05 !important;
    filter: blur(4px) !important; border: 9px solid red !important; }
:root { --yw-accent: #00ff00 !important; color-scheme: dark !important; }
"""

HOST_CSS = "h1 { color: rgb(10, 20, 30); font: 700 28px Georgia, serif; } .note { margin: 12px; padding: 3px; }"


class HostSite:
    """A creator's website: serves the given pages on its own port."""

    def __init__(self):
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                body = pages.get(self.path.split("?")[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return self.origin + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    host = HostSite()
    yield host
    host.close()


@pytest.fixture
def other_site():
    host = HostSite()
    yield host
    host.close()


def host_page(live_server, widget: Widget, *, attrs: str = "", css: str = HOST_CSS, body: str = "") -> str:
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Mira's fan blog</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{css}</style></head>
<body><h1 id="title">Mira's fan blog</h1><p class="note" id="note">Recipes and more.</p>{body}
<script src="{live_server.url}/embed.js" data-widget="{widget.public_key}" {attrs} async></script>
</body></html>"""


def make_widget(channel: Channel, *origins: str, greeting: str = "Hi! Ask me about baking.") -> Widget:
    widget = services.widget_create(channel=channel, name="Blog")
    return services.widget_update(
        widget=widget, name="Blog", mode=Widget.Mode.FLOATING, position=Widget.Position.BOTTOM_RIGHT,
        colour="#6d28d9", greeting=greeting, starters=["How do I laminate dough?"], button_text="Ask Mira",
        open_on_load=False, origins=list(origins),
    )  # fmt: skip


@pytest.fixture
def channel(alice):
    channel = ChannelFactory(
        owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY, title="Mira Bakes", topics=["baking"],
    )
    video = VideoFactory(channel=channel, youtube_id="dQw4w9WgXcQ", title="Croissants at home")
    ingest.video_upload_captions(channel=channel, filename="croissants.srt", data=SRT.encode(), video=video)
    django_rq.get_worker("ingest", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.status
    return channel


def widget_frame(page, timeout_s: float = 15):
    page.wait_for_function("() => !!document.querySelector('yoppy-widget')", timeout=timeout_s * 1000)
    for _ in range(int(timeout_s * 10)):
        frame = next((f for f in page.frames if FRAME_URL.search(f.url)), None)
        if frame is not None:
            frame.wait_for_selector("body[data-ready='1']")
            return frame
        page.wait_for_timeout(100)
    raise AssertionError("the widget's frame never appeared")


def ask(frame, question: str):
    count = frame.locator(".msg-assistant").count() + 1
    frame.fill("#yw-question", question)
    frame.press("#yw-question", "Enter")
    frame.wait_for_function(
        "n => { const a = document.querySelectorAll('.msg-assistant'); return a.length === n && a[n - 1].dataset.done === '1'; }",
        arg=count, timeout=90_000,
    )
    return frame.locator(".msg-assistant").last


def test_a_visitor_on_an_allowed_site_asks_gets_a_streamed_cited_answer_and_plays_the_moment(page, live_server, site, channel):
    widget = make_widget(channel, site.origin)
    site.pages["/"] = host_page(live_server, widget)
    page.goto(site.url("/"))
    page.evaluate("() => { window.__states = []; addEventListener('yoppy:state', e => __states.push(e.detail.open)); }")

    frame = widget_frame(page)
    box = frame.frame_element().bounding_box()
    assert box["width"] < 330 and box["height"] < 130  # closed: only the bubble
    frame.get_by_role("button", name="Ask Mira").click()
    frame.wait_for_selector("#yw-panel:not([hidden])")
    page.wait_for_function("() => window.__states.includes(true)")
    assert frame.frame_element().bounding_box()["width"] >= 360
    assert "AI persona" in frame.inner_text(".yw-persona")

    answer = ask(frame, "At what temperature should the butter block be for lamination?")

    assert int(answer.get_attribute("data-tokens")) > 3  # streamed piece by piece
    assert "fifteen degrees" in answer.inner_text()
    assert answer.locator(".confidence").count() == 1
    cite = answer.locator("button.cite[data-start='41'], button.citation-play[data-start='41']").first
    cite.click()
    frame.wait_for_selector("#yw-player:not([hidden])")
    assert frame.get_attribute("#yw-player-frame", "src") == (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=41&autoplay=1"
    )
    # The host page's API closes it; the frame tells the page.
    page.evaluate("() => window.Yoppy.close()")
    frame.wait_for_selector("#yw-panel[hidden]", state="attached")
    page.wait_for_function("() => window.__states[window.__states.length - 1] === false")
    page.evaluate("() => window.postMessage({type: 'yoppy:open'}, location.origin)")
    frame.wait_for_selector("#yw-panel:not([hidden])")
    violations = axe_violations(frame, axe_source())
    assert violations == [], format_violations(violations)


def test_the_widget_works_by_keyboard_fills_a_phone_screen_and_says_when_the_limit_is_reached(
    browser, live_server, site, channel, settings
):
    settings.WIDGET_QUESTIONS_PER_SESSION = 0
    widget = make_widget(channel, site.origin)
    site.pages["/"] = host_page(live_server, widget, body='<a href="#top" id="first-link">Top</a>')
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        page.goto(site.url("/"))
        frame = widget_frame(page)
        bubble = frame.locator("#yw-bubble")
        bubble.focus()
        page.keyboard.press("Enter")
        frame.wait_for_selector("#yw-panel:not([hidden])")
        assert frame.evaluate("() => document.activeElement.id") == "yw-question"
        page.wait_for_function("() => document.querySelector('yoppy-widget').getBoundingClientRect().width === 390")
        box = frame.frame_element().bounding_box()
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 800)  # full screen

        page.keyboard.type("Is the plan used up?")
        page.keyboard.press("Enter")  # over the visit's limit (0 today): a friendly 429 in the widget
        frame.wait_for_selector(".msg-refusal")
        assert "come back tomorrow" in frame.inner_text(".msg-refusal")

        page.keyboard.press("Escape")
        frame.wait_for_selector("#yw-panel[hidden]", state="attached")
        assert frame.evaluate("() => document.activeElement.id") == "yw-bubble"
    finally:
        context.close()


def test_the_same_page_from_a_site_not_allowed_gets_nothing(page, live_server, site, other_site, channel):
    widget = make_widget(channel, site.origin)
    other_site.pages["/"] = host_page(live_server, widget)
    # Framing the widget directly with a forged origin and no Referer: the server cannot tell,
    # the browser refuses it (frame-ancestors names only the allowed site).
    frame_src = f"{live_server.url}/widget/{widget.public_key}/frame?origin={site.origin}"
    other_site.pages["/framed"] = (
        f'<!DOCTYPE html><html lang="en"><head><title>Copycat</title></head><body>'
        f'<iframe id="copy" referrerpolicy="no-referrer" src="{frame_src}" title="copy"></iframe></body></html>'
    )
    warnings = []
    page.on("console", lambda message: warnings.append(message.text))

    page.goto(other_site.url("/"))
    # The loader's look-up was refused (403, no CORS header), and it says so in the console.
    for _ in range(100):
        if any("is not enabled for " + other_site.origin in text for text in warnings):
            break
        page.wait_for_timeout(100)
    else:
        raise AssertionError(f"the loader never gave up: {warnings}")

    assert page.evaluate("() => document.querySelectorAll('yoppy-widget, iframe').length") == 0
    assert not any(FRAME_URL.search(f.url) for f in page.frames)

    page.goto(other_site.url("/framed"))
    page.wait_for_load_state("load")
    page.wait_for_timeout(500)
    framed = next(f for f in page.frames if f != page.main_frame)
    try:
        shown = framed.evaluate("() => !!document.getElementById('yw-panel')")
    except Exception:  # an error page of the browser's own: nothing of the widget either
        shown = False
    assert shown is False


def _widget_look(frame) -> dict:
    return frame.evaluate(
        """() => {
          const pick = (sel, props) => { const s = getComputedStyle(document.querySelector(sel));
            return props.map(p => s.getPropertyValue(p)); };
          return {
            bubble: pick('#yw-bubble', ['background-color', 'color', 'font-size', 'font-family', 'padding-top', 'border-radius']),
            header: pick('.yw-header', ['background-color', 'color', 'font-size', 'line-height']),
            question: pick('#yw-question', ['font-size', 'font-family', 'border-top-width', 'display']),
            panelWidth: document.getElementById('yw-panel').getBoundingClientRect().width,
          };
        }"""
    )


def _host_look(page) -> dict:
    return page.evaluate(
        """() => {
          const props = ['color', 'font-size', 'font-family', 'font-weight', 'margin-top', 'padding-top', 'background-color', 'line-height'];
          const pick = sel => { const s = getComputedStyle(document.querySelector(sel)); return props.map(p => s.getPropertyValue(p)); };
          return {h1: pick('#title'), note: pick('#note'), body: pick('body'), sheets: document.styleSheets.length,
                  bodyChildren: [...document.body.children].map(e => e.tagName.toLowerCase())};
        }"""
    )


def _open(frame):
    frame.locator("#yw-bubble").click()
    frame.wait_for_selector("#yw-panel:not([hidden])")


def test_aggressive_host_css_leaves_the_widget_unchanged_and_the_widget_leaves_the_host_unchanged(page, live_server, site, channel):
    widget = make_widget(channel, site.origin)
    site.pages["/plain"] = host_page(live_server, widget)
    site.pages["/aggressive"] = host_page(live_server, widget, css=HOST_CSS + AGGRESSIVE_CSS)
    site.pages["/without"] = host_page(live_server, widget).replace("<script src", "<script data-off src").replace(
        "/embed.js", "/nothing.js"
    )

    page.goto(site.url("/plain"))
    frame = widget_frame(page)
    closed_box = frame.frame_element().bounding_box()
    _open(frame)
    plain_look, plain_box = _widget_look(frame), frame.frame_element().bounding_box()
    host_with_widget = _host_look(page)

    page.goto(site.url("/aggressive"))
    frame = widget_frame(page)
    assert frame.frame_element().bounding_box() == closed_box
    _open(frame)
    assert _widget_look(frame) == plain_look
    assert frame.frame_element().bounding_box() == plain_box
    assert frame.frame_element().is_visible()

    page.goto(site.url("/without"))
    host_without_widget = _host_look(page)
    assert host_with_widget["h1"] == host_without_widget["h1"] and host_with_widget["note"] == host_without_widget["note"]
    assert host_with_widget["body"] == host_without_widget["body"]
    assert host_with_widget["sheets"] == host_without_widget["sheets"]  # no stylesheet added to the host
    assert host_with_widget["bodyChildren"] == [*host_without_widget["bodyChildren"], "yoppy-widget"]


HOSTILE = "<img src=x onerror=\"top.__pwned='img'\"><script>top.__pwned='script'</script><svg onload=\"top.__pwned='svg'\"></svg>"


def test_a_hostile_greeting_channel_name_and_answer_run_nothing(page, live_server, site, alice):
    channel = ChannelFactory(owner=alice, title=f"Mira {HOSTILE}", status=Channel.Status.READY, topics=["baking"])
    video = Video.objects.create(channel=channel, youtube_id="abcdefghijk", title=f"Jars {HOSTILE}", status="ready")
    lines = [
        f"label the sourdough jar with {HOSTILE} written on masking tape",
        "feed the sourdough starter every day with fifty grams of flour",
        "a javascript:alert(1) link and [click](javascript:alert(2)) do nothing here",
    ]
    video_store_chunks(video=video, segments=[Segment(i * 30.0, i * 30.0 + 29.0, line) for i, line in enumerate(lines * 3)])
    Channel.objects.filter(pk=channel.pk).update(chunks_count=channel.chunks.count())
    widget = make_widget(channel, site.origin)
    attrs = 'data-greeting="&lt;img src=x onerror=&quot;top.__pwned=1&quot;&gt;&lt;b&gt;Hello&lt;/b&gt;" data-open="true"'
    site.pages["/"] = host_page(live_server, widget, attrs=attrs)
    page.on("dialog", lambda dialog: dialog.dismiss())

    page.goto(site.url("/"))
    frame = widget_frame(page)
    frame.wait_for_selector("#yw-panel:not([hidden])")  # data-open
    assert frame.inner_text("#yw-greeting") == '<img src=x onerror="top.__pwned=1"><b>Hello</b>'
    assert "<script>" in frame.inner_text("#yw-title")

    answer = ask(frame, "What do I write on the masking tape label of the sourdough jar?")

    assert "masking tape" in answer.inner_text()
    assert frame.evaluate("() => document.querySelectorAll('.yw-panel img, .yw-panel script, .yw-panel svg').length") == 0
    assert frame.evaluate("() => [...document.querySelectorAll('a')].filter(a => !a.href.startsWith('https://')).length") == 0
    assert page.evaluate("() => window.__pwned") is None
    assert frame.evaluate("() => window.__pwned") is None


def _log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(r"/dashboard/"))


def test_the_creator_makes_a_widget_previews_it_live_copies_the_snippet_and_sees_analytics(page, live_server, site, channel):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    _log_in(page, "alice@example.com")
    page.goto("/dashboard/widgets/")
    axe_check(page)
    page.select_option("#id_channel", str(channel.pk))
    page.fill("#id_name", "Blog sidebar")
    page.get_by_role("button", name="Create widget").click()
    page.wait_for_selector("#no-origins")  # no sites yet: the creator is told it loads nowhere
    axe_check(page)

    preview = page.frame_locator("#preview-frame")
    preview.locator("body[data-ready='1']").wait_for()
    page.fill("#id_greeting", "<b>Fresh</b> from the oven!")
    page.fill("#id_starters_text", "Which flour?\nHow long to proof?")
    page.fill("#id_colour", "#0e7490")
    preview.get_by_text("<b>Fresh</b> from the oven!").wait_for()
    assert preview.locator(".yw-starter").all_inner_texts() == ["Which flour?", "How long to proof?"]
    assert preview.locator(".yw-header").evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(14, 116, 144)"

    page.fill("#id_origins_text", site.origin)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Widget saved.")
    assert page.locator("#no-origins").count() == 0
    page.get_by_role("button", name="Copy snippet").click()
    page.wait_for_selector("#copy-status:has-text('Copied.')")
    snippet = page.evaluate("() => navigator.clipboard.readText()")
    widget = Widget.objects.get()
    assert snippet == f'<script src="{live_server.url}/embed.js" data-widget="{widget.public_key}" async></script>'

    # The snippet, pasted inline into the creator's page, shows the saved looks.
    inline = snippet.replace(" async", ' data-mode="inline" data-target="#chat" async')
    site.pages["/"] = f'<!DOCTYPE html><html lang="en"><head><title>Blog</title></head><body><main id="chat"></main>{inline}</body></html>'
    visitor = page.context.browser.new_page()
    try:
        visitor.goto(site.url("/"))
        frame = widget_frame(visitor)
        assert frame.inner_text("#yw-greeting") == "<b>Fresh</b> from the oven!"
        assert visitor.evaluate("() => document.querySelector('#chat > yoppy-widget') !== null")
        assert frame.locator("#yw-panel").is_visible() and frame.locator("#yw-bubble").count() == 0
        ask(frame, "At what temperature should the butter block be for lamination?")
    finally:
        visitor.close()
    services.widget_stats_flush()

    page.get_by_role("link", name="Analytics").first.click()
    page.wait_for_selector("#chart canvas")  # uPlot, served from the project
    assert page.inner_text("#total-loads") == "1" and page.inner_text("#total-questions") == "1"
    assert "at what temperature should the butter block be for lamination?" in page.inner_text("#top-questions")
    assert site.origin in page.inner_text("#widget-origins")
    axe_check(page)
