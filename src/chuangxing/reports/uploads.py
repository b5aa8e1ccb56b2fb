"""Opening an uploaded workbook without trusting it, for the two Excel readers (filled score sheets, rubrics).

>>> with open_workbook(data, max_rows=2000) as book:
...     rows = book.rows("评分表", max_columns=8)        # [(row number, [values])], formulas refused

The checks are the record importers' (:mod:`chuangxing.records.imports.sources`), reused: the file
must be a zip with an Excel workbook inside, whose declared uncompressed size, compression ratio and
number of parts stay within limits, with no DTD or entity declarations; only then does openpyxl open
it, in read-only mode, keeping formulas as formulas. Here, in addition: each worksheet part must be
smaller than ``max_sheet_bytes`` uncompressed and, when over a megabyte, declare its dimension up
front (see :func:`_check_sheets`); rows are counted as they are read and the first row past
``max_rows`` stops the reading; and a formula in any cell read is an error naming the cell, never
evaluated.

Every refusal is a :class:`SheetInvalid` carrying :class:`SheetProblem`\\ s (a stable code, a Chinese
message, and the cell as Excel names it: ``评分表!G12``).
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

MB = 1024 * 1024
FORMULA = object()          # what a formula cell reads as: already reported, never used
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
MAX_FILE_BYTES = 20 * MB
MAX_UNCOMPRESSED_BYTES = 64 * MB
MAX_COMPRESSION_RATIO = 100
MAX_ZIP_ENTRIES = 300


@dataclass(frozen=True)
class SheetProblem:
    code: str
    message: str                 # Chinese, for the person fixing the file
    cell: str | None = None      # 评分表!G12; None: the whole file

    def __str__(self) -> str:
        return f"{self.cell}：{self.message}" if self.cell else self.message

    def to_dict(self) -> dict:
        return {"code": self.code, "cell": self.cell, "message": self.message}


class SheetInvalid(ValueError):
    """An uploaded workbook that was refused or does not check out; nothing of it has been applied."""

    code = "sheet_invalid"

    def __init__(self, problems: list[SheetProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def codes(self) -> list[str]:
        return [p.code for p in self.problems]

    @property
    def message(self) -> str:
        head = f"文件有 {len(self.problems)} 处问题，未导入任何内容：" if len(self.problems) > 1 else "文件未导入："
        return head + "\n" + "\n".join(str(p) for p in self.problems)


def refuse(code: str, message: str, cell: str | None = None) -> SheetInvalid:
    return SheetInvalid([SheetProblem(code, message, cell)])


def cell_ref(sheet: str, row: int, column: int) -> str:
    return f"{sheet}!{get_column_letter(column)}{row}"


class ReadBook:
    def __init__(self, workbook: Any, max_rows: int):
        self.workbook, self.max_rows = workbook, max_rows
        self.problems: list[SheetProblem] = []

    @property
    def sheetnames(self) -> list[str]:
        return list(self.workbook.sheetnames)

    def rows(self, name: str, *, max_columns: int) -> list[tuple[int, list[Any]]]:
        """Every row of sheet ``name`` that has a value, as (row number, values); formulas become
        :data:`FORMULA` and a problem each; :class:`SheetInvalid` past ``max_rows``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sheet = self.workbook[name]
            sheet.reset_dimensions()        # the stored dimension may lie: read the rows there are
            out = []
            try:
                for number, cells in enumerate(sheet.iter_rows(max_col=max_columns), start=1):
                    if number > self.max_rows:
                        raise refuse("too_many_rows", f"工作表“{name}”超过 {self.max_rows} 行，不是本系统生成的表格"
                                     f"（读到第 {number} 行时停止）", f"{name}!A{number}")
                    values = [self._value(name, number, i, cell) for i, cell in enumerate(cells, start=1)]
                    if any(v is not None and v != "" for v in values):
                        out.append((number, values))
            except SheetInvalid:
                raise
            except Exception as exc:     # openpyxl raises many kinds on malformed sheet XML
                raise refuse("unreadable", f"工作表“{name}”内容损坏，无法读取（{type(exc).__name__}）") from None
        return out

    def _value(self, sheet: str, row: int, column: int, cell: Any) -> Any:
        value = getattr(cell, "value", None)
        if value is not None and getattr(cell, "data_type", None) == "f":
            self.problems.append(SheetProblem("formula", f"单元格含有公式（{str(value)[:40]}），不接受公式，请填写数值或文字",
                                              cell_ref(sheet, row, column)))
            return FORMULA
        return value


