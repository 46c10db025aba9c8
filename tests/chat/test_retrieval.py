"""Hybrid retrieval on the real database with the real local embedding model."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from channels_app.models import Channel, Chunk, Video
from chat.services.retrieval import (
    _fuse,
    _Hit,
    dense_exact_sql,
    dense_sql,
    keyword_text,
    merge_overlapping,
    passages_search,
    query_for_retrieval,
)
from tests.channels_app.factories import ChannelFactory, VideoFactory
from yoppy.ai.embeddings import embedding_provider
from yoppy.ai.llm import LLMError, LLMMessage

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


@pytest.fixture
def alice_channel(alice):
    return ChannelFactory(owner=alice, title="Alice builds")


@pytest.fixture
def cabin_videos(alice_channel) -> dict[str, Video]:
    videos = {}
    for title, text in CABIN.items():
        videos[title] = VideoFactory(channel=alice_channel, title=title)
        add_chunks(videos[title], [text])
    return videos


def first_title(query: str, channel: Channel, **kwargs) -> str:
    passages = passages_search(query=query, channel_ids=[channel.pk], **kwargs)
    return passages[0].video_title if passages else ""


# --- the two sides and their fusion


def test_a_paraphrased_question_finds_its_chunk_by_meaning(alice_channel, cabin_videos):
    # No word in common with the chunk ("dark" / "photos" vs "low light" / "shoot").
    question = "How do you get good photos when it's dark?"
    assert first_title(question, alice_channel, mode="dense") == "Low light"
    assert passages_search(query=question, channel_ids=[alice_channel.pk], mode="keyword") == []


def test_a_rare_word_finds_its_chunk_by_keyword(alice_channel, cabin_videos):
    assert (
        first_title("what happened in episode 241?", alice_channel, mode="keyword")
        == "Cabin build, episode 241"
    )


def test_fusion_gets_right_what_each_side_alone_gets_wrong(alice_channel, cabin_videos):
    questions = {
        "what happened in episode 241?": "Cabin build, episode 241",  # numbers: dense blurs 214/241/412
        "why let bread rest in the refrigerator?": "Sourdough at home",  # paraphrase: no shared word
        "How do you get good photos when it's dark?": "Low light",
        "episode 412": "Cabin build, episode 412",
    }

    def correct(mode: str) -> int:
        return sum(first_title(q, alice_channel, mode=mode) == want for q, want in questions.items())

    dense, keyword, hybrid = correct("dense"), correct("keyword"), correct("hybrid")
    assert hybrid == len(questions)
    assert dense < hybrid and keyword < hybrid


def hit(pk: int, *, similarity: float, bm25: float) -> _Hit:
    return _Hit(
        id=pk, channel_id=1, video_id=pk, position=0, start_s=0, end_s=1, text="", video_title="",
        youtube_id="", thumbnail_url="", similarity=similarity, bm25=bm25, keyword_hit=bm25 > 0,
    )  # fmt: skip


def test_reciprocal_rank_fusion_adds_the_reciprocal_ranks_of_both_sides():
    hits = [
        hit(1, similarity=0.9, bm25=1.0),  # ranks 1 and 3
        hit(2, similarity=0.8, bm25=5.0),  # ranks 2 and 1
        hit(3, similarity=0.7, bm25=2.0),  # ranks 3 and 2
        hit(4, similarity=0.6, bm25=0),  # rank 4, no keyword match
    ]
    _fuse(hits, idf_total=10, mode="hybrid", fusion="rrf")
    assert [h.id for h in hits] == [2, 1, 3, 4]
    assert hits[0].score == pytest.approx(1 / 62 + 1 / 61)
    assert hits[3].score == pytest.approx(1 / 64)  # in one list only


def test_score_fusion_weighs_how_far_ahead_a_side_is_not_just_its_order():
    # By ranks the two are level (each first on one side); by scores the clear keyword match wins.
    hits = [hit(1, similarity=0.61, bm25=1.0), hit(2, similarity=0.60, bm25=9.0)]
    _fuse(hits, idf_total=10, mode="hybrid", fusion="score")
    assert [h.id for h in hits] == [2, 1]


def test_the_configured_fusion_is_used(alice_channel, cabin_videos, settings):
    settings.RETRIEVAL_FUSION = "rrf"
    passages = passages_search(query="episode 412 wood stove", channel_ids=[alice_channel.pk], k=6)
    assert passages[0].video_title == "Cabin build, episode 412"
    assert all(p.score <= 2 / 61 for p in passages)  # reciprocal ranks, not similarities


def test_conversational_words_do_not_count_as_keywords(alice_channel, cabin_videos):
    # "say" (and "what did he … about") would otherwise match any chunk quoting someone.
    VideoFactory(channel=alice_channel, title="Quotes")
    add_chunks(Video.objects.get(title="Quotes"), ["As my grandmother used to say, say less and do more."])
    passages = passages_search(
        query="What did he say about sourdough?", channel_ids=[alice_channel.pk], mode="keyword"
    )
    assert [p.video_title for p in passages] == ["Sourdough at home"]


def test_numbers_are_also_searched_as_spoken_words():
    assert "fifty" in keyword_text("Who won Super Bowl 50?")
    assert "nineteen ninety" in keyword_text("in 1990")
    assert "third" in keyword_text("the 3rd album")
    assert "two thousand five hundred" in keyword_text("2,500 subscribers")
    assert keyword_text("f/1.8 lens") == "f/1.8 lens"


# --- channels, videos, passages


def test_it_never_returns_another_channels_chunks(alice_channel, cabin_videos, bob):
    bob_channel = ChannelFactory(owner=bob)
    bob_video = VideoFactory(channel=bob_channel, title="Cabin build, episode 241")
    bob_chunk = add_chunks(bob_video, [CABIN["Cabin build, episode 241"]])[0]

    for mode in ("dense", "keyword", "hybrid"):
        passages = passages_search(
            query="episode 241 foundation", channel_ids=[alice_channel.pk], k=10, mode=mode
        )
        assert passages
        assert {p.channel_id for p in passages} == {alice_channel.pk}
        assert all(bob_chunk.pk not in p.chunk_ids for p in passages)
    passages = passages_search(query="episode 241 foundation", channel_ids=[bob_channel.pk], k=10)
    assert [p.chunk_ids for p in passages] == [(bob_chunk.pk,)]


def test_a_small_channel_among_closer_chunks_of_others_still_gets_its_passages(alice_channel, bob, settings):
    """HNSW alone returns ef_search (100) nearest rows and the channel filter then keeps none of
    them; iterative index scans go on until the channel's rows are found."""
    settings.RETRIEVAL_EXACT_SCAN_MAX_CHUNKS = 0  # the index, whatever the channel's size
    video = VideoFactory(channel=alice_channel, title="Sourdough at home")
    mine = add_chunks(video, [CABIN["Sourdough at home"], "I feed the starter twice a day.", "Rye flour."])
    provider = embedding_provider()
    question = "how long do you proof sourdough?"
    rng = np.random.default_rng(1)
    near = provider.embed_query(question) + rng.normal(0, 0.01, (150, provider.dimension)).astype(np.float32)
    bob_video = VideoFactory(channel=ChannelFactory(owner=bob))
    Chunk.objects.bulk_create(
        Chunk(
            video=bob_video,
            channel_id=bob_video.channel_id,
            position=i,
            start_s=0,
            end_s=1,
            text="x",
            embedding=vector / np.linalg.norm(vector),
            embedding_model=provider.name,
            embedding_dim=provider.dimension,
        )  # fmt: skip
        for i, vector in enumerate(near)
    )
    with connection.cursor() as cursor:
        # Leave the planner no plan but the HNSW index (it holds only a few hundred rows here).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
    passages = passages_search(query=question, channel_ids=[alice_channel.pk], k=6, mode="dense")
    assert sorted(i for p in passages for i in p.chunk_ids) == sorted(chunk.pk for chunk in mine)


