"""JSON from outside (uploaded files, webhook bodies) with a bound on nesting.

``json.loads`` recurses once per level: a few thousand "[" raise RecursionError, which no caller
expects (a 500), and a document just under Python's limit parses but then breaks whatever walks or
re-serialises it deeper in the stack (saving it to a JSONField, an error report). No real caption
file or webhook body is nested more than a handful of levels, so anything deeper than
``max_depth`` is refused as a ValueError, the error every caller already handles.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class JSONTooDeep(ValueError):
    pass


def _deeper_than(value: Any, limit: int) -> bool:
    # Iterative on purpose: the point is never to recurse on attacker-shaped data.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads(text)``; ValueError (JSONTooDeep) when it is nested deeper than ``max_depth``."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels") from None
    if isinstance(value, dict | list) and _deeper_than(value, max_depth):
        raise JSONTooDeep(f"JSON nested deeper than {max_depth} levels")
    return value
