"""Reading an uploaded file without trusting it: raw rows per sheet, or a refusal.

An .xlsx file is checked as a zip before openpyxl sees it: its size, the number of entries, the
declared uncompressed size of all entries (``zipfile`` never inflates an entry past its declared
size: it stops with a CRC error, so the declared sizes are the real bound), the compression ratio,
and no DTD or entity declaration at the head of any XML part (Excel never writes one; they are how
XML bombs and external entities come in). Then openpyxl streams it (``read_only=True``) with
formulas kept as formulas (``data_only=False``) so that a formula cell is refused, never evaluated.

A CSV file is decoded as UTF-8 (with or without BOM), else GB18030 (what Excel on a Chinese Windows
writes), decided on the file's head and kept while streaming; the result says which.

Rows are streamed and counted: the first row past ``Limits.max_rows`` stops the reading, so a file
of a million rows is refused after reading the first 200,000, whatever its size.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from chuangxing.records.imports.columns import FORMULA, SheetSpec, is_empty
from chuangxing.records.imports.problems import MB, ImportProblem, Limits, Refused

log = logging.getLogger("chuangxing.records.imports")

NOTES_SHEET = "说明"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # .xls and encrypted workbooks
_ZIP_MAGIC = b"PK\x03\x04"
_XML_DECLARATIONS = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ROOT = re.compile(r"<[A-Za-z_]")
_FORMULA_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")   # <f>, <f t="shared" ...>, <x:f/>; not <formula1>
_HEAD = 64 * 1024


@dataclass
class RawSheet:
    """A sheet's non-empty rows as ``(row number, cell values)``; row 1 is the header."""

    name: str
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


@dataclass
class Source:
    sheets: dict[str, RawSheet]          # by SheetSpec.name; a missing optional sheet is absent
    problems: list[ImportProblem]        # formula cells, missing sheets: reported with the rest
    encoding: str | None = None


def refuse(code: str, message: str, message_en: str, *, sheet: str | None = None, row: int | None = None) -> Refused:
    return Refused(ImportProblem(code, message, message_en, sheet=sheet, row=row))


def read_source(file: BinaryIO, *, filename: str, specs: tuple[SheetSpec, ...], limits: Limits) -> Source:
    """The raw rows of ``file`` (seekable, binary) for the sheets ``specs``; :class:`Refused` when it is not readable."""
    size = file.seek(0, io.SEEK_END)
    file.seek(0)
    if size > limits.max_file_bytes:
        raise refuse("file_too_large", f"文件大小 {size / MB:.1f} MB，超过上限 {limits.max_file_bytes / MB:.0f} MB",
                     f"file of {size} bytes exceeds {limits.max_file_bytes}")
    head = file.read(_HEAD)
    file.seek(0)
    suffix = Path(filename).suffix.lower()
    if suffix == ".xls" or head.startswith(_OLE_MAGIC):
        raise refuse("old_xls", "这是旧版 .xls 文件（或加密的工作簿），请在 Excel 中另存为 .xlsx 后再导入",
                     "legacy .xls (OLE2) or encrypted workbook")
    if suffix == ".xlsx":
        if not head.startswith(_ZIP_MAGIC):
            raise refuse("not_xlsx", "文件扩展名是 .xlsx，但内容不是 Excel 工作簿（可能是文本或其他格式的文件）",
                         "named .xlsx but not a zip/xlsx file")
        return _read_xlsx(file, specs=specs, limits=limits)
    if suffix == ".csv":
        if head.startswith(_ZIP_MAGIC):
            raise refuse("not_csv", "文件扩展名是 .csv，但内容是 Excel 工作簿；请把扩展名改为 .xlsx",
                         "named .csv but is a zip/xlsx file")
        return _read_csv(file, filename=Path(filename).name, spec=specs[0], head=head, limits=limits)
    raise refuse("bad_suffix", f"只接受 .xlsx 或 .csv 文件（收到“{Path(filename).name}”）", f"unsupported file type {suffix!r}")


# -- xlsx -----------------------------------------------------------------------------------

