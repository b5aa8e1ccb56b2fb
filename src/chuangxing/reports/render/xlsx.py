"""Excel: openpyxl in write-only mode, so a 30,000-row table streams to the file without a sheet in memory.

Each table gets a sheet: the title (and on the first sheet the preamble lines) merged across the
columns, a bold header row that stays in view (frozen) and repeats on every printed page, the rows,
then the table's note and, after the last table, the document's footer lines (signatures).
Points are written as numbers (exact: Decimals), shares as numbers formatted ``0.0%``. Runs of
equal ``merge_on`` keys become merged cells (the value is written once, in the run's first cell).
A table of more than :data:`STYLED_ROWS` rows is written plain (no borders, no wrapping styles):
styling every cell of a big table costs more than it is worth. Charts go on a sheet of their own
as images (the same PNG the PDF shows). Text that starts with ``=`` is written as text, never as a
formula.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import CellRange

from chuangxing.reports.document import Column, Document, Row, Table, as_decimal
from chuangxing.reports.progress import Progress, Ticker
from chuangxing.reports.render import fastrows

STYLED_ROWS = 5000
_THIN = Side(style="thin", color="000000")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
STRONG_FILL = PatternFill("solid", fgColor="F2F2F2")
SECTION_FILL = PatternFill("solid", fgColor="D9D9D9")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="center")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
NUMBER_FORMATS = {"points": "0.##", "signed": "+0.##;-0.##;0", "percent": "0.0%", "int": "0"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def render_xlsx(document: Document, *, progress: Progress | None = None) -> bytes:
    workbook = Workbook(write_only=True)
    used: set[str] = set()
    last = len(document.tables) - 1
    for index, table in enumerate(document.tables):
        sheet = workbook.create_sheet(sheet_name(table.sheet or table.title or document.title, used))
        _Writer(sheet, document, table, first=index == 0, last=index == last).write(
            Ticker(progress, table.count, "写出 Excel"))
    if document.charts:
        _charts(workbook.create_sheet(sheet_name("图表", used)), document)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_name(wanted: str, used: set[str]) -> str:
    """A valid, unique sheet name: no []:*?/\\, at most 31 characters."""
    base = _BAD_SHEET_CHARS.sub("", wanted).strip()[:31] or "报表"
    name, n = base, 2
    while name in used:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name)
    return name


@dataclass
class _Run:
    key: Any = None
    start: int = 0
    end: int = 0


class _Writer:
    def __init__(self, sheet, document: Document, table: Table, *, first: bool, last: bool):
        self.sheet, self.document, self.table, self.first, self.last = sheet, document, table, first, last
        self.columns = list(table.columns)
        self.width = len(self.columns)
        self.styled = (table.count or 0) <= STYLED_ROWS
        self.row = 0
        self.runs = {i: _Run() for i, c in enumerate(self.columns) if c.merge_on}
        self.styles: dict[tuple, StyleArray] = {}
        self.fast = False

    # -- the sheet around the table ---------------------------------------------------------------
    def write(self, ticker: Ticker) -> None:
        top = [(self.document.title if self.first else (self.table.title or self.document.title), TITLE_FONT)]
        if self.first:
            top += [(line, None) for line in self.document.preamble]
            if self.table.title and self.table.title != self.document.title:
                top.append((self.table.title, BOLD))
        header_row = len(top) + 1
        self._prepare(header_row)
        if not self.styled and not self.runs:
            formats = [NUMBER_FORMATS[c.kind] if c.kind in ("percent", "signed") else None for c in self.columns]
            self.fast = fastrows.install(self.sheet, formats)
        for text, font in top:
            self._line(text, font)
        self._header()
        for row in self.table.rows:
            self._data(row)
            ticker.tick()
        self._close_runs()
        if self.table.note:
            self._line(self.table.note, None)
        if self.last:
            if self.document.footer:
                self._append([])
            for text in self.document.footer:
                self._line(text, None, height=24)
        ticker.done()

    def _prepare(self, header_row: int) -> None:
        sheet = self.sheet
        for i, column in enumerate(self.columns, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = column.width
        sheet.freeze_panes = f"A{header_row + 1}"
        sheet.print_title_rows = f"{header_row}:{header_row}"
        sheet.page_setup.paperSize = "9"                  # A4
        sheet.page_setup.orientation = "landscape" if self.document.landscape else "portrait"
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True

    def _append(self, values: list) -> None:
        self.sheet.append(values)
        self.row += 1

    def _line(self, text: str, font: Font | None, *, height: float | None = None) -> None:
        cell = WriteOnlyCell(self.sheet, value=_text(text))
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center" if font is TITLE_FONT else None)
        if font is not None:
            cell.font = font
        if height is not None or "\n" in text:
            self.sheet.row_dimensions[self.row + 1].height = height or 15 * (text.count("\n") + 1)
        self._append([cell])
        self._merge_across(self.row)

    def _merge_across(self, row: int) -> None:
        if self.width > 1:
            self.sheet.merged_cells.add(CellRange(min_col=1, min_row=row, max_col=self.width, max_row=row))

    def _header(self) -> None:
        cells = []
        for column in self.columns:
            cell = WriteOnlyCell(self.sheet, value=column.header)
            cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEADER_FILL, CENTER, BORDER
            cells.append(cell)
        self._append(cells)

    # -- rows ------------------------------------------------------------------------------------
    def _data(self, row: Row) -> None:
        number = self.row + 1
        if row.get("_span"):
            self._close_runs()
            cell = self._cell(self.columns[0], row.get(self.columns[0].key), row)
            self._append([cell] + ([self._blank(row)] * (self.width - 1) if self.styled else []))
            self._merge_across(number)
            return
        if not self.styled and not self.runs and row.get("_style") is None:
            self._append(fastrows.PlainRow(self._raw(row)) if self.fast else self._plain(row))
            return
        values = []
        for i, column in enumerate(self.columns):
            value = row.get(column.key)
            if i in self.runs:
                value = self._merge_step(i, row.get(column.merge_on), value, number)
            values.append(self._cell(column, value, row))
        self._append(values)

    def _plain(self, row: Row) -> list[Any]:
        """A row of a big table, values as they are (the fast path: 30,000 rows × 17 columns)."""
        values: list[Any] = []
        for column in self.columns:
            value = row.get(column.key)
            if value is None or value == "":
                values.append(None)
            elif column.kind in ("percent", "signed"):
                values.append(self._cell(column, value, row))
            elif type(value) is str:
                values.append(self._cell(column, value, row) if value[:1] == "=" else value)
            elif type(value) is Decimal:
                values.append(_number(value) if column.kind != "text" else str(value))
            else:
                values.append(str(value) if column.kind == "text" else value)
        return values

    def _raw(self, row: Row) -> list[Any]:
        """The values of a plain row for :mod:`fastrows` (text is written as text there, never a formula)."""
        values: list[Any] = []
        for column in self.columns:
            value = row.get(column.key)
            if value is None or value == "":
                values.append(None)
            elif column.kind == "text":
                values.append(value if type(value) is str else str(value))
            elif type(value) is int or type(value) is str:
                values.append(value)
            elif type(value) is Decimal:
                values.append(_number(value))
            else:
                values.append(_value(column, value))
        return values

    def _merge_step(self, i: int, key: Any, value: Any, number: int) -> Any:
        """The value to write in merged column ``i`` at ``number``: the run's first row holds it (streamed: the
        value given on that row), the others are blank."""
        run = self.runs[i]
        if key is not None and key == run.key:
            run.end = number
            return None
        self._close(i)
        self.runs[i] = _Run(key, number, number)
        return value

    def _close(self, i: int) -> None:
        run = self.runs[i]
        if run.key is not None and run.end > run.start:
            self.sheet.merged_cells.add(CellRange(min_col=i + 1, min_row=run.start, max_col=i + 1, max_row=run.end))
        self.runs[i] = _Run()

    def _close_runs(self) -> None:
        for i in self.runs:
            self._close(i)

    def _cell(self, column: Column, value: Any, row: Row) -> Any:
        value = _value(column, value)
        style = row.get("_style")
        if not self.styled and style is None:
            if column.kind in ("percent", "signed") and value is not None:
                cell = WriteOnlyCell(self.sheet, value=value)
                cell.number_format = NUMBER_FORMATS[column.kind]
                return cell
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(self.sheet, value=value)
                cell.data_type = "s"
                return cell
            return value
        cell = WriteOnlyCell(self.sheet, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"
        cell._style = StyleArray(self._style_of(column, style, numeric=not isinstance(value, str)))
        return cell

    def _style_of(self, column: Column, style: str | None, *, numeric: bool) -> StyleArray:
        """The style of a cell, made once per kind of cell: setting openpyxl's style attributes one by one
        hashes every style object each time, which cost more than writing the whole sheet."""
        key = (column.kind, style, numeric)
        found = self.styles.get(key)
        if found is None:
            cell = WriteOnlyCell(self.sheet)
            cell.border = BORDER
            cell.alignment = CENTER if column.numeric else WRAP
            if column.kind in NUMBER_FORMATS and numeric:
                cell.number_format = NUMBER_FORMATS[column.kind]
            if style == "strong":
                cell.fill, cell.font = STRONG_FILL, BOLD
            elif style == "section":
                cell.fill, cell.font = SECTION_FILL, BOLD
            found = self.styles[key] = cell._style
        return found

    def _blank(self, row: Row) -> WriteOnlyCell:
        return self._cell(Column("_", ""), None, row)


def _number(value: Decimal) -> int | Decimal:
    """A whole number of points as an int (the same cell, and openpyxl writes ints faster), else the Decimal."""
    return int(value) if value == value.to_integral_value() else value


def _text(text: Any) -> Any:
    return text if text is None else str(text)


def _value(column: Column, value: Any) -> Any:
    """What goes into the cell: numbers as numbers (Decimal, int), the rest as text."""
    if value is None or value == "":
        return None
    if column.kind == "text" or isinstance(value, str):
        return str(value)
    if column.kind == "int" and isinstance(value, int):
        return value
    number = as_decimal(value)
    return number if number is not None else str(value)


def _charts(sheet, document: Document) -> None:
    """Each chart as an image, one under the other (rows are 20 pixels high by default)."""
    from openpyxl.drawing.image import Image

    from chuangxing.reports.render.charts import chart_png

    row = 1
    for chart in document.charts:
        png, _, _ = chart_png(chart)
        image = Image(io.BytesIO(png))
        scale = 720 / image.width            # about 7.5 inches wide on screen
        image.width, image.height = int(image.width * scale), int(image.height * scale)
        sheet.add_image(image, f"A{row}")
        row += math.ceil(image.height / 20) + 2
