"""Columns declared once: header, model field, how a cell is read and written, whether it is required.

The same declaration makes the template (header, 说明 sheet, drop-down lists), reads a file and
writes an export, so the three cannot drift apart::

    Column("入党日期", "joined_party_on", DateCell())
    Column("类别", "category", Choice(MemberCategory), required=True)

A cell kind's ``parse`` turns what openpyxl or the csv module gives (text, number, date) into the
model's value or raises :class:`Invalid`; ``render`` turns the model's value back into a cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA = object()    # what a formula cell reads as: already reported, never parsed
_SPACE = re.compile(r"\s")


class Invalid(ValueError):
    """A cell that cannot be read; ``code`` is stable, ``message`` Chinese, ``message_en`` English."""

    def __init__(self, code: str, message: str, message_en: str):
        super().__init__(message_en)
        self.code, self.message, self.message_en = code, message, message_en


def as_text(raw: Any) -> str:
    """A cell as text: numbers typed into a text column (13800000000, 101) lose no digits and gain no ``.0``."""
    if type(raw) is str:     # the common case first: this runs for every cell
        return raw.strip()
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "是" if raw else "否"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


def is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


class Text:
    """Free text (or a code) up to ``max_length`` characters; empty is ``""``."""

    blank: Any = ""
    number_format = "@"          # Excel keeps 0101 as text, not the number 101
    options: tuple[str, ...] = ()

    def __init__(self, max_length: int):
        self.max_length = max_length

    def parse(self, raw: Any) -> str:
        text = as_text(raw)
        if ILLEGAL_CHARACTERS_RE.search(text):
            raise Invalid("bad_text", "含有不可见的控制字符", "contains control characters")
        if len(text) > self.max_length:
            raise Invalid("too_long", f"内容有 {len(text)} 个字符，超过上限 {self.max_length} 个",
                          f"{len(text)} characters, more than {self.max_length}")
        return text

    def render(self, value: str) -> str:
        return value or ""

    def describe(self) -> str:
        return f"文字，最多 {self.max_length} 个字符"


class Code(Text):
    """A code (组织编码, 党员编号, 会议编号): text without spaces inside. ``key``: the code that identifies the row."""

    def __init__(self, max_length: int, *, key: bool = False):
        super().__init__(max_length)
        self.key = key

    def parse(self, raw: Any) -> str:
        text = super().parse(raw)
        if _SPACE.search(text):
            raise Invalid("bad_code", f"编码“{text}”中含有空格", f"code {text!r} contains white space")
        return text

    def describe(self) -> str:
        text = f"编码（文字），最多 {self.max_length} 个字符，不含空格"
        return text + ("；请保持稳定，重复导入以此识别" if self.key else "")


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH_TEXT = re.compile(r"^(\d{4})-(\d{2})$")


class DateCell:
    """A date: an Excel date cell, or text 2024-03-01 (also 2024/3/1, 2024.3.1, 2024年3月1日)."""

    blank: Any = None
    number_format = "yyyy-mm-dd"
    options: tuple[str, ...] = ()

    def parse(self, raw: Any) -> date:
        if isinstance(raw, datetime):
            return raw.date()
        if isinstance(raw, date):
            return raw
        if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
            raise Invalid("bad_date", f"“{as_text(raw)}”是数字，不是日期；请填写 2024-03-01 这样的日期",
                          f"{raw!r} is a number, not a date")
        text = as_text(raw)
        match = _DATE_TEXT.match(text)
        if match:
            try:
                return date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                pass
        raise Invalid("bad_date", f"日期“{text}”无法识别，应写成 2024-03-01 这样的日期",
                      f"date {text!r} not understood (expected YYYY-MM-DD)")

    def render(self, value: date | None) -> date | None:
        return value

    def describe(self) -> str:
        return "日期，如 2024-03-01（也可用 Excel 日期格式）"


class Month:
    """A month as text YYYY-MM (stored as its first day); an Excel date on the 1st is taken as its month."""

    blank: Any = None
    number_format = "@"
    options: tuple[str, ...] = ()

    def parse(self, raw: Any) -> date:
        if isinstance(raw, (datetime, date)):
            day = raw.date() if isinstance(raw, datetime) else raw
            if day.day == 1:
                return day
        text = as_text(raw)
        match = _MONTH_TEXT.match(text)
        if match and 1 <= int(match[2]) <= 12:
            return date(int(match[1]), int(match[2]), 1)
        raise Invalid("bad_month", f"月份“{text}”应写成 YYYY-MM，如 2024-03",
                      f"month {text!r} is not YYYY-MM")

    def render(self, value: date | None) -> str:
        return value.strftime("%Y-%m") if value else ""

    def describe(self) -> str:
        return "月份，写成 YYYY-MM，如 2024-03（文字格式）"


class Choice:
    """One of a TextChoices' Chinese labels; stored as its value."""

    blank: Any = ""
    number_format = "@"

    def __init__(self, choices: type[models.TextChoices]):
        self.by_label = {label: value for value, label in choices.choices}
        self.by_value = {value: label for value, label in choices.choices}
        self.options = tuple(self.by_label)

    def parse(self, raw: Any) -> str:
        text = as_text(raw)
        if text in self.by_label:
            return self.by_label[text]
        allowed = "、".join(self.options)
        raise Invalid("bad_choice", f"“{text}”不是可选值；可选：{allowed}",
                      f"{text!r} is not one of: {', '.join(self.options)}")

    def render(self, value: str) -> str:
        return self.by_value.get(value, value or "")

    def describe(self) -> str:
        return "从下拉列表选择：" + "、".join(self.options)


