"""A creator turns transcript files into a persona: adds a collection, uploads a transcript,
watches the progress bar fill while a real RQ worker processes it, and edits the profile."""

from __future__ import annotations

import re

import pytest

from tests.channels_app.test_worker_crash import _worker
from tests.users.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

TRANSCRIPT = "\n\n".join(
    f"{i + 1}\n00:{i // 6:02d}:{i % 6 * 10:02d},000 --> 00:{i // 6:02d}:{i % 6 * 10 + 9:02d},000\n"
    f"Part {i}: keep your sourdough starter at twenty five degrees and feed it flour and water every day."
    for i in range(60)
).encode()


@pytest.fixture
def worker():
    process = _worker()
    yield process
    process.terminate()
    process.wait(20)


def test_a_creator_uploads_a_transcript_and_watches_it_become_ready(page, alice, worker, tmp_path):
    transcript = tmp_path / "episode-1.srt"
    transcript.write_bytes(TRANSCRIPT)

    page.goto("/accounts/login/")
    page.fill("input[name=login]", "alice@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.get_by_role("link", name="Channels").click()

    page.get_by_text("No YouTube channel?").click()
    page.fill("input[name=title]", "Bread podcast")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_selector("h1:has-text('Bread podcast')")

    page.set_input_files("input[name=file]", str(transcript))
    page.fill("#upload input[name=title]", "Episode 1")
    page.get_by_role("button", name="Upload").click()

    # The progress section polls every 2 s until the worker has finished.
    page.wait_for_selector("#channel-progress .status-ready", timeout=120_000)
    assert "1 of 1 videos done" in page.inner_text("#channel-progress").replace("\n", " ")
    page.wait_for_selector("#video-list tr.video-ready", timeout=10_000)
    assert "Episode 1" in page.inner_text("#video-list")

    page.get_by_text("Edit the profile").click()
    page.fill("textarea[name=catchphrases]", "feed it every day")
    page.get_by_role("button", name="Save profile").click()
    page.wait_for_selector("#channel-profile .message.success")
    assert "feed it every day" in page.inner_text("#channel-profile")
