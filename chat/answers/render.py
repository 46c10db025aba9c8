"""The sanitised HTML of an answer.

Model output may obey instructions planted in transcripts: ``answer_html`` renders it with raw HTML
off, drops every link and image URL, and lets nh3 keep only a few formatting tags, so nothing the
model writes can load, link or run anything.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt

from chat.answers.citations import (
    _LINK_DESTINATION,
    _MARKER_AT,
    Citation,
    _numbers,
    _youtube_id,
    strip_unknown_citations,
)

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "code", "pre"})

# Any "scheme://..." URL, "www." address, or script/data pseudo-URL, wherever it appears in text:
# the model has no reason to write one, and one planted by a transcript is how data leaves.
_URL = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]{0,30}://|\bwww\.|\b(?:javascript|vbscript|data|file|mailto|blob)\s*:(?=\S))\S*",
    re.I,
)
# A closing bracket or full stop right after a URL is the sentence's, not the URL's.
_URL_TRAILER = ")]}>.,;:!?'\""
URL_REPLACEMENT = "[link removed]"
# Citation buttons are built after nh3, from our own data, where these placeholders stand;
# the characters are private-use and are removed from the input first, so no one can forge them.
_CITE_OPEN, _CITE_CLOSE = "\ue000", "\ue001"
_CITE_PLACEHOLDER = re.compile(_CITE_OPEN + r"(\d+)" + _CITE_CLOSE)


def _redacted(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        url = match.group(0)
        return URL_REPLACEMENT + url[len(url.rstrip(_URL_TRAILER)) :]

    return _URL.sub(replace, text)


def _escaped(text: str) -> str:
    return html.escape(_redacted(text), quote=True)


def _cite_rule(state: Any, silent: bool) -> bool:
    """Inline rule: "[n]" or "[n, m]" becomes cite tokens for the numbers with a citation.
    Runs before the link rule, so "[1](https://...)" is a marker followed by plain text."""
    if state.src[state.pos] != "[":
        return False
    match = _MARKER_AT.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    end = match.end()
    # "[1](https://...)" is the model dressing a marker as a link: keep the marker, drop the URL.
    if destination := _LINK_DESTINATION.match(state.src, end, state.posMax):
        end = destination.end()
    if not silent:
        count = state.env.get("citation_count", 0)
        for number in _numbers(match["numbers"]):
            if 1 <= number <= count:
                token = state.push("cite", "", 0)
                token.meta = {"number": number}
    state.pos = end
    return True


def _render_text(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    return _escaped(tokens[idx].content)


def _render_image(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    # The alt text only; the URL (which may carry data out when fetched) is never rendered.
    return _escaped(self.renderInlineAsText(tokens[idx].children, options, env))


def _render_code_inline(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    return f"<code>{_escaped(tokens[idx].content)}</code>"


def _render_code_block(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    return f"<pre><code>{_escaped(tokens[idx].content)}</code></pre>\n"


def _render_cite(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    return f"{_CITE_OPEN}{tokens[idx].meta['number']}{_CITE_CLOSE}"


def _render_nothing(self: Any, tokens: list, idx: int, options: Any, env: Any) -> str:
    return ""


def _markdown() -> MarkdownIt:
    # CommonMark with raw HTML off (it is shown as text) and no linkify (bare URLs stay text, then
    # are redacted). Links keep their text, images their alt text; neither keeps its URL.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True})
    md.inline.ruler.before("link", "cite", _cite_rule)
    md.add_render_rule("text", _render_text)
    md.add_render_rule("image", _render_image)
    md.add_render_rule("code_inline", _render_code_inline)
    md.add_render_rule("code_block", _render_code_block)
    md.add_render_rule("fence", _render_code_block)
    md.add_render_rule("html_inline", _render_text)
    md.add_render_rule("html_block", _render_text)
    md.add_render_rule("cite", _render_cite)
    for name in ("link_open", "link_close", "hr"):
        md.add_render_rule(name, _render_nothing)
    md.add_render_rule("heading_open", lambda *args: "<p><strong>")
    md.add_render_rule("heading_close", lambda *args: "</strong></p>\n")
    return md


_MD = _markdown()


def _cite_button(citation: Citation) -> str:
    title = f"{citation.video_title} at {citation.timestamp}"
    return (
        f'<button type="button" class="cite" data-cite="{citation.number}" '
        f'data-video="{html.escape(_youtube_id(citation.youtube_id), quote=True)}" data-start="{citation.second}" '
        f'title="{html.escape(title, quote=True)}">[{citation.number}]</button>'
    )


def answer_html(markdown_text: str, *, citations: Sequence[Citation]) -> str:
    """Sanitised HTML for an answer's markdown, with [n] markers as citation buttons.

    Only p, br, strong, em, ul, ol, li, blockquote, code and pre survive, without attributes
    (except ``ol start``). No link, image or URL from the text survives in any form. Markers
    naming no citation are removed. The buttons are read by static/js/chat.js (class "cite",
    data-video, data-start).
    """
    by_number = {citation.number: citation for citation in citations}
    text = (markdown_text or "").replace(_CITE_OPEN, "").replace(_CITE_CLOSE, "")
    text = strip_unknown_citations(text, len(citations))
    rendered = _MD.render(text, {"citation_count": len(citations)})
    clean = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={"ol": {"start"}},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )

    def button(match: re.Match[str]) -> str:
        citation = by_number.get(int(match.group(1)))
        return _cite_button(citation) if citation else ""

    return _CITE_PLACEHOLDER.sub(button, clean).strip()
