"""Issue 12's creator journey, in a real browser on a desktop and on a 390 px phone:

a creator adds a channel YouTube cannot give -> sees what happened and what to do -> retries it,
visibly -> recovers by uploading caption files named with YouTube ids (chosen and dropped) -> the
videos are ready and citations link to the right video -> flips the public switch -> copies the
share link -> the public page answers. Every page on the way is axe-core clean and none scrolls
sideways.

YouTube is replaced at yt-dlp's network boundary (``YouTubeClient._extract_info``) by the answer
yt-dlp gives for a channel that is not there; the jobs run in a burst RQ worker in this process.
The caption files are own small fixtures in the shape the uploads tests use.
"""

from __future__ import annotations

import re

import django_rq
import pytest
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker
from yt_dlp.utils import DownloadError

from channels_app.models import Channel, Video
from channels_app.services.youtube import YouTubeClient
from tests.browser.axe import axe_check, axe_source
from tests.users.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
STARTER_ID, LAMINATION_ID = "Xk3vB9q2LmA", "Qp7Rt5Zy1Wc"

STARTER_VTT = "WEBVTT\n\n" + "\n".join(
    f"00:00:{10 * i:02d}.000 --> 00:00:{10 * i + 9:02d}.000\n"
    f"Feed your sourdough starter twice a day with equal weights of flour and water, part {i}.\n"
    for i in range(5)
)
LAMINATION_SRT = "\n".join(
    f"{i + 1}\n00:00:{10 * i:02d},000 --> 00:00:{10 * i + 9:02d},000\n"
    f"Fold the cold butter block into the dough and chill it between folds, step {i}.\n"
    for i in range(5)
)
UNTITLED_TXT = "Gluten free bread needs psyllium husk to hold the crumb together. Bake it low and slow."


@pytest.fixture
def youtube_says_no_such_channel(monkeypatch):
    def extract_info(self, url: str, *, flat: bool, playlist_items: str = "") -> dict:
        raise DownloadError(f"ERROR: [youtube:tab] {url}: This channel does not exist.")

    monkeypatch.setattr(YouTubeClient, "_extract_info", extract_info)


@pytest.fixture(scope="session")
def axe_js():
    return axe_source()


