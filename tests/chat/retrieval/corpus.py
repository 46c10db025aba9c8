"""The small channel the retrieval tests search: six videos of one chunk each, embedded as
ingestion embeds them by the real local model."""

from __future__ import annotations

from django.db.models import F

from channels_app.models import Channel, Chunk, Video
from yoppy.ai.embeddings import embedding_provider

CABIN = {
    "Cabin build, episode 214": "In episode 214 we finally got the roof on the cabin before the first snow.",
    "Cabin build, episode 241": "In episode 241 we poured the concrete foundation and waited a week for it to cure.",
    "Cabin build, episode 412": "In episode 412 the wood stove went in and the cabin was warm for the first time.",
    "Sourdough at home": "Sourdough needs a long cold proof. I leave the dough in the fridge overnight so the flavour develops.",
    "Low light": "For low light I shoot wide open at f/1.8 and raise the ISO before I ever slow the shutter down.",
    "Karting": "The best way to race a go-kart is to brake late and take the inside line.",
}


def add_chunks(video: Video, texts: list[str], *, positions: list[int] | None = None) -> list[Chunk]:
    """Chunks embedded as ingestion embeds them (title, newline, text), 30 s apart."""
    provider = embedding_provider()
    vectors = provider.embed_documents([f"{video.title}\n{text}" for text in texts])
    positions = positions or list(range(len(texts)))
    chunks = [
        Chunk.objects.create(
            video=video,
            channel_id=video.channel_id,
            position=position,
            start_s=30.0 * position,
            end_s=30.0 * position + 35,
            text=text,
            word_count=len(text.split()),
            embedding=vector,
            embedding_model=provider.name,
            embedding_dim=provider.dimension,
        )  # fmt: skip
        for position, text, vector in zip(positions, texts, vectors, strict=True)
    ]
    Channel.objects.filter(pk=video.channel_id).update(chunks_count=F("chunks_count") + len(chunks))
    return chunks
