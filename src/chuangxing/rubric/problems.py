"""Problems found in a rubric file: where (path and line), what (Chinese for people, English for logs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ERROR, WARNING = "error", "warning"


def render_path(path: tuple[str | int, ...]) -> str:
    """``("categories", 0, "max")`` → ``categories[0].max``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


@dataclass(frozen=True)
class Problem:
    code: str
    message: str                       # Chinese, for the person fixing the file
    path: tuple[str | int, ...] = ()
    severity: Literal["error", "warning"] = ERROR
    line: int | None = None
    column: int | None = None
    message_en: str = ""

    @property
    def where(self) -> str:
        return render_path(self.path)

    def with_line(self, line: int | None) -> Problem:
        return Problem(self.code, self.message, self.path, self.severity, line, self.column, self.message_en)

    def __str__(self) -> str:
        level = "错误" if self.severity == ERROR else "警告"
        loc = f"第 {self.line} 行" if self.line else ""
        where = " ".join(x for x in (loc, self.where) if x)
        return f"{level}  {where}：{self.message}" if where else f"{level}  {self.message}"

    def to_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "path": self.where, "line": self.line,
                "column": self.column, "message": self.message, "message_en": self.message_en}


@dataclass
class Report:
    source: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors


class RubricInvalid(ValueError):
    """A rubric that does not load: every problem is in ``report``."""

    code = "rubric_invalid"

    def __init__(self, report: Report):
        self.report = report
        lines = "; ".join(f"{p.where or '-'}: {p.message_en or p.code}" for p in report.errors)
        super().__init__(f"{report.source}: {len(report.errors)} error(s): {lines}")
