"""What an answer must never carry, and questions that are about the persona itself.

- ``is_injection``: caption lines that speak to an AI or give it orders ("ignore previous
  instructions", "reveal your prompt"), ask for passwords or keys, or claim the persona is the real
  creator. Anyone can put such a line in a video; quoted "as the creator's words" it would make the
  persona lie or phish. They are never quoted, and model output carrying one is cut.
- ``is_self_question``: "are you the real X?", "are you an AI?" get the product's honest answer,
  never a search of the transcripts (where a planted line could answer for us).
- ``SafeStream``: a filter over streamed text pieces that holds back a partial word until it is
  known not to be a URL, a domain, a markdown link or an image, so none of them reaches a surface
  even for a moment (bots relay the raw pieces). The final HTML is sanitised separately (render).

Pure functions.
"""

from __future__ import annotations

import re

# --- planted instructions ----------------------------------------------------------------

_INJECTION = re.compile(
    r"\b(?:"
    r"ignore\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+)*(?:previous|prior|above|earlier|former|system)?\s*"
    r"(?:instructions?|prompts?|rules|directions)"
    r"|disregard\s+(?:all\s+|any\s+|the\s+|your\s+)*(?:previous|prior|above|earlier)?\s*(?:instructions?|prompts?|rules)"
    r"|forget\s+(?:all\s+|your\s+|the\s+)*(?:previous\s+|prior\s+)?(?:instructions?|rules|prompts?)"
    r"|(?:reveal|show|print|repeat|output|tell\s+me)\s+(?:me\s+)?(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)"
    r"|system\s+prompt|developer\s+mode|jailbreak"
    r"|(?:you\s+are|you're)\s+(?:now\s+)?(?:an?\s+|the\s+)?(?:ai|a\.i\.|assistant|chat\s*bot|language\s+model|llm|gpt)\b"
    r"|(?:as\s+an?\s+)(?:ai|language\s+model|assistant)\b"
    r"|(?:you\s+are|you're|i\s+am|i'm)\s+(?:really\s+|actually\s+)?the\s+real\s+\w+"
    r"|not\s+an?\s+(?:ai|bot|a\.i\.)\b"
    r"|(?:password|passcode|api\s*key|secret\s+key|private\s+key|seed\s+phrase|credit\s+card\s+number|one[-\s]time\s+code|otp)s?\b"
    r")",
    re.I,
)


def is_injection(text: str) -> bool:
    """Whether ``text`` addresses an AI, gives it instructions, asks for secrets or claims the
    persona is the real person: never to be quoted or paraphrased as the creator's words."""
    return bool(_INJECTION.search(" ".join(str(text).split())))


# --- questions about the persona ---------------------------------------------------------

_SELF = re.compile(
    r"\b(?:"
    r"are\s+(?:you|u)\s+(?:really\s+|actually\s+|truly\s+)?(?:the\s+real|real|an?\s+(?:ai|bot|robot|human|person|real\s+person|chat\s*bot|machine)|human|a\.i\.|ai|bot|alive|a\s+person)"
    r"|(?:is\s+this|am\s+i\s+(?:talking|chatting|speaking)\s+(?:to|with))\s+(?:really\s+|actually\s+)?(?:the\s+real|a\s+real|an?\s+(?:ai|bot|human|person|machine)|a\s+human|a\s+person)"
    r"|who\s+(?:are\s+you|am\s+i\s+(?:talking|chatting|speaking)\s+(?:to|with))"
    r"|what\s+are\s+you\b"
    r")",
    re.I,
)


def is_self_question(question: str, *, creator_name: str = "") -> bool:
    """Whether ``question`` asks who or what the persona is ("are you the real X?", "are you an
    AI?", "is this really X?")."""
    text = " ".join(str(question).split())
    if _SELF.search(text):
        return True
    name = " ".join(str(creator_name).split())
    if name:
        named = re.escape(name)
        if re.search(rf"\b(?:are\s+you|is\s+this)\s+(?:really\s+|actually\s+)?{named}\b", text, re.I):
            return True
    return False


def self_answer(*, creator_name: str) -> str:
    """The honest product answer to a question about the persona itself (markdown, no citations)."""
    name = _plain_name(creator_name)
    return (
        f"I'm an AI persona of {name}, built from {name}'s videos: not {name} in person, and not a "
        f"human. I answer from what {name} says in the videos and point you to the moments I quote, "
        f"so you can hear it from {name} directly."
    )


def _plain_name(creator_name: str) -> str:
    name = " ".join(str(creator_name).split())[:100]
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", name) or "the creator"


# --- the streaming filter ----------------------------------------------------------------

LINK_REPLACEMENT = "[link removed]"
# Common top-level domains; "word.word" with any other ending stays text (e.g. "e.g.", "v2.0").
_TLDS = (
    "com|net|org|io|co|ai|app|dev|xyz|info|biz|me|tv|ly|gg|us|uk|de|fr|ru|cn|in|jp|br|au|ca|es|it|nl|"
    "pl|se|ch|eu|edu|gov|mil|int|site|online|store|shop|link|click|top|live|news|blog|tech|cloud|page|"
    "sh|to|cc|ws|su|is|so|fm|am|gl|gd|ms|tk|ml|ga|cf|onion|zip|mov"
)
_UNSAFE_WORD = re.compile(
    r"(?:[a-z][a-z0-9+.-]{0,30}://|www\.|\b(?:javascript|vbscript|data|file|mailto|blob):"
    r"|\]\(|!\[|<\s*(?:img|a|iframe|script)\b"
    rf"|\b[a-z0-9](?:[a-z0-9-]{{0,61}}[a-z0-9])?(?:\.[a-z0-9-]{{1,63}})*\.(?:{_TLDS})\b(?![-\w]))",
    re.I,
)
# A held-back word this long is not a word: it is treated as unsafe rather than held for ever.
_HOLD_LIMIT = 200


def unsafe_piece(text: str) -> bool:
    """Whether ``text`` holds a URL, a domain, a markdown link or image, or an HTML image/link tag."""
    return bool(_UNSAFE_WORD.search(text))


class SafeStream:
    """Feed streamed pieces in, send what comes out: text without URLs, domains, markdown links or
    images, ever. Complete words are checked as soon as the whitespace after them arrives; the
    partial word at the end of a piece is held back until then (or until ``flush``). An unsafe
    word becomes ``LINK_REPLACEMENT``; a markdown link ``[text](url)`` keeps its text.
    """

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        cut = max(text.rfind(" "), text.rfind("\n"), text.rfind("\t"))
        if cut < 0:
            if len(text) > _HOLD_LIMIT:
                self._held = ""
                return LINK_REPLACEMENT
            self._held = text
            return ""
        self._held = text[cut + 1 :]
        return _cleaned(text[: cut + 1])

    def flush(self) -> str:
        text, self._held = self._held, ""
        return _cleaned(text)


_TOKEN = re.compile(r"\S+|\s+")


def _cleaned(text: str) -> str:
    out = []
    for token in _TOKEN.findall(text):
        if token.isspace() or not unsafe_piece(token):
            out.append(token)
            continue
        # "[the docs](https://x)" keeps "the docs" (a label cut by a space keeps its last word
        # here; the words before it already went out as text); anything else is replaced whole.
        label = token[: token.find("](")].lstrip("![") if "](" in token else ""
        kept = label if label and not unsafe_piece(label) else ""
        out.append(f"{kept} {LINK_REPLACEMENT}" if kept else LINK_REPLACEMENT)
    return "".join(out)
