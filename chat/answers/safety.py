"""What an answer must never carry, and questions that are about the persona itself.

- ``is_injection``: caption lines that speak to an AI or give it orders ("ignore previous
  instructions", "reveal your prompt"), ask for passwords or keys, or claim the persona is the real
  creator. Anyone can put such a line in a video; quoted "as the creator's words" it would make the
  persona lie or phish. They are never quoted, and model output carrying one is cut.
- ``is_self_question``: "are you the real X?", "are you an AI?" get the product's honest answer,
  never a search of the transcripts (where a planted line could answer for us).
- ``OutputGuard``: with an LLM, the model's output is checked before it is streamed: text that
  could become a claim to be the real creator or a human, a request for (or the reveal of) a
  password, key or the prompt, or a planted caption line, is held back; once it does, the answer is
  replaced by an honest fallback.
- ``SafeStream``: a filter over streamed text pieces that holds back a partial word until it is
  known not to be a URL, a domain, a markdown link or an image, so none of them reaches a surface
  even for a moment (bots relay the raw pieces). The final HTML is sanitised separately (render).

Pure functions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import regex

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


# --- the LLM output guard ----------------------------------------------------------------

# What a model's answer must never say, whatever a caption told it: that it is the real creator or
# a human, anything that reveals or asks for a password, key or its prompt, or an instruction
# planted in the captions. Written for output, not input: "I'm an AI persona" or "as an AI
# persona" are honest and pass (is_injection, made for caption lines, would stop them).
_OUTPUT_RULES = (
    # claims to be the real person, or not an AI
    r"(?:i\s+am|i'm|im)\s+(?:really\s+|actually\s+|truly\s+)?the\s+(?:real|actual)\s+\w+",
    r"(?:i\s+am|i'm|im)\s+not\s+(?:an?\s+)?(?:ai|a\.i\.|bot|chat\s*bot|robot|language\s+model|machine|persona|assistant)\b",
    r"(?:i\s+am|i'm|im)\s+(?:an?\s+)?(?:real\s+|actual\s+)?(?:human(?:\s+being)?|real\s+person|actual\s+person)\b",
    r"(?:this\s+is|(?:talking|speaking|chatting)\s+(?:to|with))\s+(?:really\s+|actually\s+)?the\s+(?:real|actual)\s+\w+",
    r"(?:this\s+is\s+not|this\s+isn't|i'm\s+no)\s+(?:an?\s+)?(?:ai|bot)\b",
    # reveals or asks for secrets or the prompt
    r"(?:send|give|tell|share|enter|type|post|dm|email|text|provide|confirm|verify|need|want)\s+(?:me\s+|us\s+)?"
    r"(?:your|the|a)\s+(?:\w+\s+){0,2}?(?:password|passcode|passphrase|api\s*key|secret\s+key|private\s+key|"
    r"seed\s+phrase|recovery\s+phrase|credit\s+card|card\s+number|cvv|one[-\s]time\s+code|otp|verification\s+code|"
    r"login\s+details|pin)s?\b",
    r"(?:my|the)\s+(?:system\s+)?(?:prompt|instructions)\s+(?:is|are|says?|reads?|tells?\s+me)\b",
    r"(?:here\s+(?:is|are)|i'll\s+reveal|revealing)\s+(?:my|the)\s+(?:system\s+)?(?:prompt|instructions)\b",
    r"system\s+prompt",
    r"(?:password|passcode|api\s*key|secret\s+key|private\s+key)\s*(?:is|:|=)\s*\S",
    r"sk-[a-z0-9_-]{8,}",
    # instructions a caption gave
    r"(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+|your\s+|my\s+|of\s+)*(?:previous\s+|prior\s+|above\s+|"
    r"earlier\s+|former\s+|system\s+)?(?:instructions?|prompts?|rules|directions)\b",
    r"developer\s+mode|jailbreak",
)
# A run of this many words of a planted caption line in the answer: the model is repeating or
# following it.
PLANTED_RUN = 6
_OUTPUT_WORD = regex.compile(r"[\w']+")


@functools.cache
def _output_pattern(creator_name: str) -> regex.Pattern:
    rules = list(_OUTPUT_RULES)
    name = r"\s+".join(regex.escape(part) for part in str(creator_name).split()[:6])
    if name:
        rules.append(rf"(?:i\s+am|i'm|im|this\s+is)\s+(?:really|actually|truly|genuinely|in\s+fact)\s+{name}\b")
        rules.append(rf"(?:i\s+am|i'm|im)\s+{name}\s+(?:in\s+person|myself|for\s+real|himself|herself|themselves)\b")
    return regex.compile(r"\b(?:" + "|".join(f"(?:{rule})" for rule in rules) + ")", regex.I)


def planted_lines(texts: Sequence[str]) -> list[str]:
    """The caption sentences among ``texts`` that are planted instructions (``is_injection``)."""
    return [text for text in texts if is_injection(text)]


def guarded_fallback(*, creator_name: str) -> str:
    """What the fan gets instead of a model answer the output guard stopped (markdown)."""
    name = _plain_name(creator_name)
    return (
        f"I can't give you a trustworthy answer to that, so I'd rather not guess. I'm an AI persona "
        f"built from {name}'s videos, not {name}, and I never ask for passwords or keys: try asking "
        f"about something from the videos."
    )


class OutputGuard:
    """Feed a model's streamed pieces in, send what comes out: text that can no longer turn into a
    forbidden claim (see ``_OUTPUT_RULES``) or a run of ``PLANTED_RUN`` words of a planted caption
    line. Text that could be the start of one is held back until the words after it decide; once
    one is complete, ``tripped`` is set, nothing more comes out, and the caller replaces the answer
    (``guarded_fallback``). What was released before never held any of it.

    Precondition: pieces are fed in order; ``flush`` once at the end.
    """

    def __init__(self, *, creator_name: str, planted: Sequence[str] = ()) -> None:
        self._pattern = _output_pattern(" ".join(str(creator_name).split()))
        self._planted = [
            " " + " ".join(words) + " "
            for line in planted
            if len(words := _OUTPUT_WORD.findall(line.lower())) >= PLANTED_RUN
        ]
        self._text = ""
        self._released = 0
        self.tripped = False
        self.reason = ""

    def feed(self, piece: str) -> str:
        if self.tripped:
            return ""
        self._text += piece
        return self._release(final=False)

    def flush(self) -> str:
        if self.tripped:
            return ""
        return self._release(final=True)

    def _release(self, *, final: bool) -> str:
        text = self._text
        match = self._pattern.search(text, partial=not final)
        if match is not None and not match.partial:
            return self._trip(f"forbidden output: {match.group(0)[:60]!r}")
        hold = match.start() if match is not None else len(text)
        words = list(_OUTPUT_WORD.finditer(text))
        if not final and text and not text[-1].isspace():
            # The last word may not be complete yet: it waits for the space after it.
            hold = min(hold, max(text.rfind(" "), text.rfind("\n"), text.rfind("\t")) + 1)
            if words and words[-1].end() == len(text):
                words.pop()
        lowered = [word.group(0).lower() for word in words]
        for start in range(max(0, len(lowered) - PLANTED_RUN + 1)):
            if self._in_planted(lowered[start : start + PLANTED_RUN]):
                return self._trip("repeats a planted caption line")
        if not final:
            # The longest run at the end that a planted line holds could grow into a full one.
            for start in range(max(0, len(lowered) - PLANTED_RUN + 1), len(lowered)):
                if self._in_planted(lowered[start:]):
                    hold = min(hold, words[start].start())
                    break
        hold = max(hold, self._released)
        released, self._released = text[self._released : hold], hold
        return released

    def _in_planted(self, words: list[str]) -> bool:
        run = " " + " ".join(words) + " "
        return any(run in line for line in self._planted)

    def _trip(self, reason: str) -> str:
        self.tripped, self.reason = True, reason
        return ""
