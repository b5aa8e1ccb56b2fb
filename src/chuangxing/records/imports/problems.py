"""What an import reports: each problem with its place in the file, the limits, the result.

A problem reads like this (Chinese for the person fixing the file, English for the log)::

    【党员】第 5 行 F 列（入党日期）：日期“2024-13-01”无法识别，应写成 2024-03-01 这样的日期
    members: sheet 党员 row 5 column F (入党日期): bad_date: date '2024-13-01' not understood

A problem about the whole file has no sheet; one about a sheet's header has row 1.

The codes (stable; tests and programs use them, people read the message)::

    the file, refused before it is read (nothing else is reported)
      file_too_large  not_found  bad_suffix  old_xls  not_xlsx  not_csv  encrypted
      zip_entries  zip_too_large  zip_ratio  xml_declarations          hostile or broken workbooks
      bad_encoding  not_text  bad_csv                                   CSV that cannot be decoded
      too_many_rows  too_many_columns                                   past Limits.max_rows / max_columns
    the sheets and their headers (then the rows are not checked)
      missing_sheet  missing_header  unknown_header  duplicate_header
    cells
      formula  headerless_column  required  too_long  bad_text  bad_code
      bad_date  bad_month  bad_choice  bad_amount  negative_amount
    rows against each other and the database
      duplicate_key  unknown_org  wrong_org_kind  group_not_in_branch  parent_cycle
      member_in_other_branch  date_order  unknown_meeting  unknown_member
      branch_too_large   a branch would hold more than CHUANGXING_BRANCH_MAX_MEMBERS members
    writing
      write_failed   the database refused the rows (another import at the same time): nothing written
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from django.conf import settings

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a file may hold before it is refused unread (hostile or simply too large).

    Override per call (``import_file(..., limits=Limits(max_rows=1000))``) or for the site with
    ``CHUANGXING_IMPORT_LIMITS = {"max_rows": 500_000}`` in the settings.
    """

    max_file_bytes: int = 100 * MB          # the file as uploaded
    max_uncompressed_bytes: int = 200 * MB  # xlsx: all zip entries together, as declared and as enforced by zipfile
    max_compression_ratio: int = 200        # xlsx: uncompressed / compressed, for entries over 1 MB
    max_zip_entries: int = 1000             # xlsx: a workbook from Excel has a few dozen
    max_rows: int = 200_000                 # per sheet, header row excluded, empty rows included
    max_columns: int = 50                   # per sheet

    @classmethod
    def from_settings(cls) -> Limits:
        overrides = getattr(settings, "CHUANGXING_IMPORT_LIMITS", None) or {}
        known = {f.name for f in fields(cls)}
        return cls(**{name: int(value) for name, value in overrides.items() if name in known})


@dataclass(frozen=True)
class ImportProblem:
    """One thing wrong with a file. ``code`` is stable (tests and programs use it); messages are for people."""

    code: str
    message: str                  # Chinese
    message_en: str = ""          # English, for the log
    sheet: str | None = None      # sheet name (xlsx) or file name (csv); None: the whole file
    row: int | None = None        # 1-based, as Excel shows it (the header is row 1)
    column: str | None = None     # column letter, as Excel shows it
    header: str | None = None     # the column's header

    def __str__(self) -> str:
        place = ""
        if self.sheet:
            place = f"【{self.sheet}】"
        if self.row:
            place += f"第 {self.row} 行"
        if self.column:
            place += f" {self.column} 列"
        if self.header:
            place += f"（{self.header}）"
        return f"{place}：{self.message}" if place else self.message

    def english(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}" + (f" ({self.header})" if self.header else ""))
        where = " ".join(parts)
        text = f"{self.code}: {self.message_en or self.message}"
        return f"{where}: {text}" if where else text

    def to_dict(self) -> dict:
        return {"code": self.code, "sheet": self.sheet, "row": self.row, "column": self.column, "header": self.header,
                "message": self.message, "message_en": self.message_en}


class Refused(Exception):
    """The file cannot be read further (hostile, too large, not what its name says)."""

    def __init__(self, problem: ImportProblem):
        super().__init__(problem.english())
        self.problem = problem


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0      # attendance rows no longer listed for a meeting

    def __str__(self) -> str:
        text = f"新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"
        return text + (f"，删除 {self.removed}" if self.removed else "")


KIND_LABELS = {"organizations": "党组织", "members": "党员", "meetings": "组织生活", "attendance": "出勤",
               "dues": "党费"}


@dataclass
class ImportResult:
    """What an import did (``counts`` per kind of row) or why it did nothing (``problems``)."""

    kind: str
    source: str
    problems: list[ImportProblem] = field(default_factory=list)
    counts: dict[str, Counts] = field(default_factory=dict)
    encoding: str | None = None   # csv only: the encoding the file was read with

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> list[str]:
        """Chinese lines for a person: the counts, or how many problems were found."""
        lines = [f"文件编码：{self.encoding}"] if self.encoding else []
        if self.problems:
            return [*lines, f"发现 {len(self.problems)} 个问题，未导入任何数据。"]
        lines += [f"{KIND_LABELS.get(kind, kind)}：{counts}" for kind, counts in self.counts.items()]
        return lines
