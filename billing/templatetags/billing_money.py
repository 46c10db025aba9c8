"""``{% money amount_minor currency %}``: "$3.60", "₹299.00", exact from minor units."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

_SYMBOLS = {"USD": "$", "INR": "₹", "EUR": "€", "GBP": "£"}


def format_money(amount_minor: int, currency: str) -> str:
    value = Decimal(int(amount_minor)).scaleb(-2)
    sign = "−" if value < 0 else ""
    symbol = _SYMBOLS.get(currency.upper())
    amount = f"{abs(value):,.2f}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency.upper()}"


@register.simple_tag
def money(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency)
