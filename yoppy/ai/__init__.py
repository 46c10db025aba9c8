"""Shared AI provider code (embeddings, LLMs), one small class per provider with the same shape."""
