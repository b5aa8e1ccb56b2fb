"""What a report gives the renderers: a document of tables (columns and rows), text lines and charts.

::

    Document            title, filename, preamble lines, tables, charts, footer lines (signatures)
      Table             columns + rows (an iterable of dicts: streamed, never all in memory)
        Column          key, header, width (characters), kind (how a value is shown), merge_on
      Chart             a bar chart: labels, one or more series, rendered by matplotlib

A row is a mapping from column keys to values, plus optional keys:

- ``_style``: ``"strong"`` (a total, shaded) or ``"section"`` (a heading row, shaded darker);
- ``_span``: the row is one cell across the whole width, holding the first column's value;
- any key a column names in ``merge_on``: consecutive rows with the same (non-None) value there
  are merged into one cell in that column (the category over its indicators). CSV repeats nothing
  and merges nothing: it writes each value where it is.

Column kinds: ``text``; ``int``; ``points`` (a Decimal shown as 1.5, written to Excel as a
number); ``signed`` (points with a sign: +2, -3); ``percent`` (a fraction 0..1 shown as 12.5%).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from chuangxing.scoring.points import fmt

Kind = Literal["text", "int", "points", "signed", "percent"]
Row = Mapping[str, Any]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float = 12            # in characters (Excel's unit); the PDF shares the page by these widths
    kind: Kind = "text"
    merge_on: str | None = None  # a row key: runs of equal values are merged in this column
    wrap: bool = True

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    columns: Sequence[Column]
    rows: Iterable[Row]
    title: str | None = None     # a heading above the table (PDF), the sheet's first line (Excel)
    sheet: str | None = None     # the Excel sheet name (default: the title, or the document's)
    count: int | None = None     # how many rows to expect, when known (progress)
    note: str | None = None      # a line under the table

    @property
    def merge_keys(self) -> list[str]:
        return [c.merge_on for c in self.columns if c.merge_on]


@dataclass(frozen=True)
class Chart:
    """A bar chart. ``series`` are (name, values); several series make grouped bars."""

    title: str
    labels: Sequence[str]
    series: Sequence[tuple[str, Sequence[Any]]]
    horizontal: bool = False
    percent: bool = False        # values are fractions 0..1, shown as percentages
    value_label: str = ""
    note: str | None = None


@dataclass
class Document:
    title: str
    filename: str                              # without suffix; Chinese is fine
    tables: list[Table] = field(default_factory=list)
    preamble: list[str] = field(default_factory=list)   # lines under the title (单位（盖章）：… 填写时间：…)
    footer: list[str] = field(default_factory=list)     # lines after everything (签字、日期)
    charts: list[Chart] = field(default_factory=list)
    landscape: bool = False


# -- showing values ----------------------------------------------------------------------------------
def as_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def percent_text(value: Any) -> str:
    number = as_decimal(value)
    if number is None:
        return ""
    shown = (number * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{fmt(shown)}%"


def show(column: Column, value: Any) -> str:
    """A value as text, the way the PDF and the CSV write it."""
    if value is None:
        return ""
    if column.kind == "text" or isinstance(value, str):
        return str(value)
    if column.kind == "percent":
        return percent_text(value)
    number = as_decimal(value)
    if number is None:
        return str(value)
    if column.kind == "signed" and number > 0:
        return f"+{fmt(number)}"
    return fmt(number)


def lines(values: Iterable[str], sep: str = "\n") -> str:
    return sep.join(v for v in values if v)
