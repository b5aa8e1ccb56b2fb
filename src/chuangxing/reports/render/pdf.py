"""PDF: reportlab platypus on A4, the reports' fonts embedded, Chinese wrapped (``wordWrap='CJK'``).

Tables are laid out page by page by :class:`PagedTable`, not by one reportlab ``Table`` over all
rows: reportlab splits a long table by copying what is left at every page, which grows with the
square of the rows (10,000 rows took 45 s); here each page is a small ``Table`` of the rows that
fit, with the header repeated, so the time is linear and the rows are read from the report as
they are needed. Rows whose ``merge_on`` keys are equal stay together on a page when they can,
and merged cells are merged within each page (a category that runs onto the next page shows its
name again there, as printed tables do). Cells are drawn as plain strings when one font fits them
on one line, else as :class:`Lines` (wrapped as Chinese is, font run by font run), never as a
``Paragraph``: a 30,000-row table would spend most of its time building paragraphs.
"""

from __future__ import annotations

import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from chuangxing.reports.document import Column, Document, Row, show
from chuangxing.reports.document import Table as ReportTable
from chuangxing.reports.fonts import CJK, LATIN, draw_text, is_single_font, markup, register_pdf_fonts, text_width
from chuangxing.reports.progress import Progress, Ticker

SIZE, LEADING, PAD = 8.5, 11, 3
MARGIN = 14 * mm
STRONG, SECTION, HEADER = colors.HexColor("#F2F2F2"), colors.HexColor("#D9D9D9"), colors.HexColor("#D9E1F2")


def _styles() -> dict[str, ParagraphStyle]:
    register_pdf_fonts()
    base = ParagraphStyle("cell", fontName=CJK, fontSize=SIZE, leading=LEADING, wordWrap="CJK")
    return {
        "cell": base,
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=6),
        "heading": ParagraphStyle("heading", parent=base, fontSize=11, leading=15, spaceBefore=8, spaceAfter=4),
        "line": ParagraphStyle("line", parent=base, fontSize=10, leading=15),
        "footer": ParagraphStyle("footer", parent=base, fontSize=10.5, leading=16, spaceBefore=10),
    }


def render_pdf(document: Document, *, progress: Progress | None = None) -> bytes:
    styles = _styles()
    buffer = io.BytesIO()
    pagesize = landscape(A4) if document.landscape else A4
    doc = SimpleDocTemplate(buffer, pagesize=pagesize, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN + 4 * mm, title=document.title, author="创星", creator="chuangxing",
                            initialFontName=CJK, initialFontSize=SIZE, initialLeading=LEADING)
    story: list[Flowable] = [Paragraph(markup(document.title), styles["title"])]
    story += [Paragraph(markup(line), styles["line"]) for line in document.preamble]
    if document.preamble:
        story.append(Spacer(1, 4))
    for table in document.tables:
        if table.title and table.title != document.title:
            story += [CondPageBreak(40 * mm), Paragraph(markup(table.title), styles["heading"])]
        story.append(PagedTable(table, width=doc.width, page_height=doc.height - 12, styles=styles,
                                ticker=Ticker(progress, table.count, "排版 PDF")))
        if table.note:
            story.append(Paragraph(markup(table.note), styles["line"]))
    story += _charts(document, doc.width, doc.height)
    story += [Paragraph(markup(line, keep_spaces=True), styles["footer"]) for line in document.footer]
    doc.build(story, onFirstPage=_page_number, onLaterPages=_page_number)
    return buffer.getvalue()



def _page_number(canvas, doc) -> None:
    canvas.saveState()
    draw_text(canvas, doc.pagesize[0] / 2, MARGIN / 2, f"第 {doc.page} 页", 8, align="center")
    canvas.restoreState()