def test_it_keeps_at_most_per_video_chunks_of_one_video(alice_channel, cabin_videos):
    video = VideoFactory(channel=alice_channel, title="Sourdough, the long version")
    texts = [
        f"Sourdough tip {n}: the dough needs a cold proof in the fridge, sourdough loves time."
        for n in range(5)
    ]
    add_chunks(video, texts, positions=[0, 2, 4, 6, 8])  # not adjacent: no merging

    passages = passages_search(query="sourdough cold proof", channel_ids=[alice_channel.pk], k=6, per_video=2)
    from_video = [i for p in passages if p.video_id == video.pk for i in p.chunk_ids]
    assert len(from_video) == 2
    assert len(passages) == 6


def test_adjacent_chunks_of_a_video_merge_into_one_passage(alice_channel, cabin_videos):
    video = VideoFactory(channel=alice_channel, title="Sourdough, start to finish")
    first = "Sourdough day one: mix the flour and water. Let the sourdough starter bubble overnight on the counter"
    # Consecutive chunks repeat whole segments: the second starts with the first's last words.
    second = (
        "starter bubble overnight on the counter then shape the sourdough loaf and proof it in the fridge"
    )
    far = "Bake the sourdough loaf in a hot dutch oven, lid on for twenty minutes"
    chunks = add_chunks(video, [first, second, far], positions=[0, 1, 5])

    passages = passages_search(query="sourdough starter overnight", channel_ids=[alice_channel.pk], k=5)
    mine = [p for p in passages if p.video_id == video.pk]
    merged = next(p for p in mine if len(p.chunk_ids) == 2)
    assert merged.chunk_ids == (chunks[0].pk, chunks[1].pk)
    assert (merged.start_s, merged.end_s) == (chunks[0].start_s, chunks[1].end_s)
    assert merged.text == first + " then shape the sourdough loaf and proof it in the fridge"
    assert all(p.chunk_ids == (chunks[2].pk,) for p in mine if p is not merged)  # position 5 stays apart
    assert merged.youtube_id == video.youtube_id and merged.video_title == video.title
    assert 0 < merged.similarity <= 1 and merged.keyword_hit


