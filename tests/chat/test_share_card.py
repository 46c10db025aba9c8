"""A public page's SEO: the share card (og:image) drawn with the channel's name, avatar and
topics, cached per version, and Open Graph / Twitter tags with URLs from SITE_URL (issue 12)."""

from __future__ import annotations

import io
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache
from django.core.checks import run_checks
from PIL import Image

from channels_app.models import Channel
from chat.share_card import ACCENT, HEIGHT, WIDTH
from tests.channels_app.factories import ChannelFactory

AVATAR_SIZE, AVATAR_TOP = 260, 90
AVATAR_CENTRE = (WIDTH - 80 - AVATAR_SIZE // 2, AVATAR_TOP + AVATAR_SIZE // 2)
AVATAR_LEFT_INSIDE = (
    WIDTH - 80 - AVATAR_SIZE + 25,
    AVATAR_TOP + AVATAR_SIZE // 2,
)  # in the circle, off the letter


def _png(colour: tuple[int, int, int], size=(300, 300)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


class AvatarServer:
    """A local image host: serves ``body`` at every path and counts the requests."""

    def __init__(self, body: bytes, content_type: str = "image/png"):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.body, self.requests = body, 0
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.httpd.server_port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def avatar_host(settings):
    server = AvatarServer(_png((20, 110, 200)))
    settings.SHARE_CARD_AVATAR_HOSTS = [server.host]
    yield server
    server.stop()


@pytest.fixture
def bakery(alice, settings):
    settings.SITE_URL = "https://yoppy.example"
    return ChannelFactory(
        owner=alice,
        title="Mira Bakes",
        is_public=True,
        slug="mira-bakes",
        topics=["sourdough starter", "lamination"],
    )


def _card(client, channel, **query) -> Image.Image:
    response = client.get(f"/c/{channel.slug}/card.png", query)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    return Image.open(io.BytesIO(response.content)).convert("RGB")


def _meta(page: str, attribute: str, name: str) -> str:
    return re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)"', page).group(1)


def test_the_public_page_has_open_graph_and_twitter_tags_with_urls_on_the_configured_domain(client, bakery):
    page = client.get("/c/mira-bakes/", HTTP_HOST="localhost").content.decode()

    assert '<link rel="canonical" href="https://yoppy.example/c/mira-bakes/">' in page
    assert _meta(page, "property", "og:url") == "https://yoppy.example/c/mira-bakes/"
    assert _meta(page, "property", "og:site_name") == "Yoppy"
    assert _meta(page, "property", "og:title") == "Chat with the AI persona of Mira Bakes"
    assert _meta(page, "name", "twitter:card") == "summary_large_image"
    image = _meta(page, "property", "og:image")
    assert re.fullmatch(r"https://yoppy\.example/c/mira-bakes/card\.png\?v=[0-9a-f]{16}", image)
    assert _meta(page, "name", "twitter:image") == image
    assert (_meta(page, "property", "og:image:width"), _meta(page, "property", "og:image:height")) == (
        "1200",
        "630",
    )
    assert "localhost" not in image


def test_the_card_is_a_1200_by_630_png_with_the_avatar(client, bakery, avatar_host):
    Channel.objects.filter(pk=bakery.pk).update(avatar_url=f"http://{avatar_host.host}/avatar.jpg")
    bakery.refresh_from_db()

    card = _card(client, bakery)

    assert card.size == (WIDTH, HEIGHT)
    assert card.getpixel(AVATAR_CENTRE) == (20, 110, 200)
    assert avatar_host.requests == 1


def test_the_card_is_drawn_once_per_version_and_again_when_the_profile_changes(client, bakery, avatar_host):
    page = client.get("/c/mira-bakes/").content.decode()
    version = _meta(page, "property", "og:image").split("?v=")[1]
    first = client.get("/c/mira-bakes/card.png", {"v": version})
    assert "max-age=31536000" in first["Cache-Control"]
    assert cache.get(f"share-card:{bakery.pk}:{version}") == first.content
    assert client.get("/c/mira-bakes/card.png").content == first.content  # from the cache

    Channel.objects.filter(pk=bakery.pk).update(topics=["croissants", "rye"])
    page = client.get("/c/mira-bakes/").content.decode()
    new_version = _meta(page, "property", "og:image").split("?v=")[1]
    again = client.get("/c/mira-bakes/card.png", {"v": new_version})

    assert new_version != version and again.content != first.content
    # An old ?v= gets today's card, kept only briefly.
    stale = client.get("/c/mira-bakes/card.png", {"v": version})
    assert stale.content == again.content and "max-age=3600" in stale["Cache-Control"]


def test_an_avatar_on_a_host_not_allowed_is_never_fetched_and_the_initial_is_drawn(client, bakery, settings):
    server = AvatarServer(_png((20, 110, 200)))
    try:
        settings.SHARE_CARD_AVATAR_HOSTS = ["yt3.ggpht.com"]
        Channel.objects.filter(pk=bakery.pk).update(avatar_url=f"http://{server.host}/internal-admin")
        bakery.refresh_from_db()

        card = _card(client, bakery)

        assert server.requests == 0
        assert card.getpixel(AVATAR_LEFT_INSIDE) == ACCENT
    finally:
        server.stop()


@pytest.mark.parametrize(
    "body",
    [b"<html>not an image</html>", _png((1, 2, 3), size=(5000, 4000))],
    ids=["not an image", "too many pixels"],
)
def test_an_avatar_that_is_no_usable_image_gives_a_card_with_the_initial(client, bakery, settings, body):
    server = AvatarServer(body)
    try:
        settings.SHARE_CARD_AVATAR_HOSTS = [server.host]
        Channel.objects.filter(pk=bakery.pk).update(avatar_url=f"http://{server.host}/a.png")
        bakery.refresh_from_db()

        card = _card(client, bakery)

        assert server.requests == 1 and card.getpixel(AVATAR_LEFT_INSIDE) == ACCENT
    finally:
        server.stop()


def test_a_private_channel_has_no_card(client, bakery):
    Channel.objects.filter(pk=bakery.pk).update(is_public=False)
    assert client.get("/c/mira-bakes/card.png").status_code == 404


def test_a_long_name_and_many_topics_still_fit_the_card(client, alice, settings):
    channel = ChannelFactory(
        owner=alice, is_public=True, slug="long", title="Supercalifragilisticexpialidocious" * 4,
        topics=[f"a rather long topic number {i}" for i in range(12)] + [123, ""],
    )  # fmt: skip
    assert _card(client, channel).size == (WIDTH, HEIGHT)


@pytest.mark.parametrize(
    ("site_url", "warning"),
    [
        ("http://localhost:8000", "yoppy.W001"),
        ("http://yoppy.example", "yoppy.W002"),
        ("https://yoppy.example", None),
    ],
)
def test_check_deploy_warns_about_a_site_url_that_is_local_or_plain_http(settings, site_url, warning):
    settings.SITE_URL = site_url
    ids = {
        message.id
        for message in run_checks(include_deployment_checks=True)
        if message.id.startswith("yoppy.")
    }
    assert ids == ({warning} if warning else set())