class YesNo:
    """是 or 否; empty is ``default``."""

    number_format = "@"
    options = ("是", "否")

    def __init__(self, default: bool):
        self.blank = default

    def parse(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        text = as_text(raw)
        if text in ("是", "否"):
            return text == "是"
        raise Invalid("bad_choice", f"“{text}”应为“是”或“否”", f"{text!r} is neither 是 nor 否")

    def render(self, value: bool) -> str:
        return "是" if value else "否"

    def describe(self) -> str:
        return f"是 或 否（留空视为“{'是' if self.blank else '否'}”）"


class Money:
    """An amount in yuan: not negative, at most two decimals; empty is ``blank``."""

    number_format = "0.00"
    options: tuple[str, ...] = ()

    def __init__(self, max_digits: int = 10, blank: Decimal | None = None):
        self.limit = Decimal(10) ** (max_digits - 2)
        self.blank = blank

    def parse(self, raw: Any) -> Decimal:
        text = as_text(raw) if not isinstance(raw, float) else repr(raw)
        try:
            amount = Decimal(text.replace(",", ""))
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite():
            raise Invalid("bad_amount", f"金额“{text}”不是数字", f"amount {text!r} is not a number")
        if amount < 0:
            raise Invalid("negative_amount", f"金额不能为负数（{text}）", f"amount {text} is negative")
        if amount != amount.quantize(Decimal("0.01")):
            raise Invalid("bad_amount", f"金额“{text}”最多保留两位小数", f"amount {text} has more than two decimals")
        if amount >= self.limit:
            raise Invalid("bad_amount", f"金额“{text}”过大", f"amount {text} too large")
        return amount.quantize(Decimal("0.01"))

    def render(self, value: Decimal | None) -> Decimal | None:
        return value

    def describe(self) -> str:
        text = "金额（元），不能为负数，最多两位小数"
        return text + ("（留空视为 0）" if self.blank is not None else "")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    cell: Any                 # Text, Code, DateCell, Month, Choice, YesNo or Money
    required: bool = False
    note: str = ""
    width: int = 14

    def describe(self) -> str:
        parts = ["必填" if self.required else "可留空", self.cell.describe()]
        if self.note:
            parts.append(self.note)
        return "；".join(parts)


@dataclass(frozen=True)
class SheetSpec:
    """A sheet of a kind's workbook (a CSV file holds one)."""

    name: str
    columns: tuple[Column, ...]
    note: str = ""
    optional: bool = False    # the workbook may leave it out (出勤 in the meetings workbook)

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)


def text_length(model: type[models.Model], field: str) -> int:
    """The model's max_length for ``field``: the column's limit is the database's."""
    return model._meta.get_field(field).max_length