def test_merging_drops_the_repeated_words_only():
    assert merge_overlapping("a b c d", "c d e") == "a b c d e"
    assert merge_overlapping("a b", "c d") == "a b c d"
    assert merge_overlapping("a b", "a b") == "a b"


def test_an_empty_question_or_no_channel_finds_nothing(alice_channel, cabin_videos):
    assert passages_search(query="  ", channel_ids=[alice_channel.pk]) == []
    assert passages_search(query="episode 241", channel_ids=[]) == []


# --- the vector SQL


def test_the_vector_query_is_served_by_the_hnsw_index(alice_channel, cabin_videos):
    sql = dense_sql(embedding_provider().dimension)
    # Ordering by the bare distance is what lets the index serve it (1 - distance forces a scan).
    assert "ORDER BY (embedding::vector(384)) <=> %s::vector(384) LIMIT" in sql
    assert "1 -" not in sql and "embedding_dim = 384" in sql
    vector = "[" + ",".join(str(x) for x in embedding_provider().embed_query("roof")) + "]"
    with connection.cursor() as cursor:
        # A handful of rows: left alone, the planner rightly prefers another index and a sort. With
        # sorting disabled, a query the HNSW index cannot serve (ORDER BY 1 - distance) still sorts.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, [embedding_provider().name, [alice_channel.pk], vector, 10])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using channels_chunk_embedding_hnsw_384" in plan
    assert "Order By: ((embedding)::vector(384) <=>" in plan
    assert "Sort" not in plan


def test_the_exact_query_cannot_be_served_by_the_hnsw_index(alice_channel, cabin_videos):
    sql = dense_exact_sql(embedding_provider().dimension)
    assert "ORDER BY embedding <=> %s::vector LIMIT" in sql and "embedding_dim = 384" in sql
    vector = "[" + ",".join(str(x) for x in embedding_provider().embed_query("roof")) + "]"
    with connection.cursor() as cursor:
        # The same settings that push dense_sql onto the index above.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, [embedding_provider().name, [alice_channel.pk], vector, 10])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "hnsw" not in plan
    assert "Sort" in plan  # the planner had to sort, even with sorting disabled


def executed_sql(settings_value: int, settings, channel: Channel) -> list[str]:
    settings.RETRIEVAL_EXACT_SCAN_MAX_CHUNKS = settings_value
    with CaptureQueriesContext(connection) as queries:
        passages = passages_search(query="when did the roof go on?", channel_ids=[channel.pk], mode="dense")
    assert passages[0].video_title == "Cabin build, episode 214"
    return [query["sql"] for query in queries.captured_queries]


def test_a_channel_up_to_the_threshold_is_searched_exactly_and_a_bigger_one_through_the_index(
    alice_channel, cabin_videos, settings
):
    # The channel holds 6 chunks.
    exact = executed_sql(6, settings, alice_channel)
    assert any("ORDER BY embedding <=>" in sql for sql in exact)
    assert not any("hnsw." in sql for sql in exact)

    indexed = executed_sql(5, settings, alice_channel)
    assert any("ORDER BY (embedding::vector(384)) <=>" in sql for sql in indexed)
    assert any("hnsw.ef_search" in sql for sql in indexed)


