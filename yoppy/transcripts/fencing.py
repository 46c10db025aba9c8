"""Untrusted text (captions, titles, questions) made safe to put inside a prompt's tags."""

from __future__ import annotations


def fenceable(text: str) -> str:
    """Untrusted text on one line, with angle brackets swapped for look-alikes so it can neither
    close a prompt's fence (``</passage>``, ``</transcript>``) nor fake a new one."""
    return " ".join(str(text).replace("<", "\u2039").replace(">", "\u203a").split())
