from __future__ import annotations

import random
import socket
import threading
import time

import numpy as np
import pytest

from tests.ai.openai_server import OpenAIServer, fake_embedding
from yoppy.ai.embeddings import (
    GeminiEmbeddings,
    LocalMiniLM,
    OpenAIEmbeddings,
    cpu_supports_bf16,
    embedding_provider,
    embedding_provider_reset,
    embedding_warm,
    resolve_dtype,
)

WORDS = ["camera", "lens", "light", "editing", "timeline", "audio", "microphone", "tripod", "colour"]
WORDS += ["grading", "sunset", "studio", "budget", "sponsor", "upload", "thumbnail", "growth", "interview"]


def sentence(words: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words))


def unit(vector: list[float]) -> np.ndarray:
    array = np.asarray(vector, dtype=np.float32)
    return array / np.linalg.norm(array)


@pytest.fixture(scope="module")
def minilm() -> LocalMiniLM:
    """One float32 model for the module: loading costs a second, embedding is what we test."""
    return LocalMiniLM(dtype="float32", threads=2, batch_size=4)


@pytest.fixture(autouse=True)
def _fresh_provider():
    embedding_provider_reset()
    yield
    embedding_provider_reset()


@pytest.fixture
def server():
    server = OpenAIServer().start()
    yield server
    server.stop()


# --- the local model


def test_the_local_model_loads_from_the_wheel_without_touching_the_network(monkeypatch):
    def no_network(self, address):
        raise AssertionError(f"the local model tried to connect to {address}")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    provider = LocalMiniLM(dtype="float32", threads=2)

    vectors = provider.embed_documents(["How do I clean a camera lens?", "Thanks for watching!"])

    assert provider.name == "local/all-MiniLM-L6-v2"
    assert vectors.shape == (2, 384) == (2, provider.dimension)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_it_does_not_load_the_model_until_the_first_embed_call():
    provider = LocalMiniLM(dtype="float32")

    assert provider._model is None


def test_similar_sentences_score_higher_than_unrelated_ones(minilm):
    question = minilm.embed_query("How do I clean the lens of my camera?")
    similar, unrelated = minilm.embed_documents(
        [
            "The best way to wipe dust off a camera lens is a soft cloth.",
            "Interest rates rose again this quarter.",
        ]
    )

    assert question.shape == (384,)
    assert float(question @ similar) > float(question @ unrelated) + 0.2


def test_it_keeps_input_order_for_a_shuffled_batch_of_mixed_lengths(minilm):
    # Lengths from 1 to ~230 words, shuffled: the model sorts by length inside and must put every
    # vector back where its text was. batch_size=4 makes several batches.
    texts = [
        sentence(words, seed) for seed, words in enumerate([1, 3, 8, 20, 45, 90, 130, 180, 230, 2, 60, 15])
    ]
    random.Random(7).shuffle(texts)

    together = minilm.embed_documents(texts)
    one_by_one = np.stack([minilm.embed_query(text) for text in texts])

    cosines = np.sum(together * one_by_one, axis=1)
    assert cosines.min() >= 0.999, cosines
    # And the rows really differ, so a permutation could not pass the check above.
    assert (together @ together.T)[~np.eye(len(texts), dtype=bool)].max() < 0.999


def test_an_empty_batch_gives_an_empty_array(minilm):
    assert minilm.embed_documents([]).shape == (0, 384)


def test_bfloat16_vectors_match_float32_ones(minilm):
    if not cpu_supports_bf16():
        pytest.skip("this CPU has neither amx_bf16 nor avx512_bf16: bfloat16 would be emulated, and not used")
    texts = [sentence(words, seed) for seed, words in enumerate([5, 40, 120, 200])]
    texts.append("What microphone do you use for your interviews?")

    bf16 = LocalMiniLM(dtype="bfloat16", threads=2).embed_documents(texts)
    fp32 = minilm.embed_documents(texts)

    assert bf16.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(bf16, axis=1), 1.0, atol=1e-5)
    assert np.sum(bf16 * fp32, axis=1).min() >= 0.999


def test_the_model_loads_once_when_threads_embed_at_the_same_time(monkeypatch):
    loads = []
    real_load = LocalMiniLM._load

    def counting_load(self):
        loads.append(1)
        return real_load(self)

    monkeypatch.setattr(LocalMiniLM, "_load", counting_load)
    provider = LocalMiniLM(dtype="float32", threads=2)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda i=i: results.append(provider.embed_query(f"question {i}")))
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(loads) == 1
    assert len(results) == 4


def test_questions_waiting_at_the_same_time_share_one_encode(minilm, monkeypatch):
    texts = [f"What do you think about topic number {n}?" for n in range(5)]
    alone = {text: minilm.embed_query(text) for text in texts}
    encodes: list[list[str]] = []
    real_encode = LocalMiniLM._encode
    monkeypatch.setattr(
        LocalMiniLM, "_encode", lambda self, batch: encodes.append(batch) or real_encode(self, batch)
    )
    # Keep the embedding thread busy until all five questions are waiting for it.
    busy = threading.Event()
    minilm._executor.submit(busy.wait)
    results: dict[str, np.ndarray] = {}
    threads = [threading.Thread(target=lambda t=t: results.update({t: minilm.embed_query(t)})) for t in texts]
    for thread in threads:
        thread.start()
    while len(minilm._queries) < len(texts):
        time.sleep(0.01)
    busy.set()
    for thread in threads:
        thread.join()

    assert len(encodes) == 1 and sorted(encodes[0]) == sorted(texts)
    for text in texts:
        assert float(results[text] @ alone[text]) >= 0.999


