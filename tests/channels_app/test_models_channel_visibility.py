"""Which channels exist for whom: the one rule (Channel.objects.alive / visible_to / owned_by)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from channels_app.models import Channel
from tests.channels_app.factories import ChannelFactory


def test_it_shows_everyone_public_channels_and_owners_their_private_ones(alice, bob):
    public = ChannelFactory(owner=alice, is_public=True)
    private = ChannelFactory(owner=alice, is_public=False)
    bobs = ChannelFactory(owner=bob, is_public=False)

    assert set(Channel.objects.visible_to(alice)) == {public, private}
    assert set(Channel.objects.visible_to(bob)) == {public, bobs}
    assert set(Channel.objects.visible_to(None)) == {public} == set(Channel.objects.visible_to(AnonymousUser()))


def test_it_hides_a_channel_being_deleted_from_everyone_its_owner_included(alice):
    public = ChannelFactory(owner=alice, is_public=True)
    going = ChannelFactory(owner=alice, is_public=True, delete_requested_at=timezone.now())

    assert list(Channel.objects.alive()) == [public]
    assert list(Channel.objects.visible_to(alice)) == [public] == list(Channel.objects.visible_to(None))
    assert list(Channel.objects.owned_by(alice)) == [public]
    assert going not in Channel.objects.owned_by(alice)
