"""The kinds of file that can be imported, each with its sheets, its checks and its export."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chuangxing.records.imports import dues, meetings, members, organizations
from chuangxing.records.imports.columns import SheetSpec


@dataclass(frozen=True)
class Kind:
    name: str
    label: str                                   # Chinese, for people and file names
    key: str                                     # what identifies a row, in Chinese (说明 sheet)
    sheets: tuple[SheetSpec, ...]
    check: Callable[..., Any]                     # (rows by sheet, problems) -> plan with .write() and .branches()
    export_rows: Callable[[Any], dict[str, Any]]  # queryset -> rows (field -> model value) by sheet
    queryset: Callable[[], Any]                   # everything, for an export without a queryset


KINDS = {kind.name: kind for kind in (
    Kind("organizations", "党组织", "组织编码", organizations.SHEETS, organizations.check, organizations.export_rows,
         organizations.queryset),
    Kind("members", "党员", "党员编号", members.SHEETS, members.check, members.export_rows, members.queryset),
    Kind("meetings", "组织生活", "会议编号（出勤：会议编号与党员编号）",
         meetings.SHEETS, meetings.check, meetings.export_rows, meetings.queryset),
    Kind("attendance", "出勤", "会议编号与党员编号", meetings.ATTENDANCE_SHEETS, meetings.check, meetings.export_attendance,
         meetings.attendance_queryset),
    Kind("dues", "党费", "党员编号与月份", dues.SHEETS, dues.check, dues.export_rows, dues.queryset),
)}


class UnknownKind(ValueError):
    code = "unknown_kind"

    def __init__(self, name: str):
        super().__init__(f"未知的导入类型“{name}”；可选：{'、'.join(KINDS)}")


def get_kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise UnknownKind(name) from None
