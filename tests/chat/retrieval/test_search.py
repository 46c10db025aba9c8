"""Hybrid retrieval on the real database with the real local embedding model."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels_app.models import Channel, Chunk, Video
from chat.retrieval import dense_exact_sql, dense_sql, passages_search
from chat.retrieval.search import _fuse, _Hit
from tests.channels_app.factories import ChannelFactory, VideoFactory
from tests.chat.retrieval.corpus import CABIN, add_chunks
from yoppy.ai.embeddings import embedding_provider


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


def test_each_hit_keeps_the_share_of_the_question_term_weight_it_matches_whatever_the_fusion():
    for fusion in ("score", "rrf"):
        hits = [hit(1, similarity=0.5, bm25=4.0), hit(2, similarity=0.5, bm25=0), hit(3, similarity=0.5, bm25=25.0)]
        _fuse(hits, idf_total=10, mode="hybrid", fusion=fusion)
        shares = {h.id: h.keyword_share for h in hits}
        assert shares == {1: pytest.approx(0.4), 2: 0.0, 3: 1.0}  # capped: repeats do not count past all terms


def test_a_passage_holding_the_questions_rare_words_has_a_higher_keyword_share(alice_channel, cabin_videos):
    passages = passages_search(query="episode 412 wood stove", channel_ids=[alice_channel.pk], k=6)
    best = passages[0]
    assert best.video_title == "Cabin build, episode 412"
    # Below 1: "412" also asks for its spoken form ("four hundred twelve"), which this chunk lacks.
    assert 0.3 < best.keyword_share <= 1
    assert all(p.keyword_share < best.keyword_share / 2 for p in passages[1:])
    assert all(p.keyword_share == 0 for p in passages if p.video_title in {"Karting", "Low light"})


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


def test_its_sql_names_tables_through_the_models_meta():
    import inspect

    from django.db import connection

    from channels_app.models import Chunk
    from chat.retrieval import search as retrieval

    source = inspect.getsource(retrieval)
    assert "channels_app_" not in source  # no table name written by hand
    assert f"FROM {connection.ops.quote_name(Chunk._meta.db_table)} " in retrieval.dense_sql(384)


def test_a_passage_of_adjacent_chunks_carries_each_caption_cue_once():
    from chat.retrieval.search import _passage

    shared = [20.0, 24.0, "rest it for ten minutes"]
    first = _Hit(1, 1, 7, 0, 10.0, 24.0, "sear the steak hard rest it for ten minutes", "Steak", "", "", 0.5, 1.0,
                 False, cues=[[10.0, 20.0, "sear the steak hard"], shared])  # fmt: skip
    second = _Hit(2, 1, 7, 1, 20.0, 30.0, "rest it for ten minutes then slice", "Steak", "", "", 0.4, 1.0, False,
                  cues=[shared, [24.0, 30.0, "then slice"]])  # fmt: skip

    passage = _passage([first, second])

    assert [cue[2] for cue in passage.cues] == ["sear the steak hard", "rest it for ten minutes", "then slice"]
    assert " ".join(cue[2] for cue in passage.cues) == passage.text