def _charts(document: Document, width: float, height: float) -> list[Flowable]:
    if not document.charts:
        return []
    from chuangxing.reports.render.charts import chart_png

    out: list[Flowable] = []
    for chart in document.charts:
        png, width_in, height_in = chart_png(chart)
        shown_width = min(width, 170 * mm)
        shown_height = min(shown_width * height_in / width_in, height * 0.9)
        out += [Spacer(1, 6), CondPageBreak(shown_height + 6), Image(io.BytesIO(png), shown_width, shown_height)]
    return out


# -- cells --------------------------------------------------------------------------------------
class Lines(Flowable):
    """Text in the reports' fonts, wrapped to a width the way Chinese is (anywhere between characters,
    Latin words kept whole, closing punctuation never starting a line): what table cells are. Much
    cheaper than a Paragraph, and the breaking of each distinct text is computed once."""

    def __init__(self, text: str, width: float, size: float = SIZE):
        super().__init__()
        self.lines, self.size = wrap_lines(text, width, size), size
        self.width = max(text_width(line, size) for line in self.lines)
        self.height = LEADING * len(self.lines)

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        for i, line in enumerate(reversed(self.lines)):
            draw_text(self.canv, 0, i * LEADING + (LEADING - self.size) / 2 + 1, line, self.size)


_TOKENS = re.compile(r"[A-Za-z0-9.,:%+\-/()]+|\s+|.", re.S)
_NO_LINE_START = set("，。、；：！？）》」』”’〕】,.;:!?)%")


