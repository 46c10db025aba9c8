"""Raw local-embedding throughput: the model alone, no database, no chunking.

    .venv/bin/python -m bench.embed_raw          # from the repository root

prints float32 and bfloat16 chunks/s on 300 synthetic ~200-word chunks with 2 torch threads, and
how close the two sets of vectors are. ``raw_throughput`` is reused by the ingestion benchmark to
tell the embedding share of ingestion time apart from the rest.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

import numpy as np

from yoppy.ai.embeddings import LocalMiniLM, cpu_supports_bf16

# Common English words, so the tokenizer sees whole-word pieces as it does on real captions
# (random letters would split into many more word pieces per word and run slower).
_VOCABULARY_TEXT = """
the be to of and a in that have it for not on with he as you do at this but his by from they we say
her she or an will my one all would there their what so up out if about who get which go me when make
can like time no just him know take people into year your good some could them see other than then now
look only come its over think also back after use two how our work first well way even new want because
any these give day most us camera lens light video edit channel audio microphone story music travel
cook recipe garden paint build wood metal code game review test price budget sponsor upload subscribe
thanks watching today episode question answer tutorial beginner advanced tip trick mistake problem
"""
_VOCABULARY = _VOCABULARY_TEXT.split()


def synthetic_chunks(count: int = 300, words: int = 200, seed: int = 0) -> list[str]:
    """``count`` chunks of about ``words`` words each (±10 %), the same for the same seed."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_VOCABULARY) for _ in range(rng.randint(words * 9 // 10, words * 11 // 10)))
        for _ in range(count)
    ]


def timed_embed(
    texts: Sequence[str], *, dtype: str, threads: int = 2, batch_size: int = 64
) -> tuple[np.ndarray, float]:
    """Embed ``texts`` with a fresh local model; return the vectors and chunks per second.

    The model is loaded and warmed up on a few texts before the clock starts, so the figure is the
    steady state a long ingestion sees.
    """
    provider = LocalMiniLM(dtype=dtype, threads=threads, batch_size=batch_size)
    provider.embed_documents(list(texts[:batch_size]))
    started = time.perf_counter()
    vectors = provider.embed_documents(texts)
    return vectors, len(texts) / (time.perf_counter() - started)


def raw_throughput(texts: Sequence[str], *, dtype: str, threads: int = 2, batch_size: int = 64) -> float:
    """Chunks per second of the local model alone, in ``dtype`` (``float32`` or ``bfloat16``)."""
    return timed_embed(texts, dtype=dtype, threads=threads, batch_size=batch_size)[1]


def main() -> None:
    texts = synthetic_chunks()
    fp32, fp32_rate = timed_embed(texts, dtype="float32")
    print(f"float32:  {fp32_rate:6.1f} chunks/s")
    if not cpu_supports_bf16():
        print("bfloat16: skipped (no amx_bf16 / avx512_bf16 in /proc/cpuinfo; it would be emulated)")
        return
    bf16, bf16_rate = timed_embed(texts, dtype="bfloat16")
    cosine = np.sum(fp32 * bf16, axis=1)  # both are unit vectors
    print(f"bfloat16: {bf16_rate:6.1f} chunks/s  ({bf16_rate / fp32_rate:.2f}x)")
    print(f"cosine bf16 vs fp32: mean {cosine.mean():.5f}, min {cosine.min():.5f}")


if __name__ == "__main__":
    main()
