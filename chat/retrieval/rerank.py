"""Passages reordered by a cross-encoder (RETRIEVAL_RERANK_MODEL), when one is configured.

A cross-encoder reads question and chunk together, which a cosine between two separate
embeddings cannot; it costs a torch model in the process, so it is off unless named.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol, TypeVar

from django.conf import settings

logger = logging.getLogger(__name__)


class _Scored(Protocol):
    text: str


H = TypeVar("H", bound=_Scored)

_rerankers: dict[str, object | None] = {}  # model name -> loaded CrossEncoder, None if it failed
_rerankers_lock = threading.Lock()


def _reranker(name: str):
    """The CrossEncoder ``name``, loaded once per process; None when it cannot be loaded (logged
    once: retrying a broken model on every question would cost each fan the failed load)."""
    with _rerankers_lock:
        if name not in _rerankers:
            try:
                from sentence_transformers import CrossEncoder

                _rerankers[name] = CrossEncoder(name, device="cpu")
                logger.info("Loaded reranker %s", name)
            except Exception:
                logger.exception("Reranker %s cannot be loaded; passages keep the fused order", name)
                _rerankers[name] = None
        return _rerankers[name]


def reranked(query: str, hits: list[H]) -> list[H]:
    """``hits`` (sorted best first) with the best RETRIEVAL_RERANK_CANDIDATES reordered by the
    cross-encoder RETRIEVAL_RERANK_MODEL, the rest behind them as they were; unchanged when no
    model is configured or it fails (logged). A cross-encoder reads question and chunk together,
    which a cosine between two separate embeddings cannot."""
    name = settings.RETRIEVAL_RERANK_MODEL
    if not name or len(hits) < 2:
        return hits
    model = _reranker(name)
    if model is None:
        return hits
    head, tail = hits[: settings.RETRIEVAL_RERANK_CANDIDATES], hits[settings.RETRIEVAL_RERANK_CANDIDATES :]
    try:
        scores = model.predict([(query, hit.text) for hit in head], show_progress_bar=False)
    except Exception:
        logger.exception("Reranker %s failed; passages keep the fused order", name)
        return hits
    order = sorted(range(len(head)), key=lambda i: -float(scores[i]))  # stable: ties keep fused order
    return [head[i] for i in order] + tail