def test_channels_asked_together_count_together_against_the_threshold(alice_channel, cabin_videos, settings):
    other = ChannelFactory(owner=alice_channel.owner, title="Alice bakes")
    add_chunks(VideoFactory(channel=other, title="Rye"), ["Rye flour makes a dense, sour loaf."])
    settings.RETRIEVAL_EXACT_SCAN_MAX_CHUNKS = 6
    with CaptureQueriesContext(connection) as queries:
        passages = passages_search(query="rye loaf", channel_ids=[alice_channel.pk, other.pk], mode="dense")
    assert passages[0].video_title == "Rye"
    assert any("hnsw.ef_search" in query["sql"] for query in queries.captured_queries)  # 7 > 6


# --- follow-up questions


class FakeLLM:
    """Just what query_for_retrieval uses of an LLMProvider."""

    name = "fake"
    model = "fake-1"

    def __init__(self, answer: str = "", error: bool = False) -> None:
        self.answer, self.error, self.calls = answer, error, []

    def complete(self, messages: list[LLMMessage], *, max_tokens: int, temperature: float = 0.3) -> str:
        self.calls.append(messages)
        if self.error:
            raise LLMError("The AI provider could not be reached.")
        return self.answer


HISTORY = [("What does he think of the XT-4000 tripod?", "He loves it: the carbon legs fold small.")]


def test_a_follow_up_without_an_llm_borrows_the_previous_questions_topic():
    query = query_for_retrieval(question="Why?", history=HISTORY)
    assert query.startswith("Why?")
    assert "xt-4000" in query and "tripod" in query


def test_a_follow_up_pointing_back_borrows_the_topic_too():
    query = query_for_retrieval(question="What did he say after that about the price?", history=HISTORY)
    assert "tripod" in query and "price" in query


def test_a_standalone_question_is_searched_as_asked():
    question = "What camera does he use for the cabin build videos?"
    llm = FakeLLM("something else")
    assert query_for_retrieval(question=question, history=HISTORY, llm=llm) == question
    assert llm.calls == []  # no LLM round trip for a question that needs no context
    assert query_for_retrieval(question="Why?", history=[], llm=llm) == "Why?"


def test_a_follow_up_with_an_llm_uses_its_rewrite():
    llm = FakeLLM('Query: "Why does he like the XT-4000 tripod?"\n')
    query = query_for_retrieval(question="Why?", history=HISTORY, llm=llm)
    assert query == "Why does he like the XT-4000 tripod?"
    prompt = "\n".join(message.content for message in llm.calls[0])
    assert "XT-4000" in prompt and "Why?" in prompt


def test_an_llm_failure_or_empty_answer_falls_back_to_blending():
    blended = query_for_retrieval(question="Why?", history=HISTORY)
    assert query_for_retrieval(question="Why?", history=HISTORY, llm=FakeLLM(error=True)) == blended
    assert query_for_retrieval(question="Why?", history=HISTORY, llm=FakeLLM("  \n")) == blended


# --- cross-encoder reranking


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

    with caplog.at_level("ERROR", logger="chat.services.retrieval"):
        passages = passages_search(query=question, channel_ids=[alice_channel.pk], k=6)

    assert passages == fused
    assert "cannot be loaded" in caplog.text


def test_its_sql_names_tables_through_the_models_meta():
    import inspect

    from django.db import connection

    from channels_app.models import Chunk
    from chat.services import retrieval

    source = inspect.getsource(retrieval)
    assert "channels_app_" not in source  # no table name written by hand
    assert f"FROM {connection.ops.quote_name(Chunk._meta.db_table)} " in retrieval.dense_sql(384)


def test_a_passage_of_adjacent_chunks_carries_each_caption_cue_once():
    from chat.services.retrieval import _Hit, _passage

    shared = [20.0, 24.0, "rest it for ten minutes"]
    first = _Hit(1, 1, 7, 0, 10.0, 24.0, "sear the steak hard rest it for ten minutes", "Steak", "", "", 0.5, 1.0,
                 False, cues=[[10.0, 20.0, "sear the steak hard"], shared])  # fmt: skip
    second = _Hit(2, 1, 7, 1, 20.0, 30.0, "rest it for ten minutes then slice", "Steak", "", "", 0.4, 1.0, False,
                  cues=[shared, [24.0, 30.0, "then slice"]])  # fmt: skip

    passage = _passage([first, second])

    assert [cue[2] for cue in passage.cues] == ["sear the steak hard", "rest it for ten minutes", "then slice"]
    assert " ".join(cue[2] for cue in passage.cues) == passage.text