@contextmanager
def open_workbook(data: bytes, *, max_rows: int, max_sheet_bytes: int = 8 * MB) -> Iterator[ReadBook]:
    """The uploaded ``data`` opened read-only after the checks (see the module docstring)."""
    _check_bytes(data)
    stream = io.BytesIO(data)
    _check_zip(stream)
    _check_sheets(stream, max_sheet_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:       # a malformed workbook: openpyxl raises many kinds
        raise refuse("not_xlsx", f"文件无法作为 Excel 工作簿打开（内容损坏或格式不符：{type(exc).__name__}）") from None
    try:
        yield ReadBook(workbook, max_rows)
    finally:
        workbook.close()


def _check_bytes(data: Any) -> None:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise refuse("not_bytes", "没有收到文件内容")
    if not data:
        raise refuse("empty", "文件是空的")
    if len(data) > MAX_FILE_BYTES:
        raise refuse("file_too_large", f"文件大小 {len(data) / MB:.1f} MB，超过上限 {MAX_FILE_BYTES // MB} MB")
    head = bytes(data[:8])
    if head.startswith(_OLE_MAGIC):
        raise refuse("old_xls", "这是旧版 .xls 文件（或加密的工作簿），请在 Excel 中另存为 .xlsx 后再上传")
    if not head.startswith(_ZIP_MAGIC):
        raise refuse("not_xlsx", "上传的文件不是 Excel 工作簿（.xlsx）：请上传本系统导出、填好后保存的 .xlsx 文件")


def _check_sheets(stream: io.BytesIO, max_sheet_bytes: int) -> None:
    """Each worksheet part small enough, and a big one must say its size (``<dimension>``) up front.

    openpyxl's read-only mode looks for that element when it opens a sheet, and when it is missing
    it parses the whole sheet to find it (a million rows: half a minute) before a single row is read.
    Excel, WPS, LibreOffice and openpyxl always write it; a file without it is made by hand.
    """
    with zipfile.ZipFile(stream) as archive:
        for info in archive.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            if info.file_size > max_sheet_bytes:
                raise refuse("sheet_too_large", f"工作表部件“{info.filename}”解压后 {info.file_size / MB:.0f} MB，"
                             f"超过上限 {max_sheet_bytes // MB} MB（本系统生成的表格远小于此），拒绝打开")
            if info.file_size > MB:
                with archive.open(info) as part:
                    head = part.read(64 * 1024)
                data_at = head.find(b"<sheetData")
                dimension_at = head.find(b"<dimension")
                if dimension_at < 0 or (0 <= data_at < dimension_at):
                    raise refuse("no_dimension", f"工作表部件“{info.filename}”很大却没有声明尺寸（dimension），"
                                 "不是 Excel 保存的文件，拒绝打开：请用 Excel 打开后另存为 .xlsx 再上传")
    stream.seek(0)


def _check_zip(stream: io.BytesIO) -> None:
    from chuangxing.records.imports.problems import Limits, Refused
    from chuangxing.records.imports.sources import check_zip

    limits = Limits(max_file_bytes=MAX_FILE_BYTES, max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES,
                    max_compression_ratio=MAX_COMPRESSION_RATIO, max_zip_entries=MAX_ZIP_ENTRIES)
    try:
        check_zip(stream, limits)
    except Refused as exc:
        raise refuse(exc.problem.code, exc.problem.message) from None
