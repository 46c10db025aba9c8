"""Find the passages of a creator's videos that answer a fan's question.

Hybrid retrieval in PostgreSQL, in a few statements inside one transaction:

1. **Terms.** PostgreSQL's English parser stems the question and drops its stop words; the
   conversational ones it keeps ("what did he *say* about…") are dropped here. Numbers written as
   digits gain their spoken form ("50" → "fifty"), because captions spell out what was said. Each
   term's document frequency in the asked channels is counted, capped, through the GIN index.
2. **Candidates.** Dense: when the asked channels hold at most ``RETRIEVAL_EXACT_SCAN_MAX_CHUNKS``
   chunks (every channel but the biggest), an exact scan of their rows, so their recall does not
   depend on how big the table around them grows; above it the HNSW index,
   ``ORDER BY (embedding::vector(D)) <=> q LIMIT n`` with the channel filter in the same query and
   iterative index scans on. Keyword: an OR query over the rarest terms (at most ``KEYWORD_POOL`` rows, so
   a question made of common words stays fast at a million chunks), ranked by BM25 computed from
   the tsvector's term frequencies; AND-style matching finds nothing for most natural questions.
3. **Scores.** Both scores are computed for every candidate of either side (cosine similarity and
   BM25), so the fusion compares complete evidence rather than two truncated rank lists.

Chunks are then fused (cosine similarity plus BM25 as a share of the question's total IDF, see
``_fuse``; reciprocal-rank fusion with ``RETRIEVAL_FUSION=rrf``), reordered by a cross-encoder when ``RETRIEVAL_RERANK_MODEL`` names one (``rerank``),
at most ``per_video`` chunks are kept per video, and adjacent chunks of one video become one passage
without their overlap. Follow-up questions are made standalone first by ``query_for_retrieval`` (``follow_ups``).

Measured by ``bench/retrieval.py`` on Spoken-SQuAD, with its figures in the docstring there.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings
from django.db import connection, transaction

from channels_app.models import Channel, Chunk, Video
from chat.retrieval.numbers import keyword_text
from chat.retrieval.rerank import reranked
from yoppy.transcripts import merge_overlapping, overlap_size

# Table names come from the models, so a renamed table (db_table) cannot leave this SQL behind.
# Quoted as identifiers; only these names and integers are ever formatted into the statements.
_CHUNK_TABLE = Chunk._meta.db_table
_CHUNKS = connection.ops.quote_name(_CHUNK_TABLE)
_VIDEOS = connection.ops.quote_name(Video._meta.db_table)
_CHANNELS = connection.ops.quote_name(Channel._meta.db_table)

Mode = Literal["hybrid", "dense", "keyword"]

# Candidates taken from each side before fusion.
DENSE_CANDIDATES = 50
KEYWORD_CANDIDATES = 50
# Rows the keyword side scores, about: the rarest terms fill it first (see _pool_query).
KEYWORD_POOL = 500
# In a big channel, pairs of the next rarest terms, up to this many terms, fill the pool.
PAIR_TERMS = 6
# Document frequencies are counted up to this; commoner terms are estimated from ANALYZE's
# statistics, which is what keeps a question of common words fast at a million chunks.
DF_CAP = 1000
# Anserini's defaults for BM25, which beat Lucene's 1.2 / 0.75 on spoken passages, if barely.
BM25_K1 = 0.9
BM25_B = 0.4
# Fusion: weight of the cosine similarity against the keyword score (see _fuse). Chosen on
# Spoken-SQuAD (bench/retrieval.py): 0.5 to 0.7 are within noise of each other there.
DENSE_WEIGHT = 0.6
# Reciprocal-rank fusion's constant, when RETRIEVAL_FUSION is "rrf" (the usual 60).
RRF_K = 60

# Stems PostgreSQL keeps but that carry no topic in a fan's question ("what did he say about").
_STOP_LEXEMES = sorted(
    ["say", "said", "tell", "told", "talk", "mention", "explain", "discuss", "think", "opinion",
     "feel", "video", "mani", "much", "also", "would", "could", "let", "get", "make", "know",
     "thing", "someth", "anyth", "go", "come", "want", "realli"]
)  # fmt: skip


@dataclass(frozen=True)
class Passage:
    """A passage to cite: one chunk, or adjacent chunks of one video merged."""

    chunk_ids: tuple[int, ...]
    channel_id: int
    video_id: int
    video_title: str
    youtube_id: str
    thumbnail_url: str
    start_s: float
    end_s: float
    text: str
    score: float  # fused score, higher is better (a reranker, when configured, decides the order)
    similarity: float  # best cosine similarity of its chunks to the query (0..1)
    keyword_hit: bool  # one of its chunks was among the keyword side's candidates
    # How much of the question's term weight its best chunk matches: BM25 as a share of what a chunk
    # holding every question term once scores (IDF-weighted, so rare words count most), at most 1.
    # A signal of "the videos answer this" (chat.answers.offline.coverage_for).
    keyword_share: float = 0.0
    # The caption cues the text is made of, as (start_s, end_s, text), so any sentence can be cited
    # to the second it is said; empty for chunks stored before cues were kept (whole-passage timing).
    cues: tuple[tuple[float, float, str], ...] = ()


@dataclass
class _Hit:
    """One candidate chunk with everything the fusion and the passage builder need."""

    id: int
    channel_id: int
    video_id: int
    position: int
    start_s: float
    end_s: float
    text: str
    video_title: str
    youtube_id: str
    thumbnail_url: str
    similarity: float
    bm25: float
    keyword_hit: bool
    cues: list = field(default_factory=list)
    score: float = 0.0
    keyword_share: float = 0.0


@dataclass(frozen=True)
class _Term:
    lexeme: str
    df: int  # chunks of the asked channels containing it (estimated above DF_CAP)
    idf: float


def passages_search(
    *, query: str, channel_ids: Sequence[int], k: int = 6, per_video: int = 3, mode: Mode = "hybrid"
) -> list[Passage]:
    """The ``k`` best passages for ``query`` from the chunks of ``channel_ids``, best first.

    Only chunks of the given channels are ever read: the filter is in every statement. At most
    ``per_video`` chunks come from one video. ``mode`` keeps one side only ("dense" or
    "keyword"), for benchmarks and diagnosis. Runs in its own transaction (a savepoint inside one).
    """
    from yoppy.ai.embeddings import embedding_provider

    channel_ids = sorted({int(pk) for pk in channel_ids})
    if not query.strip() or not channel_ids or k <= 0:
        return []
    provider = embedding_provider()
    vector_text = _vector_text(provider.embed_query(query)) if mode != "keyword" else None
    with transaction.atomic(), connection.cursor() as cursor:
        total = _chunks_total(cursor, channel_ids)
        dense: list[int] = []
        if vector_text is not None:
            dense = _dense_ids(
                cursor, vector_text=vector_text, dim=provider.dimension, model=provider.name,
                channel_ids=channel_ids, limit=DENSE_CANDIDATES,
                exact=total <= settings.RETRIEVAL_EXACT_SCAN_MAX_CHUNKS,
            )  # fmt: skip
        terms: list[_Term] = []
        if mode != "dense":
            terms, total = _terms(cursor, query=query, channel_ids=channel_ids, total=total)
        hits = _scored_hits(
            cursor, dense_ids=dense, terms=terms, total=total, vector_text=vector_text,
            dim=provider.dimension, model=provider.name, channel_ids=channel_ids,
        )  # fmt: skip
    _fuse(hits, idf_total=sum(term.idf for term in terms), mode=mode, fusion=settings.RETRIEVAL_FUSION)
    return _passages(reranked(query, hits), k=k, per_video=per_video)


# --------------------------------------------------------------------------------------------
# SQL


def dense_sql(dim: int) -> str:
    """The vector search, written so the partial HNSW index serves it.

    The index is ``(embedding::vector(D)) vector_cosine_ops WHERE embedding_dim = D``, so the
    dimension is a literal in the text (a parameter cannot prove the partial index's predicate) and
    the ORDER BY is the bare distance (ordering by ``1 - distance`` forces a full scan). The channel
    filter sits in the same query; ``hnsw.iterative_scan`` keeps a selective one from starving it.
    Parameters: model name, channel ids, query vector as text, limit.
    """
    dim = int(dim)
    # Only the integer dimension is formatted in.
    return (
        f"SELECT id FROM {_CHUNKS} "  # noqa: S608  # nosec B608  # only the dimension and the model's own table name are formatted in
        f"WHERE embedding_dim = {dim} AND embedding_model = %s AND channel_id = ANY(%s) "
        f"ORDER BY (embedding::vector({dim})) <=> %s::vector({dim}) LIMIT %s"
    )


def dense_exact_sql(dim: int) -> str:
    """The same search as ``dense_sql`` by an exact scan of the asked channels' chunks.

    The ORDER BY leaves out the ``::vector(D)`` cast the HNSW index is built on, so the index
    cannot serve it: the planner reads the channels' rows through the (channel, video) index and
    keeps the nearest in a top-N sort. Same parameters as ``dense_sql``.
    """
    dim = int(dim)
    # Only the integer dimension is formatted in.
    return (
        f"SELECT id FROM {_CHUNKS} "  # noqa: S608  # nosec B608  # only the dimension and the model's own table name are formatted in
        f"WHERE embedding_dim = {dim} AND embedding_model = %s AND channel_id = ANY(%s) "
        f"ORDER BY embedding <=> %s::vector LIMIT %s"
    )


def _chunks_total(cursor, channel_ids: list[int]) -> int:
    """Chunks of the asked channels: their denormalised count (channel_refresh_progress), which
    may lag behind an ingestion in progress."""
    cursor.execute(
        f"SELECT coalesce(sum(chunks_count), 0) FROM {_CHANNELS} WHERE id = ANY(%s)", [channel_ids]  # noqa: S608  # nosec B608  # the model's own quoted table name only; values are bound
    )
    return int(cursor.fetchone()[0])


def _dense_ids(
    cursor, *, vector_text: str, dim: int, model: str, channel_ids: list[int], limit: int, exact: bool
) -> list[int]:
    """Ids of the nearest chunks (in relaxed order: the exact distances are computed later).

    ``exact``: scan the asked channels' chunks instead of the index. HNSW is approximate (in one
    channel of a million chunks bench/retrieval.py finds 0.645 of the exact 0.720 dense R@5
    through it), and a channel whose rows went in before fifty times more of others' did lost most
    of its dense hits through it (0.25 against 0.70 at 100k). A channel's own rows scanned exactly
    lose nothing whatever the table around them, at a cost measured in docs/BENCHMARKS.md; the
    index takes over above RETRIEVAL_EXACT_SCAN_MAX_CHUNKS, where a scan would cost the fan more.

    ef_search is RETRIEVAL_HNSW_EF_SEARCH: 100, pgvector's usual advice, lost a tenth of the dense
    recall on a channel whose chunks are a small part of a big table (bench/retrieval.py at 100 k
    filler rows: R@5 0.625 at 100, 0.665 at 200, 0.703 exact), for ~1 ms less.
    """
    if exact:
        cursor.execute(dense_exact_sql(dim), [model, channel_ids, vector_text, limit])
        return [row[0] for row in cursor.fetchall()]
    # set_config(…, true) is SET LOCAL: it ends with this transaction, so the connection's next user
    # never inherits it. relaxed_order lets a filtered scan go on past the first ef_search
    # candidates until `limit` rows of the asked channels are found, or max_scan_tuples were visited.
    cursor.execute(
        "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'relaxed_order', true), "
        "set_config('hnsw.max_scan_tuples', %s, true)",
        [str(max(settings.RETRIEVAL_HNSW_EF_SEARCH, limit)), str(settings.RETRIEVAL_HNSW_MAX_SCAN_TUPLES)],
    )
    cursor.execute(dense_sql(dim), [model, channel_ids, vector_text, limit])
    return [row[0] for row in cursor.fetchall()]


def _terms(cursor, *, query: str, channel_ids: list[int], total: int) -> tuple[list[_Term], int]:
    """The question's search terms with their document frequency in the asked channels, rarest
    first, and the number of chunks in those channels (``total``, their denormalised count, raised
    to at least any count made here: it may lag during an ingestion).

    Counting a term's chunks costs a heap visit per chunk, ~40 ms per common term at a million
    chunks, so only rare terms are counted (up to DF_CAP). Common ones are estimated from ANALYZE's
    statistics of the column: the share of sampled rows holding each of the 1,000 commonest lexemes.
    A term counted past DF_CAP that the statistics do not list lies between the two.
    """
    cursor.execute(
        """
        WITH terms AS (
            SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %(text)s)) WHERE lexeme <> ALL(%(stop)s)
        ), common AS (
            SELECT e.lexeme, e.freq
            FROM pg_stats s,
                 unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS e(lexeme, freq)
            WHERE s.schemaname = current_schema() AND s.tablename = %(table)s
              AND s.attname = 'search_vector'
        )
        SELECT t.lexeme, c.freq, (SELECT min(freq) FROM common WHERE lexeme IS NOT NULL)
        FROM terms t LEFT JOIN common c ON c.lexeme = t.lexeme
        """,
        {"text": keyword_text(query), "stop": _STOP_LEXEMES, "table": _CHUNK_TABLE},
    )
    rows = cursor.fetchall()
    if not rows:
        return [], total
    floor = rows[0][2]
    dfs = {lexeme: round(freq * total) for lexeme, freq, _ in rows if freq and freq * total >= DF_CAP}
    to_count = [lexeme for lexeme, *_ in rows if lexeme not in dfs]
    if to_count:
        cursor.execute(
            f"""
            SELECT t.lexeme, (
                SELECT count(*) FROM (
                    SELECT 1 FROM {_CHUNKS} c
                    WHERE c.channel_id = ANY(%(channels)s) AND c.search_vector @@ quote_literal(t.lexeme)::tsquery
                    LIMIT %(cap)s
                ) capped)
            FROM unnest(%(lexemes)s::text[]) AS t(lexeme)
            """,  # noqa: S608  # nosec B608  # the model's own quoted table name only; values are bound
            {"lexemes": to_count, "channels": channel_ids, "cap": DF_CAP},
        )
        between = math.sqrt(DF_CAP * max(DF_CAP, (floor or 0) * total))  # geometric middle: IDF is a log
        for lexeme, counted in cursor.fetchall():
            dfs[lexeme] = counted if counted < DF_CAP else round(between)
    total = max(total, *dfs.values())
    # Terms found nowhere stay: they match nothing, but their IDF counts in what a full match would
    # score (see _fuse), so a chunk matching only the question's one common word does not look perfect.
    terms = [_Term(lexeme, df, math.log(1 + (total - df + 0.5) / (df + 0.5))) for lexeme, df in dfs.items()]
    return sorted(terms, key=lambda term: (term.df, term.lexeme)), total


def _pool_query(terms: list[_Term], *, total: int) -> str:
    """tsquery text for the keyword pool: the chunks BM25 will score, about KEYWORD_POOL of them.

    The rarest terms come in alone while their chunks fit the budget. A chunk matching only
    commoner terms would score low anyway, and leaving them out is what bounds the cost. When even
    the rarest terms are too common (a big channel), chunks holding two of the rarer terms come in,
    for each pair expected (as if independent) to fit: the GIN index intersects the pairs before
    any row is read, and the chunk a question is about usually holds several of its words. Every
    term still counts in the BM25 score.
    """
    present = [term for term in terms if term.df > 0]  # rarest first
    alone: list[_Term] = []
    budget = KEYWORD_POOL
    for term in present:
        if term.df > budget:
            break
        alone.append(term)
        budget -= term.df
    rest = present[len(alone) : len(alone) + PAIR_TERMS]
    pairs = [
        (a, b) for a, b in itertools.combinations(rest, 2) if a.df * b.df / total <= KEYWORD_POOL / PAIR_TERMS
    ]
    if not alone and not pairs and present:
        alone = present[:1]  # only common terms: an arbitrary sample of the rarest one's chunks
    parts = [_quoted(term) for term in alone] + [f"({_quoted(a)} & {_quoted(b)})" for a, b in pairs]
    return " | ".join(parts)


def _quoted(term: _Term) -> str:
    """The lexeme as a tsquery operand, quoted so no character in it is read as an operator."""
    return "'" + term.lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _bm25_sql(alias: str) -> str:
    """BM25 of one chunk row for the query terms (CTE ``terms``; ``stats.avgdl``); a document's
    length is its number of distinct lexemes. Only the query's lexemes are unnested: setweight
    marks them and ts_filter keeps them, in C, which halves the cost of scoring a row."""
    vector = f"{alias}.search_vector"
    tf = "cardinality(u.positions)"
    norm = f"{BM25_K1} * (1 - {BM25_B} + {BM25_B} * length({vector}) / stats.avgdl)"
    # Only module constants and a table alias are formatted in.
    return (
        f"(SELECT coalesce(sum(t.idf * {tf} * {BM25_K1 + 1} / ({tf} + {norm})), 0) "  # noqa: S608  # nosec B608  # module constants and a table alias only
        f"FROM unnest(ts_filter(setweight({vector}, 'A', %(lexemes)s::text[]), '{{a}}')) u "
        f"JOIN terms t ON t.lexeme = u.lexeme)"
    )


def _scored_hits(
    cursor,
    *,
    dense_ids: list[int],
    terms: list[_Term],
    total: int,
    vector_text: str | None,
    dim: int,
    model: str,
    channel_ids: list[int],
) -> list[_Hit]:
    """Every candidate of either side, with both its scores and what a passage shows.

    The keyword side's best KEYWORD_CANDIDATES by BM25 join the dense ids; each of them then gets
    its exact cosine similarity and BM25 score, whichever side found it.
    """
    dim = int(dim)
    similarity = "NULL::float8"
    if vector_text is not None:
        similarity = (
            f"CASE WHEN c.embedding_dim = {dim} AND c.embedding_model = %(model)s "
            f"THEN 1 - ((c.embedding::vector({dim})) <=> %(vector)s::vector({dim})) END"
        )
    pool_query = _pool_query(terms, total=total)
    pool_filter = "search_vector @@ %(tsquery)s::tsquery" if pool_query else "false"
    # Only integers, module constants and fixed fragments are formatted in.
    cursor.execute(
        f"""
        WITH terms AS (SELECT * FROM unnest(%(lexemes)s::text[], %(idfs)s::float8[]) AS t(lexeme, idf)),
        pool AS MATERIALIZED (
            SELECT id, search_vector FROM {_CHUNKS}
            WHERE channel_id = ANY(%(channels)s) AND {pool_filter}
            LIMIT %(pool)s
        ),
        stats AS (SELECT coalesce(greatest(avg(length(search_vector)), 1), 1)::float8 AS avgdl FROM pool),
        keyword AS (
            SELECT p.id, {_bm25_sql("p")} AS bm25 FROM pool p, stats
            ORDER BY bm25 DESC, p.id LIMIT %(keyword_limit)s
        ),
        candidates AS (SELECT id FROM keyword UNION SELECT unnest(%(dense)s::bigint[]))
        SELECT c.id, c.channel_id, c.video_id, c.position, c.start_s, c.end_s, c.text,
               v.title, v.youtube_id, v.thumbnail_url, {similarity},
               coalesce(k.bm25, {_bm25_sql("c")}), k.id IS NOT NULL, c.cues
        FROM candidates JOIN {_CHUNKS} c USING (id)
             JOIN {_VIDEOS} v ON v.id = c.video_id
             LEFT JOIN keyword k ON k.id = c.id
             CROSS JOIN stats
        WHERE c.channel_id = ANY(%(channels)s)
        """,  # noqa: S608  # nosec B608  # integers, module constants and fixed fragments only; values are bound
        {
            "lexemes": [t.lexeme for t in terms],
            "idfs": [t.idf for t in terms],
            "channels": channel_ids,
            "tsquery": pool_query,
            "pool": 2 * KEYWORD_POOL,  # room for the pairs beside the terms that came in alone
            "keyword_limit": KEYWORD_CANDIDATES,
            "dense": dense_ids,
            "model": model,
            "vector": vector_text,
        },
    )
    return [
        _Hit(
            *row[:10], similarity=max(0.0, row[10] or 0.0), bm25=row[11], keyword_hit=row[12], cues=_cues(row[13])
        )
        for row in cursor.fetchall()
    ]


def _cues(value) -> list:
    """The cues column as a list: raw SQL hands JSON back as text (Django's JSON loader)."""
    if isinstance(value, str):
        value = json.loads(value)
    return [cue for cue in value or [] if isinstance(cue, list | tuple) and len(cue) == 3]


def _vector_text(vector: Sequence[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


# --------------------------------------------------------------------------------------------
# Fusion


def _fuse(hits: list[_Hit], *, idf_total: float, mode: Mode, fusion: str = "score") -> None:
    """Set each hit's fused score and its keyword share, and sort the hits best first.

    The keyword share (BM25 over ``idf_total``, capped at 1) is kept whatever the fusion: the answer
    core reads it as evidence that the videos answer the question.

    Both scores are known for every candidate, so by default (``fusion="score"``) they are combined
    as scores, not ranks: the cosine similarity as it is, and BM25 as a share of ``idf_total``, what
    a chunk holding every term of the question once would score. Both scales are absolute, so a
    chunk matching only the question's one common word does not count as a perfect keyword hit just
    because nothing better matched. ``fusion="rrf"`` is reciprocal-rank fusion (k = 60) of the same
    candidates ranked by each score: on Spoken-SQuAD R@5 0.870 and MRR 0.736 against 0.896 and
    0.792 (docs/BENCHMARKS.md).
    """
    for hit in hits:
        hit.keyword_share = min(1.0, hit.bm25 / idf_total) if idf_total > 0 else 0.0
    if mode == "hybrid" and fusion == "rrf":
        for hit in hits:
            hit.score = 0.0
        by_similarity = sorted(hits, key=lambda hit: (-hit.similarity, hit.id))
        by_bm25 = sorted((hit for hit in hits if hit.bm25 > 0), key=lambda hit: (-hit.bm25, hit.id))
        for ranking in (by_similarity, by_bm25):
            for rank, hit in enumerate(ranking, start=1):
                hit.score += 1 / (RRF_K + rank)
        hits.sort(key=lambda hit: (-hit.score, -hit.similarity, hit.id))
        return
    for hit in hits:
        keyword = hit.bm25 / idf_total if idf_total > 0 else 0.0
        if mode == "dense":
            hit.score = hit.similarity
        elif mode == "keyword":
            hit.score = keyword if hit.keyword_hit else 0.0
        else:
            hit.score = DENSE_WEIGHT * hit.similarity + (1 - DENSE_WEIGHT) * keyword
    hits.sort(key=lambda hit: (-hit.score, -hit.similarity, hit.id))


# --------------------------------------------------------------------------------------------
# Passages


def _passages(hits: list[_Hit], *, k: int, per_video: int) -> list[Passage]:
    """The best ``k`` passages from hits sorted best first: at most ``per_video`` chunks per video;
    chunks of one video at adjacent positions are merged (score and similarity of the best), and a
    passage ranks where its best chunk did (the order may be the reranker's, not the scores')."""
    rank = {hit.id: index for index, hit in enumerate(hits)}
    kept: dict[int, list[_Hit]] = {}  # video id -> its kept chunks
    passages = 0
    for hit in hits:
        if passages >= k:
            break
        same_video = kept.setdefault(hit.video_id, [])
        if len(same_video) >= per_video:
            continue
        same_video.append(hit)
        # A new chunk starts a passage, extends one, or bridges two into one.
        passages += 1 - sum(1 for other in same_video if abs(other.position - hit.position) == 1)
    result = []
    for same_video in kept.values():
        same_video.sort(key=lambda hit: hit.position)
        run: list[_Hit] = []
        for hit in same_video:
            if run and hit.position != run[-1].position + 1:
                result.append(_passage(run))
                run = []
            run.append(hit)
        if run:
            result.append(_passage(run))
    result.sort(key=lambda passage: min(rank[chunk_id] for chunk_id in passage.chunk_ids))
    return result[:k]


def _passage(run: list[_Hit]) -> Passage:
    first = run[0]
    text = first.text
    for hit in run[1:]:
        text = merge_overlapping(text, hit.text)
    return Passage(
        chunk_ids=tuple(hit.id for hit in run),
        channel_id=first.channel_id,
        video_id=first.video_id,
        video_title=first.video_title,
        youtube_id=first.youtube_id,
        thumbnail_url=first.thumbnail_url,
        start_s=first.start_s,
        end_s=run[-1].end_s,
        text=text,
        score=max(hit.score for hit in run),
        similarity=max(hit.similarity for hit in run),
        keyword_hit=any(hit.keyword_hit for hit in run),
        keyword_share=max(hit.keyword_share for hit in run),
        cues=_merged_cues(run),
    )


def _merged_cues(run: list[_Hit]) -> tuple[tuple[float, float, str], ...]:
    """The cues of adjacent chunks once each: a chunk starts with whole cues repeated from the end
    of the one before it (see chunk_segments), dropped here as ``merge_overlapping`` drops words."""
    cues: list[tuple[float, float, str]] = []
    for hit in run:
        following = [(float(start), float(end), str(text)) for start, end, text in hit.cues]
        cues.extend(following[overlap_size(cues, following, max_size=len(following)) :])
    return tuple(cues)
