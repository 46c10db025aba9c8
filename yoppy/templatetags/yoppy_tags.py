"""Template helpers shared by every page."""

from __future__ import annotations

import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# Inside <script> the HTML parser ends the element at the first "</script", whatever JSON says, so
# a channel name holding "</script><script>..." would run. Escaping <, > and & as JSON \u escapes
# keeps the data identical for a JSON reader and inert for the HTML parser (Django's json_script
# does the same, but only for type="application/json").
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_for_script(value: object) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder).translate(_SCRIPT_ESCAPES)


@register.simple_tag
def json_ld(value: object) -> SafeString:
    """A schema.org JSON-LD block for search engines, safe for any text inside ``value``.

    A data block is never executed, so the Content-Security-Policy needs no nonce for it."""
    body = mark_safe(json_for_script(value))  # noqa: S308  # nosec B308 B703  # escaped above: no "<" reaches the HTML parser
    return format_html('<script type="application/ld+json">{}</script>', body)