def test_a_failed_shared_encode_reaches_every_waiting_question(minilm, monkeypatch):
    def broken(self, batch):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(LocalMiniLM, "_encode", broken)

    with pytest.raises(RuntimeError, match="out of memory"):
        minilm.embed_query("anything")
    assert minilm._queries == []


# --- dtype choice


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu sse avx512f amx_bf16 amx_tile", True),
        ("fpu sse avx512f avx512_bf16", True),
        ("fpu sse avx2 avx512f", False),
    ],
)
def test_it_detects_bfloat16_support_from_cpu_flags(tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Xeon\nflags\t\t: {flags}\n")

    assert cpu_supports_bf16(cpuinfo) is expected


def test_it_assumes_no_bfloat16_where_there_is_no_proc_cpuinfo(tmp_path):
    assert cpu_supports_bf16(tmp_path / "missing") is False


def test_an_explicit_dtype_wins_over_detection():
    assert resolve_dtype("float32") == "float32"
    assert resolve_dtype("bfloat16") == "bfloat16"
    assert resolve_dtype("auto") == ("bfloat16" if cpu_supports_bf16() else "float32")


def test_an_unknown_dtype_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="EMBEDDING_DTYPE"):
        resolve_dtype("float16")


# --- the provider chosen by settings


def test_the_provider_is_built_once_per_process(settings):
    settings.EMBEDDING_PROVIDER = "local"
    settings.EMBEDDING_DTYPE = "float32"
    settings.EMBEDDING_THREADS = 2
    settings.EMBEDDING_BATCH_SIZE = 16
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(embedding_provider())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    provider = embedding_provider()
    assert isinstance(provider, LocalMiniLM)
    assert all(other is provider for other in seen)
    assert (provider.dtype, provider.threads, provider.batch_size) == ("float32", 2, 16)


def test_changing_settings_builds_the_new_provider(settings, server):
    settings.EMBEDDING_PROVIDER = "local"
    assert isinstance(embedding_provider(), LocalMiniLM)

    settings.EMBEDDING_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = server.url

    assert isinstance(embedding_provider(), OpenAIEmbeddings)


# --- OpenAI and Gemini, through the real openai SDK against a local server


def test_openai_vectors_follow_the_input_order_even_when_the_answer_is_shuffled(settings, server):
    settings.EMBEDDING_PROVIDER = "openai"
    settings.OPENAI_BASE_URL = server.url
    settings.OPENAI_API_KEY = "sk-test"
    settings.EMBEDDING_MODEL = None
    texts = [f"chunk number {i}" for i in range(10)]

    provider = embedding_provider()
    vectors = provider.embed_documents(texts)

    assert provider.name == "openai/text-embedding-3-small"
    assert provider.dimension == 1536
    assert vectors.shape == (10, 1536)
    assert vectors.dtype == np.float32
    for row, text in zip(vectors, texts, strict=True):
        np.testing.assert_allclose(row, unit(fake_embedding(text, 1536)), atol=1e-6)
    (request,) = server.requests_to("/embeddings")
    assert request.body["input"] == texts
    assert request.body["model"] == "text-embedding-3-small"
    assert request.body["encoding_format"] == "float"


def test_openai_batches_over_512_texts_into_several_requests_in_order(server):
    server.embedding_dim = 8
    provider = OpenAIEmbeddings(api_key="sk-test", base_url=server.url, model="nomic-embed-text")
    texts = [f"chunk {i}" for i in range(1100)]

    vectors = provider.embed_documents(texts)

    assert [len(r.body["input"]) for r in server.requests_to("/embeddings")] == [512, 512, 76]
    assert provider.dimension == 8  # learnt from the answer: an unknown model's width
    expected = np.stack([unit(fake_embedding(text, 8)) for text in texts])
    np.testing.assert_allclose(vectors, expected, atol=1e-6)


def test_gemini_uses_its_own_endpoint_model_and_batches_of_100(settings, server):
    server.embedding_dim = 768
    settings.EMBEDDING_PROVIDER = "gemini"
    settings.GEMINI_BASE_URL = server.url
    settings.GEMINI_API_KEY = "gemini-test"
    settings.EMBEDDING_MODEL = None
    texts = [f"gemini chunk {i}" for i in range(150)]

    provider = embedding_provider()
    vectors = provider.embed_documents(texts)

    assert isinstance(provider, GeminiEmbeddings)
    assert provider.name == "gemini/text-embedding-004"
    assert provider.dimension == 768
    requests = server.requests_to("/embeddings")
    assert [len(r.body["input"]) for r in requests] == [100, 50]
    assert {r.body["model"] for r in requests} == {"text-embedding-004"}
    np.testing.assert_allclose(vectors[123], unit(fake_embedding(texts[123], 768)), atol=1e-6)


def test_a_query_through_openai_is_one_unit_vector(server):
    provider = OpenAIEmbeddings(api_key="sk-test", base_url=server.url)

    vector = provider.embed_query("what lens do you use?")

    assert vector.shape == (1536,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_warming_loads_the_local_model(settings):
    settings.EMBEDDING_PROVIDER = "local"
    settings.EMBEDDING_DTYPE = "float32"

    embedding_warm()

    assert embedding_provider()._model is not None


def test_warming_a_remote_provider_sends_nothing(settings, server):
    settings.EMBEDDING_PROVIDER = "openai"
    settings.OPENAI_API_KEY = "test"
    settings.OPENAI_BASE_URL = server.url

    embedding_warm()

    assert server.requests == []
