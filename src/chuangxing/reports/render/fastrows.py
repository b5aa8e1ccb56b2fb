"""Plain rows of a big write-only sheet, written as openpyxl writes them, without a Cell per value.

openpyxl's write-only sheet turns every value into a ``Cell`` and every ``Cell`` into XML through a
few layers of Python: about 12 µs a value, most of the time a 30,000 × 17 summary takes. A plain
row (numbers, text, a number format on some columns; no style, no formula) needs none of that: it is
one ``<row>`` element of ``<c>`` elements, the same markup openpyxl writes (text as inline strings,
as its lxml writer does), built with lxml and handed to the sheet's own XML stream.

:func:`install` swaps the sheet's row writer for one that passes a :class:`PlainRow` through this
path and anything else (the title, the header, styled rows) through openpyxl's; it returns False,
changing nothing, when openpyxl is not the version whose internals this relies on (then every row
goes the ordinary way). ``tests/reports/test_render.py`` checks that both paths give the same cells.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

SUPPORTED = ("3.1.5",)          # the openpyxl versions whose write-only internals this was written against
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


class PlainRow(tuple):
    """A row of values for :func:`install`'s path (a tuple, so that ``append`` takes it)."""


def install(sheet: Any, number_formats: Sequence[str | None]) -> bool:
    """Route :class:`PlainRow` rows of ``sheet`` (before its first row is written) through the fast path.

    ``number_formats`` gives, per column, the number format of its numbers (None: General).
    """
    if openpyxl.__version__ not in SUPPORTED or not _has_internals(sheet):
        return False
    try:
        import lxml.etree  # noqa: F401 - openpyxl writes with its own pure-Python XML writer without it
    except ImportError:
        return False
    sheet._write_rows = _RowWriter(sheet, number_formats).rows
    return True


class _RowWriter:
    def __init__(self, sheet: Any, number_formats: Sequence[str | None]):
        self.sheet = sheet
        self.letters = [get_column_letter(i) for i in range(1, len(number_formats) + 1)]
        self.styles = [_style_id(sheet, fmt) if fmt else None for fmt in number_formats]

    def rows(self) -> Iterator[None]:
        """The sheet's row writer (openpyxl's ``_write_rows``), with :class:`PlainRow` written here."""
        writer = self.sheet._writer
        xf = writer.xf.send(True)
        with xf.element("sheetData"):
            number = 1
            try:
                while True:
                    row = yield
                    if type(row) is PlainRow:
                        xf.write(self.element(row, number))
                    else:
                        writer.write_row(xf, self.sheet._values_to_row(row, number), number)
                    number += 1
            except GeneratorExit:
                pass
        writer.xf.send(None)

    def element(self, values: PlainRow, number: int):
        from lxml.etree import Element, SubElement

        row = Element("row", r=str(number))
        for letter, style, value in zip(self.letters, self.styles, values, strict=False):
            if value is None or value == "":
                continue
            ref = f"{letter}{number}"
            if isinstance(value, str):
                text = SubElement(SubElement(SubElement(row, "c", r=ref, t="inlineStr"), "is"), "t")
                text.text = ILLEGAL_CHARACTERS_RE.sub("", value)
                if value != value.strip():
                    text.set(_SPACE, "preserve")
                continue
            attributes = {"r": ref, "t": "b" if isinstance(value, bool) else "n"}
            if style is not None:
                attributes["s"] = style
            SubElement(SubElement(row, "c", attributes), "v").text = _number_text(value)
        return row


def _has_internals(sheet: Any) -> bool:
    return sheet._rows is None and all(hasattr(sheet, name) for name in ("_get_writer", "_values_to_row", "_write_rows"))


def _style_id(sheet: Any, number_format: str) -> str:
    cell = WriteOnlyCell(sheet)
    cell.number_format = number_format
    return str(cell.style_id)


def _number_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return str(value)