def check_zip(file: BinaryIO, limits: Limits) -> bool:
    """Refuse a zip that would inflate past the limits or carries XML declarations; leaves ``file`` at 0.

    Returns whether any worksheet holds a formula (then the sheets are read cell by cell to find it).
    """
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refuse("not_xlsx", "文件不是有效的 Excel 工作簿（压缩结构损坏）", f"bad zip: {exc}") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_zip_entries:
            raise refuse("zip_entries", f"工作簿内部有 {len(infos)} 个部件，超过上限 {limits.max_zip_entries} 个，拒绝打开",
                         f"{len(infos)} zip entries, more than {limits.max_zip_entries}")
        total = sum(info.file_size for info in infos)
        if total > limits.max_uncompressed_bytes:
            raise refuse("zip_too_large",
                         f"工作簿解压后共 {total / MB:.0f} MB，超过上限 {limits.max_uncompressed_bytes / MB:.0f} MB，拒绝打开",
                         f"uncompressed size {total} exceeds {limits.max_uncompressed_bytes}")
        for info in infos:
            _check_entry(archive, info, limits)
        names = set(archive.namelist())
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise refuse("not_xlsx", "文件是压缩包，但不是 Excel 工作簿（.xlsx）", "zip without xl/workbook.xml")
        formulas = any(_holds_formula(archive, info) for info in infos if info.filename.startswith("xl/worksheets/"))
    file.seek(0)
    return formulas


