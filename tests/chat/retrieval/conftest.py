from __future__ import annotations

import pytest

from channels_app.models import Video
from tests.channels_app.factories import ChannelFactory, VideoFactory
from tests.chat.retrieval.corpus import CABIN, add_chunks


@pytest.fixture
def alice_channel(alice):
    return ChannelFactory(owner=alice, title="Alice builds")


@pytest.fixture
def cabin_videos(alice_channel) -> dict[str, Video]:
    videos = {}
    for title, text in CABIN.items():
        videos[title] = VideoFactory(channel=alice_channel, title=title)
        add_chunks(videos[title], [text])
    return videos
