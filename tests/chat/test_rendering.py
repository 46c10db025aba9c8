"""The answer block every surface gets (chat.rendering): the page's stream puts its HTML into the
DOM with innerHTML, so hostile answers, video titles and ids must arrive inert."""

from __future__ import annotations

from chat.answers import citations_for
from chat.rendering import answer_block
from tests.chat.test_answers import passage

HOSTILE_TITLE = '"><img src=x onerror=alert(1)><script>alert(2)</script>'


def test_a_hostile_answer_title_and_id_arrive_as_inert_text(db):
    citations = citations_for([
        passage(title=HOSTILE_TITLE),
        passage(title="Plain", video_id=11, youtube_id='abc"><svg onload=alert(3)>'),
    ])  # fmt: skip
    markdown = 'See <img src=x onerror=alert(4)> [link](javascript:alert(5)) and [1] [2] <script>alert(6)</script>'

    html, text = answer_block(markdown=markdown, citations=citations, confidence="high")

    for live in ("<img", "<script", "<svg", "javascript:", 'onerror="', "onload="):
        assert live not in html, live
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the title is shown, as text
    assert 'data-video=""' in html  # an invalid id never reaches the page, escaped or not
    # The plain text is text, not HTML (a bot escapes it for its own markup), but links stay out.
    assert "javascript:" not in text
