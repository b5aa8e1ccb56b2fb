"""How big an input may be: the bounds every rule input and fact is checked against before it is scored or stored.

A form entry, an API call or an imported sheet can carry any number (20000 for a bonus event's count,
``1e308``, a 100,000-digit integer, ``NaN``); a real branch cannot. Each bound below is far above what a
branch of a real cycle reports and far below what breaks the arithmetic or the columns that store a
total (``DecimalField(max_digits=7, decimal_places=2)``). A value outside its bound is refused as the
rule kind's :class:`~chuangxing.scoring.errors.InputError`, in Chinese, naming the rule, never stored.

>>> check_count(3, what="次数")
3
>>> check_count(20000, what="事件次数", most=MAX_EVENT_COUNT)
Traceback (most recent call last):
...
chuangxing.scoring.errors.InputError: count 20000 is above 100

=================  =============  ===================================================================
bound              value          what it bounds
=================  =============  ===================================================================
MAX_COUNT          1,000,000      a count: occurrences, times done, a count or days fact (person-months of dues)
MAX_EVENTS         100            events listed under one rule, choices of a repeated range
MAX_EVENT_COUNT    100            one event's ``count`` ("每次")
MAX_PERSONS        10,000         one event's ``persons`` ("每人每次")
MAX_VALUE          1,000,000,000  a measured value's size (test score, amount, days); percent 0–100
MAX_PLACES         6              decimal places of a typed number
MAX_NUMBER_TEXT    40             characters of a number written as text (before it is read)
MAX_TEXT           2,000          a reason, a veto's words, an event's project or note
MAX_TOTAL          99,999.99      a stored total (the column's size); checked after scoring, before saving
=================  =============  ===================================================================
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from chuangxing.scoring.errors import InputError

MAX_COUNT = 1_000_000
MAX_EVENTS = 100
MAX_EVENT_COUNT = 100
MAX_PERSONS = 10_000
MAX_VALUE = Decimal(10) ** 9
MAX_PLACES = 6
MAX_NUMBER_TEXT = 40
MAX_TEXT = 2_000
MAX_TOTAL = Decimal("99999.99")
PERCENT_UNITS = frozenset({"%", "percent"})
_DIGITS = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?")


def read_number(raw: Any, *, what: str) -> Decimal:
    """``raw`` (int, Decimal or text; never a float or yes/no) as an exact Decimal within the bounds of a typed number."""
    if isinstance(raw, bool) or not isinstance(raw, int | Decimal | str):
        hint = "（不接受二进制浮点数，请写成文字）" if isinstance(raw, float) and raw == raw else ""
        raise InputError("not_a_number", f"{what}应为数字，收到 {_shown(raw)}{hint}",
                         f"must be a number, got {type(raw).__name__}")
    if isinstance(raw, str) and len(raw.strip()) > MAX_NUMBER_TEXT:
        if _DIGITS.fullmatch(raw.strip()):
            raise InputError("too_large", f"{what}过大：{_shown(raw.strip())}", f"a number of {len(raw)} digits")
        raise InputError("too_long", f"{what}应为数字，收到的内容过长（{len(raw)} 个字符）",
                         f"a number of {len(raw)} characters")
    if isinstance(raw, int) and abs(raw) > MAX_VALUE:
        raise InputError("too_large", f"{what}过大：超过 {_big(MAX_VALUE)}", f"above {MAX_VALUE}")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(raw.strip() if isinstance(raw, str) else raw)
    except InvalidOperation:
        raise InputError("not_a_number", f"{what}应为数字，收到 {_shown(raw)}", "not a number") from None
    if not value.is_finite():
        raise InputError("not_a_number", f"{what}应为有限的数字，收到 {_shown(raw)}", "not finite")
    if value.adjusted() >= 9 and abs(value) > MAX_VALUE:
        raise InputError("too_large", f"{what}过大：超过 {_big(MAX_VALUE)}", f"above {MAX_VALUE}")
    if _places(value) > MAX_PLACES:
        raise InputError("too_precise", f"{what}的小数位过多：最多 {MAX_PLACES} 位", f"more than {MAX_PLACES} decimal places")
    return value


def check_count(value: int, *, what: str, most: int = MAX_COUNT) -> int:
    """A whole, non-negative count no larger than ``most``."""
    if value > most:
        raise InputError("too_large", f"{what}过大：{_big(value)}，最多 {most:,}", f"count {value} is above {most}")
    return value


def check_percent(value: Decimal, *, what: str) -> Decimal:
    if not 0 <= value <= 100:
        raise InputError("out_of_range", f"{what}应在 0–100（%）之间，收到 {_shown(value)}", "a percent must be within 0..100")
    return value


def check_text(text: str, *, what: str) -> str:
    if len(text) > MAX_TEXT:
        raise InputError("too_long", f"{what}过长：{len(text):,} 个字，最多 {MAX_TEXT:,} 个字",
                         f"text of {len(text)} characters, at most {MAX_TEXT}")
    return text


def check_many(items: Any, *, what: str, most: int = MAX_EVENTS) -> Any:
    if len(items) > most:
        raise InputError("too_many", f"{what}过多：{len(items):,} 个，最多 {most:,} 个", f"{len(items)} entries, at most {most}")
    return items


COUNT_UNITS = frozenset({"count", "days"})
NUMBER_UNITS = frozenset({"number", "percent"})


def check_fact(unit: str, value: Any, *, what: str) -> Any:
    """A fact's value within its unit's bounds: a count or days whole and within 0–``MAX_COUNT``, a percent
    within 0–100, a number within :func:`read_number`'s. Values that are not numbers are left to the rules that read them."""
    numeric = isinstance(value, int | Decimal) and not isinstance(value, bool)
    if unit in COUNT_UNITS and numeric:
        number = read_number(value, what=what)
        if number < 0 or number != number.to_integral_value():
            raise InputError("not_a_count", f"{what}应为不小于 0 的整数，收到 {_shown(value)}",
                             "a count must be a whole number >= 0")
        check_count(int(number), what=what, most=MAX_COUNT)
    elif unit in NUMBER_UNITS and numeric:
        number = read_number(value, what=what)
        if unit == "percent":
            check_percent(number, what=what)
    return value


def fits_total(total: Decimal) -> bool:
    """Does ``total`` fit the column that stores a total (seven digits, two after the point)?"""
    return abs(total) <= MAX_TOTAL


def _places(value: Decimal) -> int:
    """Decimal places that carry a digit (1.500 has 1), read without rounding to the context's precision."""
    _, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0:
        return 0
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing)


def _big(value: Any) -> str:
    text = format(value, ",") if isinstance(value, int) else format(value, ",f")
    return text if len(text) <= 24 else f"{text[:12]}…（{len(text)} 位）"


def _shown(raw: Any) -> str:
    text = str(raw)
    return text if len(text) <= 24 else f"{text[:12]}…（{len(text)} 个字符）"
