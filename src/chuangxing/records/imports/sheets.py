"""From raw rows to typed rows: the header row matched to the columns, each cell parsed by its column.

Headers are matched by name, in any order. Every column of the sheet must be there (a missing
optional column would silently blank that field on every row); an unknown header is an error (it is
usually a misspelt one). When a sheet's header is wrong its rows are not read: the problems would
only repeat the header's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from openpyxl.utils import get_column_letter

from chuangxing.records.imports.columns import FORMULA, Column, Invalid, SheetSpec, as_text, is_empty
from chuangxing.records.imports.problems import ImportProblem
from chuangxing.records.imports.sources import RawSheet


@dataclass(frozen=True)
class Layout:
    """Where each column of ``spec`` sits in the file's sheet ``sheet``."""

    sheet: str
    spec: SheetSpec
    index: dict[str, int]     # field → 0-based position

    def problem(self, row: int, field_name: str, code: str, message: str, message_en: str) -> ImportProblem:
        column = next(c for c in self.spec.columns if c.field == field_name)
        return ImportProblem(code, message, message_en, sheet=self.sheet, row=row,
                             column=get_column_letter(self.index[field_name] + 1), header=column.header)


@dataclass
class Row:
    """A data row: its number in the sheet, its parsed values, the fields that could not be parsed."""

    layout: Layout
    number: int
    values: dict[str, Any]
    bad: set[str] = field(default_factory=set)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def ok(self, *names: str) -> bool:
        return not self.bad.intersection(names)

    def problem(self, name: str, code: str, message: str, message_en: str) -> ImportProblem:
        self.bad.add(name)
        return self.layout.problem(self.number, name, code, message, message_en)


def read_header(raw: RawSheet, spec: SheetSpec, problems: list[ImportProblem]) -> Layout | None:
    """The layout of ``raw``'s header row, or None (problems added) when it is not the expected one."""
    header = raw.rows[0][1] if raw.rows and raw.rows[0][0] == 1 else []
    expected = ", ".join(spec.headers)
    if not header:
        problems.append(ImportProblem("missing_header", f"第 1 行应为列标题：{'、'.join(spec.headers)}",
                                      f"row 1 should hold the headers: {expected}", sheet=raw.name, row=1))
        return None
    by_header = {c.header: c for c in spec.columns}
    index: dict[str, int] = {}
    before = len(problems)
    for position, cell in enumerate(header):
        text = "" if cell is FORMULA else as_text(cell)
        if not text:
            continue
        letter = get_column_letter(position + 1)
        column = by_header.get(text)
        if column is None:
            problems.append(ImportProblem(
                "unknown_header", f"无法识别的列标题“{text}”；本表的列为：{'、'.join(spec.headers)}",
                f"unknown header {text!r}; expected: {expected}", sheet=raw.name, row=1, column=letter, header=text))
        elif column.field in index:
            problems.append(ImportProblem("duplicate_header", f"列标题“{text}”重复出现",
                                          f"header {text!r} appears twice", sheet=raw.name, row=1, column=letter, header=text))
        else:
            index[column.field] = position
    for column in spec.columns:
        if column.field not in index:
            problems.append(ImportProblem("missing_header", f"缺少列“{column.header}”",
                                          f"missing column {column.header!r}", sheet=raw.name, row=1, header=column.header))
    return Layout(raw.name, spec, index) if len(problems) == before else None


def read_rows(raw: RawSheet, layout: Layout, problems: list[ImportProblem]) -> list[Row]:
    """Every data row of ``raw`` parsed; a cell that cannot be parsed is a problem and marks its field bad."""
    rows = []
    headerless: dict[int, int] = {}     # position of a column without header → first row with content there
    known = set(layout.index.values())
    for number, cells in raw.rows[1:]:
        row = Row(layout, number, {})
        for column in layout.spec.columns:
            position = layout.index[column.field]
            _parse_cell(row, column, cells[position] if position < len(cells) else None, problems)
        for position, cell in enumerate(cells):
            if position not in known and not is_empty(cell):
                headerless.setdefault(position, number)
        rows.append(row)
    for position, number in sorted(headerless.items()):
        letter = get_column_letter(position + 1)
        problems.append(ImportProblem(
            "headerless_column", f"{letter} 列没有列标题，但第 {number} 行等处有内容；请删除该列内容或补上正确的列标题",
            f"column {letter} has no header but holds data (first at row {number})",
            sheet=raw.name, row=number, column=letter))
    return rows


def _parse_cell(row: Row, column: Column, raw: Any, problems: list[ImportProblem]) -> None:
    if raw is FORMULA:                      # reported when the file was read
        row.values[column.field] = column.cell.blank
        row.bad.add(column.field)
        return
    if is_empty(raw):
        row.values[column.field] = column.cell.blank
        if column.required:
            problems.append(row.problem(column.field, "required", "必填，不能为空", "required value missing"))
        return
    try:
        row.values[column.field] = column.cell.parse(raw)
    except Invalid as exc:
        row.values[column.field] = column.cell.blank
        problems.append(row.problem(column.field, exc.code, exc.message, exc.message_en))