def _run_jobs() -> None:
    django_rq.get_worker("ingest", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_creator_recovers_a_failed_channel_by_uploading_captions_and_shares_it(
    browser, live_server, alice, youtube_says_no_such_channel, axe_js, viewport, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    width = VIEWPORTS[viewport]["width"]
    context = browser.new_context(base_url=live_server.url, viewport=VIEWPORTS[viewport])
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)

    def check(name: str) -> None:
        axe_check(page, axe_js)
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= width, f"{name} is {scroll_width} px wide at {width} px"

    try:
        page.goto("/accounts/login/", timeout=90_000)  # the first request warms the live server up
        page.fill("input[name=login]", "alice@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
        page.goto("/dashboard/channels/")
        check("channel list")

        # 1. A channel YouTube cannot give.
        page.fill("input[name=url]", "https://www.youtube.com/@mira-bakes-bread")
        page.get_by_role("button", name="Add channel").click()
        page.wait_for_selector("#channel-progress .notice")
        assert "Reading it from YouTube" in page.inner_text("#channel-progress")
        channel = Channel.objects.get(owner=alice)

        # 2. It fails; the page (polling) says what happened and what to do, with nothing else left over.
        _run_jobs()
        problem = page.wait_for_selector("#channel-problem")
        text = page.inner_text("#channel-progress")
        assert "YouTube could not be read" in text and "does not exist" in text
        assert page.locator("#channel-progress progress").count() == 0  # no full red bar for "0 of 0"
        assert page.locator("#channel-progress .notice").count() == 0  # no "added" notice beside "Failed"
        assert page.locator(".messages").count() == 0
        for action in ("Try reading it again", "Upload the captions instead", "Delete it"):
            assert problem.query_selector(f"text={action}") is not None, action
        check("failed channel")

        # 3. Retrying is visible: the page follows the new attempt and shows its outcome.
        page.get_by_role("button", name="Try reading it again").click()
        page.wait_for_selector("#channel-progress .status-queued")
        assert "Reading it from YouTube" in page.inner_text("#channel-progress .notice")
        _run_jobs()
        page.wait_for_selector("#channel-problem")
        assert page.locator("#channel-progress .notice").count() == 0 and page.locator(".messages").count() == 0

        # 4. The captions instead: two files named as yt-dlp names them, a third without a title.
        page.get_by_role("link", name="Upload the captions instead").click()
        starter = tmp_path / f"Feeding a starter [{STARTER_ID}].en.vtt"
        starter.write_text(STARTER_VTT)
        lamination = tmp_path / f"Lamination at home [{LAMINATION_ID}].en.srt"
        lamination.write_text(LAMINATION_SRT)
        page.set_input_files("#upload input[type=file]", [str(starter), str(lamination)])
        assert page.locator("#upload .file-row").count() == 2
        assert page.is_hidden("#upload [data-single-fields]")
        # The third file is dropped onto the form (added to the two chosen ones).
        page.evaluate(
            """(text) => {
                const transfer = new DataTransfer();
                transfer.items.add(new File([text], "captions.txt", {type: "text/plain"}));
                document.querySelector("[data-dropzone]").dispatchEvent(
                    new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
            }""",
            UNTITLED_TXT,
        )
        assert page.locator("#upload .file-row").count() == 3
        assert page.inner_text("#upload .file-row:nth-child(3) .file-name") == "captions.txt"
        page.fill("#upload input[name=title_2]", "Gluten free loaf")
        check("upload form with three files")
        page.get_by_role("button", name="Upload").click()
        message = page.inner_text(".messages")
        assert "3 files uploaded" in message and f"(YouTube {STARTER_ID})" in message, message

        # 5. The worker processes them; the channel is ready and each video links to its own.
        _run_jobs()
        page.wait_for_selector("#channel-progress .status-ready", timeout=30_000)
        assert page.locator("#channel-problem").count() == 0
        videos = {v.title: v for v in channel.videos.all()}
        assert set(videos) == {"Feeding a starter", "Lamination at home", "Gluten free loaf"}
        assert all(v.status == Video.Status.READY for v in videos.values())
        page.wait_for_selector(f"#video-list a[href='https://www.youtube.com/watch?v={STARTER_ID}']")
        check("recovered channel")

        # 6. The public switch, the share link and its copy button.
        switch = page.get_by_role("switch", name="Public")
        assert switch.get_attribute("aria-checked") == "false"
        switch.click()
        page.wait_for_selector("#channel-public [role=switch][aria-checked=true]")
        channel.refresh_from_db()
        share_url = f"{live_server.url}/c/{channel.slug}/"
        assert channel.is_public and page.input_value("#share-link") == share_url
        page.get_by_role("button", name="Copy link").click()
        page.wait_for_selector("#channel-public [data-copy-status]:has-text('Link copied.')")
        assert page.evaluate("navigator.clipboard.readText()") == share_url
        check("public channel")

        # 7. The shared link works: a fan's question is answered with a citation of the right video.
        page.goto(share_url)
        page.fill("#question", "How often should I feed my sourdough starter?")
        page.get_by_role("button", name="Ask").click()
        page.wait_for_function(
            "() => { const a = document.querySelectorAll('.msg-assistant'); return a.length && a[a.length - 1].dataset.done === '1'; }",
            timeout=120_000,
        )
        answer = page.locator(".msg-assistant").last
        cited = answer.locator(f".citations .citation-play[data-video='{STARTER_ID}']")
        assert cited.count() >= 1, answer.inner_html()
        assert answer.locator(f".citations a[href^='https://www.youtube.com/watch?v={STARTER_ID}']").count() >= 1
        cited.first.click()
        page.wait_for_selector("#player:not([hidden])")
        assert f"/embed/{STARTER_ID}?start=" in page.get_attribute("#player-frame", "src")
        check("public page")
    finally:
        context.close()
