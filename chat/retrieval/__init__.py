"""Retrieval: the passages of a creator's videos that answer a fan's question.

A library, not a service: it reads chunks and writes nothing. ``search`` is the hybrid search in
PostgreSQL (dense + BM25, fused, merged into passages), ``follow_ups`` makes a follow-up question
standalone, ``rerank`` the optional cross-encoder, ``numbers`` the spoken forms of numbers.
"""

from chat.retrieval.follow_ups import query_for_retrieval
from chat.retrieval.numbers import keyword_text
from chat.retrieval.search import Passage, dense_exact_sql, dense_sql, passages_search

__all__ = ["Passage", "dense_exact_sql", "dense_sql", "keyword_text", "passages_search", "query_for_retrieval"]
