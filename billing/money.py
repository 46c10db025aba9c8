"""Amounts are integers in minor units (paise, cents) everywhere; this is how they are shown."""

from __future__ import annotations

from decimal import Decimal

_SYMBOLS = {"USD": "$", "INR": "₹"}


def format_minor(amount_minor: int, currency: str) -> str:
    """1440 USD → "$14.40", 50000 INR → "₹500.00"; other currencies as "12.00 EUR". Exact:
    Decimal, never float."""
    sign = "-" if amount_minor < 0 else ""
    major = f"{Decimal(abs(amount_minor)).scaleb(-2):,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{sign}{symbol}{major}" if symbol else f"{sign}{major} {currency}"


def visitor_currency(*, accept_language: str, country: str = "") -> str:
    """The currency to show prices in first: INR for a visitor in India (a proxy's country header,
    else an ``-IN`` locale such as en-IN or hi-IN in Accept-Language), USD for everyone else.
    A hint for display only; the visitor can still pay in either currency."""
    if country:
        return "INR" if country.strip().upper() == "IN" else "USD"
    for part in accept_language.split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.endswith("-in") or tag == "hi":
            return "INR"
    return "USD"
