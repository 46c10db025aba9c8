"""Numbers as spoken: captions spell out what was said, so "50" in a question is also searched
as "fifty" and "1870" as "eighteen seventy"."""

from __future__ import annotations

import re

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th)?(?![\w.])", re.IGNORECASE)
_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
         "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
            "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


def keyword_text(query: str) -> str:
    """The question as the keyword side reads it: numbers in digits also as spoken words."""
    return _NUMBER.sub(
        lambda m: f"{m.group(0)} {_spoken_number(m.group(1).replace(',', ''), m.group(2))}", query
    )


def _words_below_1000(n: int) -> list[str]:
    words = []
    if n >= 100:
        words += [_ONES[n // 100], "hundred"]
        n %= 100
    if n >= 20:
        words.append(_TENS[n // 10])
        n %= 10
        if n:
            words.append(_ONES[n])
    elif n or not words:
        words.append(_ONES[n])
    return words


def _spoken_number(digits: str, suffix: str | None) -> str:
    """Words for a number: "1870" → "one thousand eight hundred seventy eighteen seventy"; "3rd" → "three third".

    Both readings of a year-like number are given: captions write what was said, and a speaker
    says either. Numbers of more than 9 digits are left as they are.
    """
    if len(digits) > 9:
        return ""
    n = int(digits)
    words: list[str] = []
    for scale, name in ((1_000_000, "million"), (1000, "thousand")):
        if n >= scale:
            words += _words_below_1000(n // scale) + [name]
            n %= scale
    if n or not words:
        words += _words_below_1000(n)
    if 1100 <= int(digits) <= 2099 and int(digits) % 100:
        high, low = divmod(int(digits), 100)
        words += _words_below_1000(high) + (["oh"] if low < 10 else []) + _words_below_1000(low)
    if (suffix or "").lower() in {"st", "nd", "rd", "th"}:
        last = words[-1]
        if last in _ORDINAL:
            words.append(_ORDINAL[last])
        else:
            words.append(last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return " ".join(words)
