"""Exact points. Every score is a ``decimal.Decimal``; binary floats are refused at the door.

>>> add_points(["0.1", "0.2"])
Decimal('0.3')
>>> fmt(Decimal("1.50"))
'1.5'
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

ZERO = Decimal(0)


def to_points(value: object) -> Decimal:
    """Turn a YAML/JSON scalar into exact points; floats are refused (they are already inexact)."""
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number of points")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a number: {value!r}") from None
    elif isinstance(value, float):
        raise TypeError("binary floating point is not accepted for points; write the number as text")
    else:
        raise TypeError(f"not a number: {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def add_points(values: Iterable[object]) -> Decimal:
    total = ZERO
    for value in values:
        total += to_points(value)
    return total


def fmt(value: Decimal | None) -> str:
    """Points as a person writes them: 3, 1.5, 0.25 (no trailing zeros, no exponent)."""
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def clamp(value: Decimal, low: Decimal | None, high: Decimal | None) -> Decimal:
    if high is not None and value > high:
        value = high
    if low is not None and value < low:
        value = low
    return value
