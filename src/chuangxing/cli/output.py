"""Writing for people on a terminal: aligned columns with Chinese (double-width) characters."""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

from chuangxing.rubric.yamlio import dumps_json
from chuangxing.scoring.points import fmt


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: CJK characters and full-width punctuation take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    space = " " * max(0, columns - width(text))
    return space + text if right else text + space


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[int] = ()) -> str:
    """A plain-text table; ``right`` lists the columns aligned right (numbers)."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([width(h)] + [width(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(pad(h, widths[i], right=i in right) for i, h in enumerate(headers)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(pad(r[i], widths[i], right=i in right) for i in range(len(headers))).rstrip() for r in cells]
    return "\n".join(lines)


def cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt(value)
    return str(value)


def signed(points: Decimal) -> str:
    """+2, −1.5, 0: points moved by a trace entry."""
    if points > 0:
        return f"+{fmt(points)}"
    if points < 0:
        return f"−{fmt(-points)}"
    return "0"


def out(text: str = "", stream: TextIO | None = None) -> None:
    print(text, file=stream or sys.stdout)


def err(text: str) -> None:
    print(text, file=sys.stderr)


def emit_json(data: Any) -> None:
    """JSON on stdout, Decimals as exact numbers."""
    out(dumps_json(data))
