"""The optional cross-encoder, with a real (tiny, randomly initialised) model."""

from __future__ import annotations

import pytest

from chat.retrieval import passages_search
from tests.chat.retrieval.corpus import CABIN


@pytest.fixture
def tiny_cross_encoder(tmp_path) -> str:
    """A randomly initialised one-layer BERT with a one-score head and a word-level vocabulary, saved
    where CrossEncoder loads it from: a real model, so its order is its own, without any download."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    words = sorted({w.strip(".,?!'/").lower() for text in CABIN.values() for w in text.split()} - {""})
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]) + "\n")
    torch.manual_seed(3)
    config = BertConfig(
        vocab_size=5 + len(words), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=128, num_labels=1,
    )  # fmt: skip
    BertForSequenceClassification(config).save_pretrained(tmp_path / "model")
    BertTokenizerFast(vocab_file=str(vocab)).save_pretrained(tmp_path / "model")
    return str(tmp_path / "model")


def test_a_configured_cross_encoder_decides_the_order_of_the_passages(
    alice_channel, cabin_videos, tiny_cross_encoder, settings
):
    from sentence_transformers import CrossEncoder

    question = "when did the cabin get its roof?"
    fused = passages_search(query=question, channel_ids=[alice_channel.pk], k=6)
    settings.RETRIEVAL_RERANK_MODEL = tiny_cross_encoder

    reranked = passages_search(query=question, channel_ids=[alice_channel.pk], k=6)

    scores = CrossEncoder(tiny_cross_encoder).predict([(question, p.text) for p in reranked])
    assert list(scores) == sorted(scores, reverse=True)
    assert {p.chunk_ids for p in reranked} == {p.chunk_ids for p in fused}
    assert [p.chunk_ids for p in reranked] != [p.chunk_ids for p in fused]


def test_a_reranker_that_cannot_load_leaves_the_fused_order_and_says_so(
    alice_channel, cabin_videos, settings, tmp_path, caplog
):
    question = "when did the cabin get its roof?"
    fused = passages_search(query=question, channel_ids=[alice_channel.pk], k=6)
    settings.RETRIEVAL_RERANK_MODEL = str(tmp_path / "no-such-model")

    with caplog.at_level("ERROR", logger="chat.retrieval.rerank"):
        passages = passages_search(query=question, channel_ids=[alice_channel.pk], k=6)

    assert passages == fused
    assert "cannot be loaded" in caplog.text