def _holds_formula(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether the part has a formula element: a scan of the raw XML, far cheaper than looking at every cell."""
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(MB):
            if not tail and chunk[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                return True           # not scanned as bytes: read it cell by cell
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def _check_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    if info.flag_bits & 0x1:
        raise refuse("encrypted", "工作簿已加密，请取消密码后再导入", f"encrypted zip entry {info.filename}")
    if info.file_size > MB and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1):
        raise refuse("zip_ratio",
                     f"工作簿部件“{info.filename}”的压缩比异常（{info.file_size // max(info.compress_size, 1)} 倍，"
                     f"上限 {limits.max_compression_ratio} 倍），可能是恶意构造的文件，拒绝打开",
                     f"entry {info.filename} compression ratio over {limits.max_compression_ratio}")
    if not info.filename.endswith((".xml", ".rels", ".vml")):
        return
    try:
        with archive.open(info) as part:
            head = part.read(_HEAD)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise refuse("not_xlsx", "工作簿内部部件损坏，无法读取", f"entry {info.filename}: {exc}") from None
    text = head.decode("utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8", errors="ignore")
    root = _XML_ROOT.search(text)
    prolog = text[: root.start()] if root else text
    if _XML_DECLARATIONS.search(prolog) or (root is None and info.file_size > _HEAD):
        raise refuse("xml_declarations", f"工作簿部件“{info.filename}”含有 DTD 或实体声明，可能是恶意构造的文件，拒绝打开",
                     f"entry {info.filename} declares a DTD or entities")


def _read_xlsx(file: BinaryIO, *, specs: tuple[SheetSpec, ...], limits: Limits) -> Source:
    formulas = check_zip(file, limits)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as exc:   # openpyxl raises many kinds on a malformed workbook
        log.warning("workbook not readable: %r", exc)
        raise refuse("not_xlsx", "文件无法作为 Excel 工作簿打开（内容损坏或格式不符）",
                     f"openpyxl could not open it: {exc!r}") from None
    try:
        return _read_sheets(workbook, specs, limits, formulas=formulas)
    except Refused:
        raise
    except Exception as exc:
        log.warning("workbook not readable: %r", exc)
        raise refuse("not_xlsx", "工作表内容损坏，无法读取", f"openpyxl could not read a sheet: {exc!r}") from None
    finally:
        workbook.close()


def _read_sheets(workbook: Any, specs: tuple[SheetSpec, ...], limits: Limits, *, formulas: bool) -> Source:
    source = Source(sheets={}, problems=[])
    names = list(workbook.sheetnames)
    data_sheets = [name for name in names if name != NOTES_SHEET]
    for spec in specs:
        name = spec.name if spec.name in names else None
        if name is None and len(specs) == 1 and len(data_sheets) == 1:
            name = data_sheets[0]          # a single sheet, renamed: take it
        if name is None:
            if not spec.optional:
                source.problems.append(ImportProblem(
                    "missing_sheet", f"缺少工作表“{spec.name}”（工作簿中有：{'、'.join(names)}）",
                    f"no sheet named {spec.name}", sheet=spec.name))
            continue
        sheet = RawSheet(name)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            worksheet = workbook[name]
            worksheet.reset_dimensions()     # the stored dimension may lie; read every row there is
            rows = _xlsx_cells(worksheet, sheet.name, source.problems) if formulas else _xlsx_values(worksheet)
            sheet.rows = list(_limited(rows, sheet.name, limits))
        source.sheets[spec.name] = sheet
    return source


def _xlsx_values(worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    """The fast path, when no sheet holds a formula."""
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        yield number, list(values)


def _xlsx_cells(worksheet: Any, sheet: str, problems: list[ImportProblem]) -> Iterator[tuple[int, list[Any]]]:
    """Cell by cell: a formula cell (``data_type == "f"``) is a problem, and reads as :data:`FORMULA`."""
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values = []
        for index, cell in enumerate(cells, start=1):
            value = cell.value
            if value is not None and cell.data_type == "f":
                problems.append(_formula_problem(sheet, number, index, value))
                value = FORMULA
            values.append(value)
        yield number, values


def _formula_problem(sheet: str, row: int, column: int, formula: Any) -> ImportProblem:
    ref = f"{get_column_letter(column)}{row}"
    return ImportProblem("formula", f"单元格 {ref} 含有公式（{str(formula)[:40]}），公式不被接受，请粘贴为数值",
                         f"cell {ref} holds a formula", sheet=sheet, row=row, column=get_column_letter(column))


def _limited(rows: Iterable[tuple[int, list[Any]]], sheet: str, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """Non-empty rows, stopping with :class:`Refused` at the first one past the limits."""
    count = 0
    for number, values in rows:
        if all(is_empty(v) for v in values):
            continue
        if len(values) > limits.max_columns and not all(is_empty(v) for v in values[limits.max_columns:]):
            raise refuse("too_many_columns", f"第 {number} 行超过 {limits.max_columns} 列，超出上限，拒绝导入",
                         f"row {number} has more than {limits.max_columns} columns", sheet=sheet, row=number)
        count += 1
        if count > limits.max_rows + 1:   # the header and max_rows data rows
            raise refuse("too_many_rows",
                         f"数据超过 {limits.max_rows} 行的上限（读到第 {number} 行时停止），请拆分为多个文件分批导入",
                         f"more than {limits.max_rows} data rows (stopped at row {number})", sheet=sheet, row=number)
        yield number, values[: limits.max_columns]


# -- csv ------------------------------------------------------------------------------------

def detect_encoding(head: bytes) -> tuple[str, str]:
    """``(codec, label)`` for a CSV file from its first bytes; :class:`Refused` when neither UTF-8 nor GB18030."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8（带 BOM）"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise refuse("bad_encoding", "文件是 UTF-16 编码；请在 Excel 中另存为“CSV UTF-8（逗号分隔）”", "UTF-16 CSV")
    if b"\x00" in head:
        raise refuse("not_text", "文件含有空字节，不是文本（CSV）文件", "NUL bytes: not a text file")
    for codec, label in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return codec, label
    raise refuse("bad_encoding", "文件编码无法识别：既不是 UTF-8，也不是 GB18030（GBK）；请另存为“CSV UTF-8（逗号分隔）”",
                 "CSV is neither UTF-8 nor GB18030")


def _read_csv(file: BinaryIO, *, filename: str, spec: SheetSpec, head: bytes, limits: Limits) -> Source:
    codec, label = detect_encoding(head)
    text = io.TextIOWrapper(file, encoding=codec, errors="strict", newline="")
    sheet = RawSheet(filename)
    problems: list[ImportProblem] = []
    try:
        for row in _limited(_csv_rows(csv.reader(text), filename, problems), filename, limits):
            sheet.rows.append(row)
    except UnicodeDecodeError:
        number = sheet.rows[-1][0] + 1 if sheet.rows else 1
        raise refuse("bad_encoding", f"第 {number} 行附近有无法按 {label} 解码的字节；请把整个文件另存为“CSV UTF-8（逗号分隔）”",
                     f"bytes not decodable as {codec} near row {number}", sheet=filename) from None
    except csv.Error as exc:
        raise refuse("bad_csv", f"CSV 格式错误：{exc}", f"csv error: {exc}", sheet=filename) from None
    finally:
        text.detach()
    return Source(sheets={spec.name: sheet}, problems=problems, encoding=label)


def _csv_rows(reader: Iterable[list[str]], sheet: str, problems: list[ImportProblem]) -> Iterator[tuple[int, list[Any]]]:
    for number, record in enumerate(reader, start=1):
        for index, value in enumerate(record, start=1):
            if value.startswith("="):
                problems.append(_formula_problem(sheet, number, index, value))
                record[index - 1] = FORMULA
        yield number, record
