"""Object ids read from query strings and form fields.

URL path ids go through the ``<int:...>`` converter, which 404s anything else; ids that arrive as
parameters (``?conversation=12``, a hidden form field) come through here, so a malformed one is
the same 404 as a missing object instead of a ``ValueError`` and a 500.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import Http404

# PostgreSQL's bigint: a larger number would raise DataError inside the query, another 500.
_MAX_ID = 2**63 - 1


def id_parse(value: object) -> int | None:
    """``value`` as a positive database id, or None when it is not one."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    # isdecimal, not isdigit: int() refuses superscripts that isdigit accepts ("²").
    if not value.isascii() or not value.isdecimal():
        return None
    number = int(value)
    return number if 0 < number <= _MAX_ID else None


def id_from(params: Mapping[str, str], name: str) -> int:
    """The id in ``params[name]``; Http404 when it is missing or not an id."""
    number = id_parse(params.get(name))
    if number is None:
        raise Http404(f"No such {name}.")
    return number
