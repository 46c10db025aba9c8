"""Answers as Telegram HTML: escaped, citations linked to the second, split under 4,096 at
sentence boundaries. Every message is checked with the Bot API server's own HTML parser."""

from __future__ import annotations

from bots.telegram import formatting
from chat.answers import Citation
from tests.bots.telegram.bot_api_server import visible_text

HOSTILE_TITLE = 'Rye & <b>spelt</b> "tips" <script>'


def citation(number: int, *, second: float, title: str = "Sourdough starter", youtube_id: str = "abcdefghijk"):
    return Citation(number=number, video_id=number, video_title=title, youtube_id=youtube_id,
                    start_s=second, end_s=second + 5)  # fmt: skip


def parsed(message: str) -> str:
    text, error = visible_text(message)
    assert not error, (error, message)
    return text


def test_it_links_each_marker_and_citation_to_the_moment_and_escapes_everything_else():
    messages = formatting.answer_messages(
        text="Use 50 g of flour & water <equal parts> [1]. Feed it daily [1, 2].",
        citations=[citation(1, second=123.7), citation(2, second=5, title=HOSTILE_TITLE)],
        confidence_label="High confidence: the videos answer this directly",
        persona_name="Mira <Bakes>",
    )
    assert len(messages) == 1
    message = messages[0]
    assert '<a href="https://www.youtube.com/watch?v=abcdefghijk&amp;t=123s">[1]</a>' in message
    text = parsed(message)
    assert "flour & water <equal parts> [1]." in text and "Feed it daily [1, 2]." in text
    assert "[1] Sourdough starter · 2:03" in text and f"[2] {HOSTILE_TITLE} · 0:05" in text
    assert "High confidence" in text and "AI persona of Mira <Bakes>" in text


def test_a_citation_without_a_valid_video_id_is_text_not_a_link():
    message = formatting.answer_messages(
        text="Quoted [1].", citations=[citation(1, second=3, youtube_id='x" onclick="y')],
        confidence_label="", persona_name="Mira",
    )[0]
    assert "href" not in message and "[1] Sourdough starter · 0:03" in parsed(message)


def test_a_long_answer_is_split_at_sentence_boundaries_under_the_limit():
    sentence = "Feed the starter every day with equal weights of flour and water. "
    text = sentence * 150  # about 9,900 characters
    messages = formatting.answer_messages(
        text=text, citations=[citation(1, second=10)], confidence_label="Medium", persona_name="Mira",
    )
    texts = [parsed(m) for m in messages]
    assert len(texts) == 3 and all(len(t) <= 4096 for t in texts)
    assert all(t.rstrip().endswith(".") or "AI persona" in t for t in texts)
    assert " ".join(t.split("[1] Sourdough")[0].strip() for t in texts).split() == text.split()
    assert "AI persona of Mira" in texts[-1] and "AI persona" not in texts[0]


def test_the_limit_counts_utf16_units_and_never_cuts_an_emoji_in_half():
    text = "🍞" * 3000  # 6,000 UTF-16 units, no sentence or word boundary
    pieces = formatting.split_text(text)
    assert [formatting.visible_length(p) for p in pieces] == [4096, 6000 - 4096]
    assert "".join(pieces) == text


def test_a_sentence_longer_than_a_message_is_cut_between_words_keeping_markers_whole():
    words = ("knead " * 800).strip() + " [1, 2] done."
    pieces = formatting.split_text(words, limit=1000)
    assert all(len(p) <= 1000 for p in pieces) and "".join(pieces).count("[1, 2]") == 1
    assert all(not p.endswith("kne") for p in pieces)


def test_the_footer_gets_its_own_message_when_it_does_not_fit_after_the_text():
    text = ("x" * 99 + ". ") * 40  # 4,040 characters, fits alone
    messages = formatting.answer_messages(
        text=text.strip(), citations=[citation(1, second=1)], confidence_label="Low", persona_name="Mira"
    )
    assert len(messages) == 2 and "AI persona" in parsed(messages[1]) and "AI persona" not in parsed(messages[0])


def test_a_draft_shows_the_escaped_answer_so_far_within_the_limit():
    assert formatting.draft_text("2 < 3 & so on") == "2 &lt; 3 &amp; so on"
    long = formatting.draft_text("Stir well. " * 500)
    assert len(parsed(long)) <= 4096 and parsed(long).endswith("…")
