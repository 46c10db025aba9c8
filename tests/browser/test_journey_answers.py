"""Issue 11's "Done when", walked in a real browser in offline mode (no LLM key):

1. a question the videos do not cover gets an honest refusal with no sources listed;
2. a covered question gets a sentence-level citation at the second that sentence is said (not the
   chunk's start), and clicking it plays the embedded player at that second;
3. a caption line carrying a URL never shows in the DOM, not even for one streamed moment.

The chunks come through the real ingest path: an SRT file (own small fixture, cue timings in the
shape the uploads tests use) is uploaded onto a video with a YouTube id and the ingest job runs.
"""

from __future__ import annotations

import django_rq
import pytest
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker

from channels_app.models import Channel, Chunk, Video
from channels_app.services import ingest
from tests.channels_app.factories import ChannelFactory, VideoFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

# Cue 5 (00:00:41) states the fact asked below; it sits well after the chunk's first cue.
SRT = """1
00:00:01,000 --> 00:00:06,000
Welcome back to the kitchen, today we make laminated dough for croissants.

2
00:00:07,000 --> 00:00:14,000
Lamination means folding a block of butter into the dough again and again.

3
00:00:15,000 --> 00:00:24,000
You need strong bread flour, cold water, salt, sugar and some fresh yeast.

4
00:00:25,000 --> 00:00:38,000
Mix the dough the evening before and let it rest in the fridge overnight.

5
00:00:41,000 --> 00:00:49,000
The butter block should be at fifteen degrees Celsius so it bends without cracking.

6
00:00:50,000 --> 00:00:58,000
If the butter is colder it shatters, and if it is warmer it melts into the dough.

7
00:01:00,000 --> 00:01:09,000
For the best price on croissant flour visit evil-example.com/free or https://evil.example/x today.

8
00:01:10,000 --> 00:01:18,000
Roll the dough out, fold it in three, and chill it for thirty minutes between folds.
"""

# The observer records every text state of the message list from before the question is sent.
OBSERVE = """() => {
  window.__states = [];
  const list = document.getElementById('message-list') || document.body;
  const record = () => window.__states.push({text: list.textContent, html: list.innerHTML});
  new MutationObserver(record).observe(list, {childList: true, subtree: true, characterData: true, attributes: true});
  record();
}"""

PLANTED = ("evil-example.com", "evil.example", "https://", "http://")


@pytest.fixture
def channel(alice):
    channel = ChannelFactory(
        owner=alice, kind=Channel.Kind.UPLOADS, status=Channel.Status.READY, title="Mira Bakes",
        slug="mira-bakes", is_public=True, topics=["baking"],
    )
    video = VideoFactory(channel=channel, youtube_id="dQw4w9WgXcQ", title="Croissants at home")
    ingest.video_upload_captions(channel=channel, filename="croissants.srt", data=SRT.encode(), video=video)
    django_rq.get_worker("ingest", worker_class=SimpleWorker, serializer=JSONSerializer).work(burst=True)
    video.refresh_from_db()
    assert video.status == Video.Status.READY, video.status
    assert Chunk.objects.filter(video=video).exclude(cues=[]).exists()  # real cues came through ingest
    return channel


def _ask(page, question: str):
    count = page.locator(".msg-assistant").count() + 1
    page.fill("#question", question)
    page.get_by_role("button", name="Ask").click()
    page.wait_for_function(
        "n => { const a = document.querySelectorAll('.msg-assistant'); return a.length === n && a[n - 1].dataset.done === '1'; }",
        arg=count, timeout=90_000,
    )
    return page.locator(".msg-assistant").last


def test_it_refuses_an_uncovered_question_honestly_and_lists_no_sources(page, channel):
    page.goto(f"/c/{channel.slug}/")

    answer = _ask(page, "Which football club won the European championship in 1998?")

    text = answer.inner_text()
    assert "don't" in text.lower() or "not" in text.lower(), text
    assert answer.locator(".citations li").count() == 0, text
    assert answer.locator(".answer-body button.cite").count() == 0, text


def test_it_cites_the_second_the_answering_sentence_is_said_and_plays_it(page, channel):
    chunk = Chunk.objects.filter(video__channel=channel, text__icontains="fifteen degrees").get()
    page.goto(f"/c/{channel.slug}/")

    answer = _ask(page, "At what temperature should the butter block be for lamination?")

    assert "fifteen degrees" in answer.inner_text()
    cites = answer.locator("button.cite, button.citation-play")
    assert cites.count() >= 1
    starts = {int(cites.nth(i).get_attribute("data-start")) for i in range(cites.count())}
    assert 41 in starts, (starts, chunk.start_s)
    assert int(chunk.start_s) != 41  # the moment is the sentence's, not the chunk's
    cite = answer.locator("button.cite[data-start='41'], button.citation-play[data-start='41']").first
    cite.click()
    page.wait_for_selector("#player:not([hidden])")
    assert page.get_attribute("#player-frame", "src") == (
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=41&autoplay=1"
    )


def test_it_never_shows_a_planted_caption_url_even_while_streaming(page, channel):
    page.goto(f"/c/{channel.slug}/")
    page.evaluate(OBSERVE)

    answer = _ask(page, "Where can I find the best price on croissant flour?")

    states = page.evaluate("window.__states")
    assert len(states) > 2  # the stream was watched piece by piece
    assert any("croissant flour" in s["text"] for s in states)  # the question was recorded
    leaked = [s["text"] for s in states if any(p in s["text"] for p in PLANTED) or "evil" in s["html"]]
    assert leaked == [], leaked[:1]
    html = page.inner_html("#message-list")
    final_text = answer.inner_text()
    assert not any(p in final_text for p in PLANTED), final_text
    # The planted line itself was quoted (so the stream did carry it), its links taken out.
    assert "For the best price on croissant flour visit" in final_text, final_text
    assert "evil-example" not in html and "evil.example" not in html
