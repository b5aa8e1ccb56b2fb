"""The safe expression escape hatch, on rule_engine (typed, parsed once, exact decimals, no eval).

>>> evaluate_points("value < 60 ? 4 : 0", {"value": Decimal("59.5")})
Decimal('4')
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

import rule_engine

from chuangxing.scoring.points import to_points

_TYPES = {
    "number": rule_engine.DataType.FLOAT,
    "count": rule_engine.DataType.FLOAT,
    "percent": rule_engine.DataType.FLOAT,
    "days": rule_engine.DataType.FLOAT,
    "bool": rule_engine.DataType.BOOLEAN,
    "text": rule_engine.DataType.STRING,
    "items": rule_engine.DataType.ARRAY(rule_engine.DataType.STRING),
    "map_number": rule_engine.DataType.MAPPING(rule_engine.DataType.STRING, rule_engine.DataType.FLOAT),
    "map_bool": rule_engine.DataType.MAPPING(rule_engine.DataType.STRING, rule_engine.DataType.BOOLEAN),
    "map_text": rule_engine.DataType.MAPPING(rule_engine.DataType.STRING, rule_engine.DataType.STRING),
}
# The symbols a rating condition or a constraint may use, besides the facts.
RATING_SYMBOLS = {"total": "number", "subtotal": "number", "category": "map_number", "flag": "map_bool",
                  "level": "map_text", "rank": "map_number", "stars": "map_number"}


class ExpressionError(ValueError):
    def __init__(self, message_zh: str, message_en: str):
        self.message_zh = message_zh
        super().__init__(message_en)


class MissingSymbol(ExpressionError):
    """A fact the expression needs is not known for this branch: the rule stays unassessed."""


def check_expression(text: str, symbols: dict[str, str]) -> None:
    """Parse and type-check ``text`` against ``symbols`` (name → type); raise ExpressionError."""
    resolver = rule_engine.type_resolver_from_dict({k: _TYPES.get(v, rule_engine.DataType.UNDEFINED)
                                                    for k, v in symbols.items()})
    try:
        rule_engine.Rule(text, context=rule_engine.Context(type_resolver=resolver))
    except rule_engine.SymbolResolutionError as exc:
        raise ExpressionError(f"表达式 “{text}” 引用了未知的事实或变量 {exc.symbol_name}",
                              f"unknown symbol {exc.symbol_name} in {text!r}") from None
    except rule_engine.RuleSyntaxError as exc:
        raise ExpressionError(f"表达式 “{text}” 有语法错误", f"syntax error in {text!r}: {exc}") from None
    except rule_engine.EngineError as exc:
        raise ExpressionError(f"表达式 “{text}” 有误：{exc.message}", f"bad expression {text!r}: {exc}") from None


@lru_cache(maxsize=1024)
def _compiled(text: str) -> rule_engine.Rule:
    return rule_engine.Rule(text)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=1024)
def _names(text: str) -> tuple[str, ...]:
    """Every word of ``text`` (a superset of the symbols it reads: keywords and words in quotes too)."""
    return tuple(dict.fromkeys(_NAME.findall(text)))


def _prepare(value: Any) -> Any:
    """rule_engine's numbers are Decimals: ints (and ints inside mappings) are converted."""
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return value


def evaluate(text: str, context: dict[str, Any]) -> Any:
    # only the symbols the expression names are converted: a branch has ~50 facts, a sheet evaluates hundreds
    # of expressions, and converting the whole context each time was a sixth of the live score's CPU
    used = {name: _prepare(context[name]) for name in _names(text) if name in context}
    try:
        return _compiled(text).evaluate(used)
    except rule_engine.SymbolResolutionError as exc:
        raise MissingSymbol(f"缺少事实 {exc.symbol_name}", f"missing symbol {exc.symbol_name}") from None
    except rule_engine.EngineError as exc:
        raise ExpressionError(f"表达式 “{text}” 无法计算：{exc.message}", f"cannot evaluate {text!r}: {exc}") from None


def evaluate_points(text: str, context: dict[str, Any]) -> Decimal:
    result = evaluate(text, context)
    try:
        return to_points(result)
    except (TypeError, ValueError):
        raise ExpressionError(f"表达式 “{text}” 没有得出分值（得到 {result!r}）",
                              f"{text!r} did not give points: {result!r}") from None


def evaluate_bool(text: str, context: dict[str, Any]) -> bool:
    result = evaluate(text, context)
    if not isinstance(result, bool):
        raise ExpressionError(f"表达式 “{text}” 没有得出是/否", f"{text!r} is not a condition: {result!r}")
    return result
