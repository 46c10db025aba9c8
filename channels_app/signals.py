"""Signals channels_app sends for other apps to react to ingestion, without channels_app knowing
them (bots posts new videos, syncs a branded bot's name and avatar).

``video_ready``: a video's ingestion ended ready. ``by_sync`` is True when its channel had
already finished a first run, i.e. the video came with a later sync (a new upload), and False
during a channel's first ingestion (receivers that announce new videos skip those). Sent inside
no transaction; receivers enqueue their work.

``channel_profile_changed``: a channel's title or avatar changed on resolving it again.
"""

from __future__ import annotations

from django.dispatch import Signal

video_ready = Signal()  # sender=Video, video=Video, by_sync=bool
channel_profile_changed = Signal()  # sender=Channel, channel=Channel