@lru_cache(maxsize=50_000)
def wrap_lines(text: str, width: float, size: float = SIZE) -> tuple[str, ...]:
    """``text`` broken into lines no wider than ``width`` points (explicit line breaks kept)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for token in _TOKENS.findall(paragraph):
            wide = text_width(token, size)
            if line and used + wide > width and not token.isspace():
                if token[0] in _NO_LINE_START and len(line) > 1:     # 。 never starts a line: take the
                    carry = line[-1]                                 # character before it down with it
                    out.append(line[:-1].rstrip())
                    line, used = carry, text_width(carry, size)
                else:
                    out.append(line.rstrip())
                    line, used = "", 0.0
            if not line and token.isspace():
                continue
            if wide > width and len(token) > 1:        # a word longer than the cell: cut it by characters
                for ch in token:
                    step = text_width(ch, size)
                    if line and used + step > width:
                        out.append(line)
                        line, used = "", 0.0
                    line, used = line + ch, used + step
                continue
            line, used = line + token, used + wide
        out.append(line.rstrip())
    return tuple(out)


@dataclass
class _Prepared:
    cells: list[Any]
    height: float                         # what the row itself needs (merged cells aside)
    merge_heights: dict[int, float]       # column index → what its merged cell needs
    keys: tuple                           # the row's merge keys, one per merged column
    style: str | None = None
    span: bool = False


@dataclass
class _Layout:
    rows: list[_Prepared]
    heights: list[float] = field(default_factory=list)
    total: float = 0


class _Stream:
    """The rows of one report table, read as the pages need them and prepared once (shared by the
    PagedTable of each page)."""

    def __init__(self, table: ReportTable, widths: list[float], width: float, styles: dict, ticker: Ticker):
        self.columns: list[Column] = list(table.columns)
        self.widths, self.width, self.styles, self.ticker = widths, width, styles, ticker
        self.merged = [i for i, c in enumerate(self.columns) if c.merge_on]
        self.source = iter(table.rows)
        self.buffer: deque[_Prepared] = deque()
        self.carry: dict[int, Any] = {}
        self.last_keys: tuple = ()
        self.exhausted = False
        self.pulled = 0

    def pull(self) -> bool:
        if self.exhausted:
            return False
        try:
            row = next(self.source)
        except StopIteration:
            self.exhausted = True
            self.ticker.done()
            if not self.pulled:                   # an empty table still shows its header, and says so
                self.buffer.append(self._prepare({self.columns[0].key: "（无）", "_span": True}))
                return True
            return False
        self.pulled += 1
        self.buffer.append(self._prepare(row))
        self.ticker.tick()
        return True

    def units(self) -> Iterator[list[_Prepared]]:
        """The buffered rows (reading more as needed) in groups that should stay on one page."""
        i = 0
        while True:
            if i >= len(self.buffer) and not self.pull():
                return
            unit = [self.buffer[i]]
            i += 1
            while unit[0].keys and not unit[0].span:
                if i >= len(self.buffer) and not self.pull():
                    break
                if self.buffer[i].keys != unit[0].keys or self.buffer[i].span:
                    break
                unit.append(self.buffer[i])
                i += 1
            yield unit

    def _prepare(self, row: Row) -> _Prepared:
        if row.get("_span"):
            text = show(self.columns[0], row.get(self.columns[0].key))
            paragraph = Paragraph(markup(text), self.styles["cell"])
            height = paragraph.wrap(self.width - 2 * PAD, 10_000)[1] + 2 * PAD
            self.last_keys = ()
            return _Prepared([paragraph] + [""] * (len(self.columns) - 1), height, {}, (), row.get("_style"), True)
        cells, heights, merge_heights = [], [LEADING + 2 * PAD], {}
        keys = tuple(row.get(self.columns[i].merge_on) for i in self.merged)
        for i, column in enumerate(self.columns):
            value = row.get(column.key)
            if i in self.merged:
                value = self._carried(i, keys[self.merged.index(i)], value)
            cell, height = self._cell(column, show(column, value), self.widths[i])
            cells.append(cell)
            if i in self.merged:
                merge_heights[i] = height
            else:
                heights.append(height)
        self.last_keys = keys
        return _Prepared(cells, max(heights), merge_heights, keys, row.get("_style"))

    def _carried(self, i: int, key: Any, value: Any) -> Any:
        """A merged column shows the first value given in its run on every page the run reaches."""
        position = self.merged.index(i)
        same = key is not None and bool(self.last_keys) and self.last_keys[position] == key
        if not same or self.carry.get(i) in (None, ""):
            self.carry[i] = value
        return self.carry[i]

    def _cell(self, column: Column, text: str, width: float) -> tuple[Any, float]:
        if not text:
            return "", LEADING + 2 * PAD
        room = width - 2 * PAD
        if "\n" not in text and is_single_font(text) == (LATIN if column.numeric else CJK) \
                and text_width(text, SIZE) <= room:
            return text, LEADING + 2 * PAD               # a plain string in the column's own font
        lines = Lines(text, room)
        return lines, lines.height + 2 * PAD


class PagedTable(Flowable):
    """A table laid out one page at a time (see the module docstring)."""

    def __init__(self, table: ReportTable, *, width: float, page_height: float, styles: dict, ticker: Ticker,
                 stream: _Stream | None = None):
        super().__init__()
        self.table, self.styles, self.ticker = table, styles, ticker
        self.columns: list[Column] = list(table.columns)
        total = sum(c.width for c in self.columns) or 1
        self.widths = [width * c.width / total for c in self.columns]
        self.width, self.page_height = width, page_height
        self.merged = [i for i, c in enumerate(self.columns) if c.merge_on]
        self.stream = stream or _Stream(table, self.widths, width, styles, ticker)
        self.header = [Paragraph(markup(c.header), styles["center"]) for c in self.columns]
        self.header_height = max(p.wrap(w - 2 * PAD, 1000)[1] for p, w in zip(self.header, self.widths, strict=True)) \
            + 2 * PAD
        self._final: Table | None = None
        self._final_rows = 0

    # -- platypus protocol -------------------------------------------------------------------------
    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        layout, rest = self._layout(available_height)
        self._final, self._final_rows = None, 0
        if rest:
            return self.width, available_height + 1    # does not fit: platypus asks for a split
        if not layout.rows:
            return 0, 0                                # nothing left to draw
        self._final, self._final_rows = self._table(layout), len(layout.rows)
        return self._final.wrap(available_width, available_height)

    def split(self, available_width: float, available_height: float) -> list[Flowable]:
        layout, rest = self._layout(available_height)
        if not layout.rows:
            return []
        for _ in layout.rows:
            self.stream.buffer.popleft()
        table = self._table(layout)
        if not rest:
            return [table]
        return [table, PagedTable(self.table, width=self.width, page_height=self.page_height, styles=self.styles,
                                  ticker=self.ticker, stream=self.stream)]

    def draw(self) -> None:
        if self._final is not None:
            for _ in range(self._final_rows):      # the rows measured in ``wrap`` are drawn now
                self.stream.buffer.popleft()
            self._final.drawOn(self.canv, 0, 0)

    # -- pages --------------------------------------------------------------------------------------
    def _layout(self, available: float) -> tuple[_Layout, bool]:
        """The rows that fit in ``available`` points (with the header), and whether any are left after them."""
        fresh = available >= self.page_height - 1
        chosen: list[_Prepared] = []
        layout = _Layout([])
        for unit in self.stream.units():
            trial = self._measure(chosen + unit)
            if trial.total <= available:
                chosen, layout = trial.rows, trial
                continue
            if (not chosen and fresh) or self._measure(unit).total > self.page_height:
                for row in unit:                # a group taller than a page: cut it by rows, from here
                    trial = self._measure([*chosen, row])
                    if trial.total > available and (chosen or not fresh):
                        break
                    chosen, layout = trial.rows, trial
            return layout, True
        return layout, False

    def _measure(self, rows: list[_Prepared]) -> _Layout:
        heights = [r.height for r in rows]
        for position, i in enumerate(self.merged):
            for start, end in _runs([r.keys[position] if not r.span else None for r in rows]):
                need = rows[start].merge_heights.get(i, 0)
                have = sum(heights[start:end + 1])
                if need > have:
                    heights[end] += need - have
        return _Layout(rows, heights, self.header_height + sum(heights))

    def _table(self, layout: _Layout) -> Table:
        data = [list(self.header)]
        commands: list[tuple] = [
            ("FONTNAME", (0, 0), (-1, -1), CJK), ("FONTSIZE", (0, 0), (-1, -1), SIZE),
            ("LEADING", (0, 0), (-1, -1), LEADING), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("BACKGROUND", (0, 0), (-1, 0), HEADER),
            ("TOPPADDING", (0, 0), (-1, -1), PAD), ("BOTTOMPADDING", (0, 0), (-1, -1), PAD),
            ("LEFTPADDING", (0, 0), (-1, -1), PAD), ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ]
        for first, last in _spans([c.numeric for c in self.columns]):       # runs of numeric columns
            commands += [("FONTNAME", (first, 1), (last, -1), LATIN), ("ALIGN", (first, 1), (last, -1), "CENTER")]
        for r, row in enumerate(layout.rows, start=1):
            data.append(list(row.cells))
            if row.span:
                commands.append(("SPAN", (0, r), (-1, r)))
            if row.style in ("strong", "section"):
                commands.append(("BACKGROUND", (0, r), (-1, r), STRONG if row.style == "strong" else SECTION))
        for position, i in enumerate(self.merged):
            for start, end in _runs([r.keys[position] if not r.span else None for r in layout.rows]):
                for r in range(start + 1, end + 1):
                    data[r + 1][i] = ""
                if end > start:
                    commands.append(("SPAN", (i, start + 1), (i, end + 1)))
        return Table(data, colWidths=self.widths, rowHeights=[self.header_height, *layout.heights],
                     style=TableStyle(commands), hAlign="LEFT")


def _spans(flags: list[bool]) -> list[tuple[int, int]]:
    """(first, last) index of every run of True."""
    out, start = [], None
    for i, flag in enumerate([*flags, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            out.append((start, i - 1))
            start = None
    return out


def _runs(keys: list) -> list[tuple[int, int]]:
    """(first, last) index of every run of equal, non-None keys."""
    out, start = [], None
    for i, key in enumerate(keys):
        if start is not None and key == keys[start]:
            continue
        if start is not None and keys[start] is not None:
            out.append((start, i - 1))
        start = i
    if start is not None and keys[start] is not None:
        out.append((start, len(keys) - 1))
    return out
