"""The shipped demo channel: its transcripts read as real, citable captions in Mira's voice, and
`load_demo_channels` (run by `make run` on every start) leaves exactly one ready demo, however often."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils.dateparse import parse_datetime

from channels_app.models import Channel, Chunk, Video
from channels_app.services.captions import parse_captions
from tests.users.factories import UserFactory

DEMO_DIR = Path(__file__).resolve().parents[2] / "channels_app" / "demo"
META = json.loads((DEMO_DIR / "demo.json").read_text(encoding="utf-8"))
VIDEOS = META["videos"]
by_file = pytest.mark.parametrize("entry", VIDEOS, ids=[video["file"] for video in VIDEOS])

# What each video must state, so chat answers can cite the exact moment it is said.
FACTS = {
    "sourdough_starter.vtt": [
        "one to one by weight", "once every 24 hours", "every 12 hours", "the float test", "hooch",
        "24 to 26 degrees celsius", "whole rye flour",
    ],
    "laminated_dough.srt": [
        "between 13 and 15 degrees celsius", "three letter folds", "30-minute rest in the fridge",
        "why butter breaks", "24 to 26 degrees celsius. not hotter",
    ],
    "gluten_free_bread.vtt": [
        "10 grams of psyllium husk per 500 grams of flour blend", "about 90 percent",
        "98 degrees celsius", "cool fully before you slice",
    ],
}  # fmt: skip


def _segments(entry: dict):
    return parse_captions((DEMO_DIR / entry["file"]).read_bytes(), filename=entry["file"])


def _text(entry: dict) -> str:
    return " ".join(segment.text for segment in _segments(entry)).lower()


@by_file
def test_each_demo_transcript_is_eight_to_fourteen_minutes_of_cues_every_two_to_six_seconds(entry):
    segments = _segments(entry)
    starts = [segment.start_s for segment in segments]
    # parse_captions never lets a start go backwards; strictly increasing ones prove the file's do not.
    assert all(
        2.0 <= round(later - earlier, 3) <= 6.0 for earlier, later in zip(starts, starts[1:], strict=False)
    )
    assert all(segment.end_s >= segment.start_s for segment in segments)
    assert 8 * 60 <= segments[-1].end_s - segments[0].start_s <= 14 * 60
    assert segments[-1].end_s <= entry["duration_s"]
    assert 900 <= sum(len(segment.text.split()) for segment in segments) <= 1300


@by_file
def test_each_demo_transcript_speaks_in_miras_voice(entry):
    text = _text(entry)
    assert "hi bakers, mira here" in text[:120]
    assert "bake it till you make it" in text
    assert text.count("here's the thing") >= 2


@by_file
def test_each_demo_transcript_states_the_facts_fans_will_ask_about(entry):
    text = _text(entry)
    assert [fact for fact in FACTS[entry["file"]] if fact not in text] == []


def test_demo_json_has_obviously_fake_ids_and_every_file_exists():
    assert "demo" in META["title"].lower() and "demo" in META["handle"]
    assert len(VIDEOS) == 3
    assert len({video["youtube_id"] for video in VIDEOS}) == 3
    for video in VIDEOS:
        assert len(video["youtube_id"]) == 11 and video["youtube_id"].startswith("demo")
        assert (DEMO_DIR / video["file"]).is_file()
        assert "demo" in video["title"].lower()
        assert parse_datetime(video["published_at"]).tzinfo is not None


@pytest.fixture
def demo_admin(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the caption files the command keeps land here, not in var/
    return UserFactory(email="admin@yoppy.local", name="Demo admin", is_staff=True, is_superuser=True)


def _load() -> str:
    out = StringIO()
    call_command("load_demo_channels", stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_loading_the_demo_twice_gives_one_ready_public_channel_and_creates_nothing_the_second_time(
    demo_admin,
):
    first = _load()

    channel = Channel.objects.get(is_demo=True)
    assert "Loading demo channel Mira Bakes (demo): 3 videos" in first
    assert f"Demo channel ready: {channel.chunks_count} passages." in first
    assert channel.status == Channel.Status.READY
    assert channel.owner == demo_admin
    assert channel.slug == "mira-bakes-demo"
    assert channel.is_public is True
    assert channel.kind == Channel.Kind.UPLOADS
    assert channel.videos.filter(status=Video.Status.READY).count() == 3
    assert channel.chunks_count == Chunk.objects.filter(channel=channel).count() > 3
    for video in channel.videos.all():
        assert video.captions_source == Video.CaptionSource.MANUAL
        starts = list(video.chunks.order_by("position").values_list("start_s", flat=True))
        assert len(starts) >= 2
        assert all(start > 0 for start in starts[1:])
        assert starts == sorted(starts)
    assert [message.to for message in mail.outbox] == [["admin@yoppy.local"]]

    rows = {model: set(model.objects.values_list("pk", flat=True)) for model in (Channel, Video, Chunk)}
    second = _load()

    assert second.strip() == "Demo channel already loaded."
    assert {
        model: set(model.objects.values_list("pk", flat=True)) for model in (Channel, Video, Chunk)
    } == rows
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_it_replaces_a_half_finished_demo_with_a_ready_one(demo_admin):
    half = Channel.objects.create(
        owner=demo_admin, kind=Channel.Kind.UPLOADS, source_url="", source_key="demo:mira-bakes",
        title="Mira Bakes (demo)", slug="mira-bakes-demo", is_public=True, is_demo=True,
        status=Channel.Status.PROCESSING,
    )  # fmt: skip
    Video.objects.create(
        channel=half, youtube_id="demoSour001", title="interrupted", status=Video.Status.PROCESSING
    )

    _load()

    channel = Channel.objects.get(is_demo=True)
    assert channel.pk != half.pk
    assert channel.status == Channel.Status.READY
    assert channel.videos.filter(status=Video.Status.READY).count() == 3


@pytest.mark.django_db
def test_it_loads_nothing_and_says_why_without_a_superuser(alice):
    assert "No superuser to own the demo channel" in _load()
    assert not Channel.objects.exists()
