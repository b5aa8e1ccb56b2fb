"""Filters for the work pages: signed points, a state's CSS class."""

from decimal import Decimal, InvalidOperation

from django import template

from chuangxing.scoring.points import fmt

register = template.Library()


@register.filter
def signed(value) -> str:
    """``Decimal("-1.5")`` → ``−1.5``; ``2`` → ``+2``; zero and None → ``0``."""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return "0"
    if number > 0:
        return f"+{fmt(number)}"
    if number < 0:
        return f"−{fmt(-number)}"
    return "0"


@register.filter
def pts(value) -> str:
    """A score as the standards print it; None → —."""
    if value is None or value == "":
        return "—"
    try:
        return fmt(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
