from __future__ import annotations

import factory

from channels_app.models import Channel, Video
from tests.users.factories import UserFactory


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel

    owner = factory.SubFactory(UserFactory)
    kind = Channel.Kind.CHANNEL
    source_url = factory.Sequence(lambda n: f"https://www.youtube.com/@creator{n}")
    source_key = factory.Sequence(lambda n: f"channel:@creator{n}")
    title = factory.Sequence(lambda n: f"Creator {n}")
    status = Channel.Status.READY


class VideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Video

    channel = factory.SubFactory(ChannelFactory)
    youtube_id = factory.Sequence(lambda n: f"vid{n:08d}")
    title = factory.Sequence(lambda n: f"Video {n}")
    status = Video.Status.READY
