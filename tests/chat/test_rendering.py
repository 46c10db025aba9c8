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


def test_a_refusal_shows_related_moments_under_their_own_heading_and_no_sources():
    from chat.answers import Citation

    related = [Citation(number=1, video_id=3, video_title="Brioche day", youtube_id="abcdefghijk",
                        start_s=62.0, end_s=70.0, thumbnail_url="")]  # fmt: skip

    html, text = answer_block(
        markdown="I don't think I've covered that.", citations=[], confidence="not_covered", related=related
    )

    assert '<ol class="citations"></ol>' in html  # nothing is listed as a source
    heading = html.index("Related moments")
    assert html.index('data-video="abcdefghijk" data-start="62"') > heading
    assert "Brioche day" not in text  # the plain answer is the refusal alone


def test_an_answer_without_related_moments_has_no_related_heading():
    html, _ = answer_block(markdown="Rest it.", citations=[], confidence="high")

    assert "Related moments" not in html
