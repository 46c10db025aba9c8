"""Text helpers for transcripts and the questions asked of them: one copy for the whole project.

Pure code, no Django. Ingestion (channels_app), the persona analysis (channels_app/persona),
retrieval (chat/retrieval) and the answers (chat/answers) all read caption text the same way
through these: what caption furniture is, which words say nothing about a question, how words
are stemmed, how untrusted text is fenced for a prompt, how consecutive chunks' overlap is
dropped, and what a YouTube video id looks like.
"""

from yoppy.transcripts.captions import CAPTION_TAG, without_caption_tags
from yoppy.transcripts.fencing import fenceable
from yoppy.transcripts.overlap import merge_overlapping, overlap_size
from yoppy.transcripts.words import STOP_WORDS, WORD, singular, stem, terms
from yoppy.transcripts.youtube import YOUTUBE_VIDEO_ID, is_youtube_video_id

__all__ = [
    "CAPTION_TAG", "STOP_WORDS", "WORD", "YOUTUBE_VIDEO_ID", "fenceable", "is_youtube_video_id",
    "merge_overlapping", "overlap_size", "singular", "stem", "terms", "without_caption_tags",
]  # fmt: skip
