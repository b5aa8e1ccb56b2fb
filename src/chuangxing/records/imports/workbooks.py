"""Templates and exports: one layout, made from the column declarations, so an export re-imports unchanged.

>>> Path("党员.xlsx").write_bytes(template_workbook("members"))
>>> Path("党费.csv").write_bytes(template_csv("dues"))          # UTF-8 with BOM: Excel shows the Chinese
>>> Path("全部党员.xlsx").write_bytes(export_workbook("members", Member.objects.all()))

A workbook has one sheet per sheet of the kind (header row frozen, required headers highlighted,
drop-down lists on choice columns, text format on code columns so 0101 stays 0101) and a 说明 sheet
describing every column. Text that begins with ``=`` is written as text, never as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from chuangxing.records.imports.columns import Column, SheetSpec
from chuangxing.records.imports.kinds import Kind, get_kind
from chuangxing.records.imports.sources import NOTES_SHEET

REQUIRED_FILL = PatternFill("solid", fgColor="FFE699")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
LAST_ROW = 1_048_576


def template_workbook(kind: str) -> bytes:
    """An empty workbook for ``kind`` (organizations, members, meetings, attendance, dues), ready to fill in."""
    return _workbook(get_kind(kind), {})


def export_workbook(kind: str, queryset: Any = None) -> bytes:
    """The rows of ``queryset`` (default: all) in the template's layout; importing it back changes nothing."""
    spec = get_kind(kind)
    return _workbook(spec, spec.export_rows(spec.queryset() if queryset is None else queryset))


def template_csv(kind: str) -> bytes:
    """The header line of ``kind``'s first sheet as CSV, UTF-8 with BOM (Excel then reads the Chinese correctly)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(get_kind(kind).sheets[0].headers)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _workbook(kind: Kind, rows: dict[str, Iterable[dict[str, Any]]]) -> bytes:
    workbook = Workbook(write_only=True)
    for spec in kind.sheets:
        sheet = workbook.create_sheet(spec.name)
        _prepare(sheet, spec)
        sheet.append([_header(sheet, column) for column in spec.columns])
        for values in rows.get(spec.name, ()):
            sheet.append([_cell(sheet, column, values[column.field]) for column in spec.columns])
    _notes(workbook.create_sheet(NOTES_SHEET), kind)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _prepare(sheet: Any, spec: SheetSpec) -> None:
    sheet.freeze_panes = "A2"
    for position, column in enumerate(spec.columns, start=1):
        letter = get_column_letter(position)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        dimension.number_format = column.cell.number_format
        if column.cell.options:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(column.cell.options) + '"', allow_blank=not column.required,
                showErrorMessage=True, errorTitle="无效的值", error="请从下拉列表中选择：" + "、".join(column.cell.options),
                showInputMessage=True, promptTitle=column.header, prompt=column.describe()[:255])
            validation.add(f"{letter}2:{letter}{LAST_ROW}")
            sheet.data_validations.append(validation)


def _header(sheet: Any, column: Column) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=column.header)
    cell.font = BOLD
    cell.fill = REQUIRED_FILL if column.required else OPTIONAL_FILL
    cell.alignment = Alignment(horizontal="center", vertical="center")
    return cell


def _cell(sheet: Any, column: Column, value: Any) -> Any:
    rendered = column.cell.render(value)
    if rendered is None or rendered == "":
        return None
    if isinstance(rendered, str):
        if not rendered.startswith("="):
            return rendered
        cell = WriteOnlyCell(sheet, value=rendered)
        cell.data_type = "s"      # text that looks like a formula stays text
        return cell
    cell = WriteOnlyCell(sheet, value=rendered)
    cell.number_format = column.cell.number_format
    return cell


def _notes(sheet: Any, kind: Kind) -> None:
    widths = (10, 6, 16, 8, 90)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    title = WriteOnlyCell(sheet, value=f"{kind.label}导入模板说明")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    for line in _general_notes(kind):
        sheet.append([line])
    sheet.append([])
    sheet.append([_bold(sheet, text) for text in ("工作表", "列", "列标题", "必填", "填写说明")])
    for spec in kind.sheets:
        for position, column in enumerate(spec.columns, start=1):
            sheet.append([spec.name, get_column_letter(position), column.header, "必填" if column.required else "",
                          column.describe()])


def _general_notes(kind: Kind) -> list[str]:
    lines = [
        "1. 每个工作表第 1 行为列标题，请勿修改或删除（列的先后可以调整）；从第 2 行起每行一条记录。"
        "标黄的列为必填，标蓝的列可留空。",
        f"2. 重复导入不会重复创建：以{kind.key}识别记录；内容有变化的行会被更新，文件中没有的记录保持不变（导入从不删除）。",
        "3. 文件中只要有一处错误，整个文件都不会导入；请按错误提示（工作表、行、列）逐一修改后重新导入。",
        "4. 不接受公式：请“选择性粘贴 → 数值”后再导入。日期写成 2024-03-01，月份写成 2024-03。",
        "5. 也可另存为 CSV（UTF-8 或 GB18030 编码）导入，每个 CSV 文件对应一个工作表。",
    ]
    lines += [f"【{spec.name}】{spec.note}" for spec in kind.sheets if spec.note]
    return lines


def _bold(sheet: Any, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = BOLD
    return cell
