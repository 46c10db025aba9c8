"""Reads of channels, videos and chunks."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from channels_app.models import Channel, Video


def channel_list_for_owner(*, user) -> QuerySet[Channel]:
    return Channel.objects.owned_by(user).order_by("-created_at")


def channel_get_for_owner(*, user, pk: int) -> Channel:
    """The owner's channel, or 404 for anyone else (never a 403 that confirms it exists)."""
    channel = channel_list_for_owner(user=user).filter(pk=pk).first()
    if channel is None:
        raise Http404("No such channel.")
    return channel


def channel_any_in_progress(*, user) -> bool:
    return channel_list_for_owner(user=user).filter(
        status__in=[Channel.Status.QUEUED, Channel.Status.PROCESSING]
    ).exists()


def video_list_for_channel(*, channel: Channel) -> QuerySet[Video]:
    return channel.videos.order_by("-published_at", "-id")


def video_get_for_owner(*, user, channel_pk: int, pk: int) -> Video:
    video = Video.objects.filter(
        pk=pk, channel_id=channel_pk, channel__owner=user, channel__delete_requested_at__isnull=True
    ).select_related("channel").first()
    if video is None:
        raise Http404("No such video.")
    return video


def channel_get_demo_public() -> Channel | None:
    """The shipped demo persona a newcomer can try before adding a channel, if it is public."""
    return (
        Channel.objects.filter(is_demo=True, is_public=True, delete_requested_at__isnull=True)
        .order_by("pk")
        .first()
    )


def chunk_sentence_vectors(*, chunk_ids, model: str, dim: int) -> dict:
    """The stored sentence vectors of the given chunks, by sentence text (numpy float32 rows),
    for chunks embedded by ``model`` at ``dim`` dimensions; chunks without them give nothing."""
    import numpy as np

    from channels_app.models import Chunk

    vectors: dict = {}
    rows = Chunk.objects.filter(
        pk__in=list(chunk_ids), embedding_model=model, embedding_dim=dim, sentence_vectors__isnull=False
    ).values_list("sentences", "sentence_vectors")
    for texts, blob in rows:
        matrix = np.frombuffer(bytes(blob), dtype=np.float32)
        if not texts or matrix.size != len(texts) * dim:
            continue  # written by another model or cut differently: embed these on asking
        vectors.update(zip(texts, matrix.reshape(len(texts), dim), strict=True))
    return vectors
