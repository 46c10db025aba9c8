from __future__ import annotations

from django import template

from billing.money import format_minor

register = template.Library()


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """{{ 144|money:"USD" }} → $1.44"""
    return format_minor(int(amount_minor or 0), currency)
