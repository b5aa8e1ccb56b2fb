"""The report registry: one declaration per report, served to the web and to the command line alike.

>>> content, filename, content_type = render("committee-summary", "xlsx", {"cycle": "3"})
>>> render("score-sheet", "pdf", {"cycle": 3, "branch": 17}, by=request.user)   # the web: scoped to the user
>>> run_report_cli("short-board", "pdf", {"cycle": "3"}, "短板.pdf")           # progress on stderr; exit status

A report is a function ``build(params, progress) -> Document``, declared with its name (used in
URLs and on the command line), its Chinese title, its parameters and the formats it offers::

    @report("committee-summary", title="考评结果汇总表", params=(CYCLE, COMMITTEE))
    def committee_summary(params, progress):
        return Document(title=..., filename=..., tables=[Table(columns, rows_generator())])

Parameters arrive as text (a query string, ``--cycle 3``) and are parsed by their declaration
(:class:`Param`); ``params["_by"]`` is the user the web passes (None on the command line, which
is the operator's own), and every report that reads assessments limits what it shows to what that
user may read. Renderers (:mod:`chuangxing.reports.render`) own the formats; a report may replace
a format with its own writer (``custom={"xlsx": writer}``), as the rubric export does to keep its
machine columns.

Errors a person can act on are :class:`ReportError` with a stable ``code`` and a Chinese message:
``unknown_report``, ``unknown_format``, ``missing_param``, ``bad_param``, ``not_found``,
``forbidden``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from chuangxing.reports.document import Document
from chuangxing.reports.progress import Progress

FORMATS = ("xlsx", "pdf", "csv")
SUFFIXES = {"xlsx": ".xlsx", "pdf": ".pdf", "csv": ".csv"}


class ReportError(Exception):
    """A report that cannot be made as asked; ``code`` is stable, ``message`` Chinese."""

    def __init__(self, code: str, message: str, message_en: str = ""):
        super().__init__(message_en or message)
        self.code, self.message, self.message_en = code, message, message_en or message


@dataclass(frozen=True)
class Param:
    name: str                    # cycle, branch, committee, stage, rubric
    label: str                   # 考评周期
    type: type = int
    required: bool = True
    help: str = ""
    choices: tuple[str, ...] = ()

    def parse(self, raw: Any) -> Any:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                raise ReportError("missing_param", f"缺少参数“{self.label}”（--{self.name}）", f"missing --{self.name}")
            return None
        if self.type is int:
            if isinstance(raw, bool):
                raise ReportError("bad_param", f"参数“{self.label}”应为编号（整数）", f"--{self.name} must be an integer")
            try:
                return int(str(raw).strip())
            except ValueError:
                raise ReportError("bad_param", f"参数“{self.label}”应为编号（整数），收到“{raw}”",
                                  f"--{self.name} must be an integer, got {raw!r}") from None
        value = str(raw).strip()
        if self.choices and value not in self.choices:
            raise ReportError("bad_param", f"参数“{self.label}”只能是：{'、'.join(self.choices)}（收到“{value}”）",
                              f"--{self.name} must be one of {self.choices}")
        return value


Builder = Callable[[dict[str, Any], Progress], Document]


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    params: tuple[Param, ...]
    build: Builder
    formats: tuple[str, ...] = FORMATS
    description: str = ""
    needs_database: bool = True
    custom: Mapping[str, Callable[[dict[str, Any], Progress], tuple[bytes, str]]] = field(default_factory=dict)

    def parse(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        known = {p.name for p in self.params}
        unknown = sorted(k for k in raw if k not in known and not k.startswith("_") and raw[k] is not None)
        if unknown:
            available = "、".join(sorted(known)) or "无"
            raise ReportError("bad_param", f"报表“{self.title}”没有参数：{'、'.join(unknown)}（可用：{available}）",
                              f"unknown parameters {unknown}")
        values = {p.name: p.parse(raw.get(p.name)) for p in self.params}
        values["_by"] = raw.get("_by")
        return values


REPORTS: dict[str, ReportSpec] = {}


def report(name: str, *, title: str, params: tuple[Param, ...] = (), formats: tuple[str, ...] = FORMATS,
           description: str = "", needs_database: bool = True, custom: Mapping | None = None):
    """Declare a report (a decorator on its builder)."""

    def register(build: Builder) -> Builder:
        REPORTS[name] = ReportSpec(name, title, tuple(params), build, tuple(formats), description or (build.__doc__ or ""),
                                   needs_database, dict(custom or {}))
        return build

    return register


def _load() -> None:
    """Import the modules that declare reports (they register themselves)."""
    from chuangxing.reports import cycle, fillin, rubric_xlsx, scoresheet  # noqa: F401


# The order reports are listed to people; a report not named here comes after these.
ORDER = ("score-sheet", "blank-sheet", "committee-summary", "recommendations", "unstarred", "distribution",
         "short-board", "rubric")


def reports() -> list[ReportSpec]:
    """Every report, in the order they are listed to people (for the web's menu, ``chuangxing report --list``)."""
    _load()
    return sorted(REPORTS.values(), key=lambda spec: ORDER.index(spec.name) if spec.name in ORDER else len(ORDER))


def get(name: str) -> ReportSpec:
    _load()
    spec = REPORTS.get(name)
    if spec is None:
        raise ReportError("unknown_report", f"没有名为“{name}”的报表（可用：{'、'.join(REPORTS)}）", f"unknown report {name}")
    return spec


def render(name: str, fmt: str, params: Mapping[str, Any], *, by: Any = None,
           progress: Progress | None = None) -> tuple[bytes, str, str]:
    """Make report ``name`` in ``fmt`` (xlsx, pdf, csv): ``(content, filename, content_type)``.

    ``by`` is the user asking (the web passes ``request.user``); None means the operator at the
    command line, who sees everything.
    """
    from chuangxing.reports.render import CONTENT_TYPES, RENDERERS

    spec = get(name)
    if fmt not in spec.formats:
        raise ReportError("unknown_format", f"报表“{spec.title}”可导出为：{'、'.join(spec.formats)}（收到“{fmt}”）",
                          f"{name} offers {spec.formats}, not {fmt}")
    values = spec.parse({**params, "_by": by})
    report_progress = progress or (lambda done, total, message: None)
    if fmt in spec.custom:
        content, stem = spec.custom[fmt](values, report_progress)
    else:
        document = spec.build(values, report_progress)
        content = RENDERERS[fmt](document, progress=report_progress)
        stem = document.filename
    return content, safe_filename(stem) + SUFFIXES[fmt], CONTENT_TYPES[fmt]


def safe_filename(stem: str) -> str:
    """A file name without path separators or characters Windows refuses; Chinese kept."""
    cleaned = "".join("_" if ch in '<>:"/\\|?*' or ord(ch) < 32 else ch for ch in stem).strip(" .")
    return cleaned[:120] or "报表"


# -- the command line ------------------------------------------------------------------------------
def ensure_django() -> None:
    """Set Django up for a report that reads the database, when the caller has not (the command line)."""
    from django.conf import settings

    if not settings.configured:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


class StderrProgress:
    """Progress on a terminal: one line rewritten in place (or a line per step when not a terminal)."""

    def __init__(self, stream: IO[str] | None = None, *, every_seconds: float = 0.5):
        self.stream = stream or sys.stderr
        self.every, self.last, self.width = every_seconds, 0.0, 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int | None, message: str) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self.last < self.every:
            return
        self.last = now
        share = f"（{done * 100 // total}%）" if total else ""
        text = f"{message}：{done}" + (f"/{total}" if total else "") + f" 行{share}"
        if self.tty:
            self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
            self.width = len(text)
            if finished:
                self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def run_report_cli(name: str, fmt: str, params: Mapping[str, Any], out: str | Path | IO[bytes] | None = None, *,
                   stderr: IO[str] | None = None) -> int:
    """``chuangxing report NAME --cycle ... --format xlsx|pdf|csv [-o OUT]``: 0 written, 1 refused, 2 misused.

    ``out`` is a path, ``"-"`` or a binary stream for standard output, or None for the report's own
    file name in the current directory. Progress and messages go to ``stderr``.
    """
    stderr = stderr or sys.stderr
    try:
        spec = get(name)
        if spec.needs_database:
            ensure_django()
        content, filename, _ = render(name, fmt, params, progress=StderrProgress(stderr))
    except ReportError as exc:
        stderr.write(f"{exc.message}\n")
        return 2 if exc.code in ("unknown_report", "unknown_format", "missing_param", "bad_param") else 1
    if out is None or isinstance(out, str | Path):
        if str(out) == "-":
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
            return 0
        path = Path(out) if out is not None else Path(filename)
        path.write_bytes(content)
        stderr.write(f"已生成：{path}（{len(content):,} 字节）\n")
        return 0
    out.write(content)
    return 0
